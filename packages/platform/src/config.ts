import { isIP } from 'node:net';
import path from 'node:path';

/** The platform's configuration. This file is the only place that reads the environment (contract §10). */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /**
   * The reverse proxies whose X-Forwarded-For is believed (addresses, CIDRs, or loopback/linklocal/uniquelocal):
   * behind them, the client's address (rate limits, logs) is the one the proxy saw.
   */
  trustProxy: string[] | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  /** `redirectSeconds`: downloads answer with a redirect to a presigned URL valid that long (S3_REDIRECT_DOWNLOADS). */
  s3:
    | {
        endpoint: string;
        bucket: string;
        region: string;
        accessKeyId: string;
        secretAccessKey: string;
        redirectSeconds?: number;
      }
    | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  adminToken: string | undefined;
  /** 32 bytes; unset: generated into DATA_DIR on first start (see infra/secrets/local-keys.ts). */
  secretsKey: Buffer | undefined;
  allowInsecureNotificationUrls: boolean;
  webhookRetrySchedule: number[];
  passcodeTtl: number;
  apikeyTtl: number;
  apikeyGrace: number;
  uploadLease: number;
  /** Versions of a scope file kept (the current one and those before it), so that changes can be computed. */
  scopeFileVersions: number;
  /** Days that delivered or failed events, dead jobs and finished uploads are kept. */
  retentionDays: number;
  /** Where a client can create work or guess: how many in what window (undefined: off). See infra/ratelimit. */
  rateLimits: Record<RateLimitName, RateLimitRule | undefined>;
  /** One record of a scope file, upload or result larger than this is refused (422 record-too-large). */
  maxRecordBytes: number;
  /** Bytes of uploads (bodies and results) kept per integration, and of scope files kept per instance (413). */
  quotas: { uploadBytesPerIntegration: number; scopeFileBytesPerInstance: number };
  /** Seconds an invalid upload's body is kept (for a look at what was sent) before it is removed; its tracking stays. */
  invalidUploadRetention: number;
  /** Seconds a stop (SIGTERM) waits for requests in flight and jobs in hand before the process exits anyway (1). */
  shutdownGrace: number;
  /** Not from the environment: fixed by the contract or by design, adjustable by tests and benchmarks. */
  registrationTtl: number;
  captchaMaxNumber: number;
  webhookTimeoutMs: number;
  /** Fair delivery per endpoint (features/events/endpoints.ts). */
  webhookEndpoints: {
    /** Deliveries in flight to one endpoint. */
    concurrency: number;
    /** Consecutive timeouts that open the breaker. */
    threshold: number;
    /** How long the breaker first stays open; doubled each time it opens again, up to maxOpenMs. */
    openMs: number;
    maxOpenMs: number;
    /** When a busy endpoint's delivery is tried again. */
    busyDelayMs: number;
    /** How long a delivery waits in an answering endpoint's line for a free slot before it is put off. */
    busyWaitMs: number;
  };
  queue: { concurrency: number; pollMs: number };
  /** The developer portal (contract §11), in seconds: sign-in link life, session idle and absolute ends. */
  portal: { signInLinkTtl: number; sessionIdle: number; sessionMax: number };
  logLevel: string;
}

/** The rate limits the platform enforces, each kept in the store (README: configuration). */
export const RateLimitVariables = {
  registrationsPerAddress: ['RATE_LIMIT_REGISTRATIONS', '60/1h'],
  registrationsGlobal: ['RATE_LIMIT_REGISTRATIONS_GLOBAL', '1000/1h'],
  applicationsPerDeveloper: ['RATE_LIMIT_APPLICATIONS', '30/1h'],
  testEventsPerDeveloper: ['RATE_LIMIT_TEST_EVENTS', '120/1h'],
  secretAttempts: ['RATE_LIMIT_SECRET_ATTEMPTS', '10/15m'],
  resendsPerEvent: ['RATE_LIMIT_RESENDS', '10/1h'],
  uploadsPerIntegration: ['RATE_LIMIT_UPLOADS', '1200/1h'],
  signInEmails: ['RATE_LIMIT_SIGNIN_EMAILS', '5/15m'],
  signInClients: ['RATE_LIMIT_SIGNIN_CLIENTS', '20/15m'],
} as const;
export type RateLimitName = keyof typeof RateLimitVariables;
/** `points` requests in a fixed window of `seconds`. */
export interface RateLimitRule {
  points: number;
  seconds: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

const DAY = 86_400;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export function loadConfig(env: Env = process.env): Config {
  const str = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const v = str(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${v}"`);
    }
    return Number(v);
  };
  const url = (name: string, protocols: string[]) => {
    const v = str(name);
    if (v === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      throw new ConfigError(name, `expected an absolute URL, got "${redactUrl(v)}"`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${redactUrl(v)}"`);
    }
    return v;
  };
  const bool = (name: string) => {
    const v = str(name)?.toLowerCase();
    if (v === undefined || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    throw new ConfigError(name, `expected true or false, got "${v}"`);
  };

  const port = int('PORT', 8080, 0, 65535);
  const host = str('HOST') ?? '127.0.0.1';
  const publicUrl = (
    url('PUBLIC_URL', ['http:', 'https:']) ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  ).replace(/\/+$/, '');

  const s3Vars = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;
  const s3Set = s3Vars.filter((n) => str(n) !== undefined);
  if (s3Set.length > 0 && s3Set.length < s3Vars.length) {
    const missing = s3Vars.find((n) => str(n) === undefined)!;
    throw new ConfigError(missing, `required when any S3_* variable is set (${s3Set.join(', ')} set)`);
  }
  const s3 =
    s3Set.length === s3Vars.length
      ? {
          endpoint: url('S3_ENDPOINT', ['http:', 'https:'])!,
          bucket: str('S3_BUCKET')!,
          region: str('S3_REGION')!,
          accessKeyId: str('S3_ACCESS_KEY_ID')!,
          secretAccessKey: str('S3_SECRET_ACCESS_KEY')!,
          ...(bool('S3_REDIRECT_DOWNLOADS') ? { redirectSeconds: 300 } : {}),
        }
      : undefined;
  if (!s3 && bool('S3_REDIRECT_DOWNLOADS'))
    throw new ConfigError('S3_REDIRECT_DOWNLOADS', 'needs the S3_* variables: files are not in S3');

  const rateLimits = Object.fromEntries(
    Object.entries(RateLimitVariables).map(([name, [variable, fallback]]) => [
      name,
      parseRateLimit(variable, str(variable) ?? fallback),
    ]),
  ) as Config['rateLimits'];

  const schedule = str('WEBHOOK_RETRY_SCHEDULE');
  const webhookRetrySchedule =
    schedule === undefined ? [0, 5, 300, 1800, 7200, 18000, 36000, 36000] : schedule.split(',').map((s) => s.trim());
  if (webhookRetrySchedule.length === 0 || webhookRetrySchedule.some((s) => !/^\d+$/.test(String(s)))) {
    throw new ConfigError('WEBHOOK_RETRY_SCHEDULE', `expected comma-separated whole seconds, got "${schedule}"`);
  }

  const adminToken = str('ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 24) {
    throw new ConfigError('ADMIN_TOKEN', 'must be at least 24 characters');
  }

  return {
    port,
    host,
    publicUrl,
    trustProxy: trustProxy(str('TRUST_PROXY')),
    dataDir: path.resolve(str('DATA_DIR') ?? './data'),
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    s3,
    smtpUrl: url('SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: str('MAIL_FROM') ?? 'Connected Cloud <no-reply@connected-cloud.local>',
    adminToken,
    secretsKey: parseSecretsKey(str('SECRETS_KEY')),
    allowInsecureNotificationUrls: bool('ALLOW_INSECURE_NOTIFICATION_URLS'),
    webhookRetrySchedule: webhookRetrySchedule.map(Number),
    passcodeTtl: int('PASSCODE_TTL', 15 * 60, 1, DAY),
    apikeyTtl: int('APIKEY_TTL', 90 * DAY, 1, 10 * 365 * DAY),
    apikeyGrace: int('APIKEY_GRACE', DAY, 0, 30 * DAY),
    uploadLease: int('UPLOAD_LEASE', 10 * 60, 1, DAY),
    scopeFileVersions: int('SCOPE_FILE_VERSIONS', 5, 2, 1000),
    retentionDays: int('RETENTION_DAYS', 30, 1, 3650),
    rateLimits,
    maxRecordBytes: int('MAX_RECORD_BYTES', MiB, 1024, 256 * MiB),
    quotas: {
      uploadBytesPerIntegration: int('UPLOAD_QUOTA_BYTES', 2 * GiB, 1, Number.MAX_SAFE_INTEGER),
      scopeFileBytesPerInstance: int('SCOPE_FILE_QUOTA_BYTES', 10 * GiB, 1, Number.MAX_SAFE_INTEGER),
    },
    invalidUploadRetention: int('INVALID_UPLOAD_RETENTION', 3600, 0, 30 * DAY),
    shutdownGrace: int('SHUTDOWN_GRACE', 10, 1, DAY),
    registrationTtl: DAY,
    captchaMaxNumber: 100_000,
    webhookTimeoutMs: 15_000,
    webhookEndpoints: {
      concurrency: int('WEBHOOK_ENDPOINT_CONCURRENCY', 8, 1, 1000),
      threshold: 3,
      openMs: 30_000,
      maxOpenMs: 600_000,
      busyDelayMs: 1000,
      busyWaitMs: 100,
    },
    queue: { concurrency: 64, pollMs: 5_000 },
    portal: { signInLinkTtl: 15 * 60, sessionIdle: 12 * 3600, sessionMax: 7 * DAY },
    logLevel: str('LOG_LEVEL') ?? 'info',
  };
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: DAY } as const;

/** A rate limit: `<count>/<window>` (`60/1h`, `10/15m`, `5/30s`), or `off`. */
export function parseRateLimit(variable: string, value: string): RateLimitRule | undefined {
  if (value.toLowerCase() === 'off') return undefined;
  const m = /^(\d{1,9})\/(\d{0,6})([smhd])$/.exec(value);
  const points = Number(m?.[1]);
  const seconds = m ? Number(m[2] || 1) * UNIT_SECONDS[m[3] as keyof typeof UNIT_SECONDS] : 0;
  if (!m || points < 1 || seconds < 1 || seconds > 30 * DAY) {
    throw new ConfigError(
      variable,
      `expected <count>/<window> such as 60/1h or 10/15m (up to 30d), or off; got "${value}"`,
    );
  }
  return { points, seconds };
}

/** SECRETS_KEY: 32 bytes as 64 hex digits or base64. */
export function parseSecretsKey(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new ConfigError('SECRETS_KEY', 'expected 32 bytes as 64 hex digits or base64');
  return key;
}

function redactUrl(v: string): string {
  return v.replace(/\/\/[^@/]*@/, '//***@');
}

/** TRUST_PROXY: a comma-separated list of proxy addresses and CIDRs (never "everyone": any client could say who it is). */
function trustProxy(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((x) => x.trim());
  const valid = (x: string) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(x)) return true;
    const [address, bits, ...rest] = x.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  const wrong = list.find((x) => !valid(x));
  if (wrong !== undefined)
    throw new ConfigError(
      'TRUST_PROXY',
      `expected proxy addresses or CIDRs (e.g. 10.0.0.5,10.1.0.0/16 or loopback), got "${wrong}"`,
    );
  return list;
}
