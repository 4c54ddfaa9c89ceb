import { ConnectorConfigError, loadConfig, type ConnectorConfig } from './config.js';
import { startConnector, type RunningConnector } from './connector.js';
import { createLogger } from './log.js';

function configured(): ConnectorConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConnectorConfigError)) throw error;
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(1);
  }
}
const config = configured();
const log = createLogger(config.logLevel);
// Set once started, read by the signal handlers below.
let running: RunningConnector | undefined;
let stopping = false;

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), 10_000).unref();
    void (running?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// Not a top-level await: the bundle this file becomes is CommonJS (scripts/bundle.mjs).
async function start(): Promise<void> {
  running = await startConnector(config, log);
  log.info(
    { url: running.url, platform: config.platformUrl, dataDir: config.dataDir },
    'connector started: open its page to enable an integration',
  );
  if (stopping) await running.stop();
}
void start();
