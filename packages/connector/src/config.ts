import path from 'node:path';

/** The connector's settings, all from the environment (the only place it is read). */
export interface ConnectorConfig {
  platformUrl: string;
  instanceKey: string;
  dataDir: string;
  host: string;
  port: number;
  /** Seconds between scheduled deliveries of the scope files. */
  interval: number;
  /** How many customers and products a new ledger is seeded with. */
  seedSize: number;
  logLevel: string;
}

export class ConnectorConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ConnectorConfigError(`${name}: expected a whole number from ${min} to ${max}, got "${v}"`);
    return n;
  };
  const instanceKey = env.CONNECTOR_INSTANCE_KEY ?? '';
  if (!/^cci_[0-9A-Za-z]{32,}$/.test(instanceKey)) {
    throw new ConnectorConfigError(
      'CONNECTOR_INSTANCE_KEY: required, the instance key (cci_…) the operator created with POST /api/admin/instances',
    );
  }
  const platformUrl = (env.CONNECTOR_PLATFORM_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  try {
    new URL(platformUrl);
  } catch {
    throw new ConnectorConfigError(`CONNECTOR_PLATFORM_URL: expected an absolute URL, got "${platformUrl}"`);
  }
  return {
    platformUrl,
    instanceKey,
    dataDir: path.resolve(env.CONNECTOR_DATA_DIR ?? './connector-data'),
    host: env.CONNECTOR_HOST ?? '127.0.0.1',
    port: int('CONNECTOR_PORT', 8090, 0, 65535),
    interval: int('CONNECTOR_INTERVAL', 300, 1, 86_400),
    seedSize: int('CONNECTOR_SEED_SIZE', 200, 1, 10_000_000),
    logLevel: env.CONNECTOR_LOG_LEVEL ?? 'info',
  };
}
