import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './infra/log.js';
import { startPlatform, type RunningPlatform } from './server.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`Configuration error: ${error.message}\n`);
  process.exit(1);
}

const log = createLogger(config.logLevel);
let running: RunningPlatform | undefined;
let stopSignal: NodeJS.Signals | undefined;

function stop(): void {
  if (!running || !stopSignal) return; // a signal during start stops the platform once it is up
  log.info({ signal: stopSignal }, 'stopping');
  // Requests in flight may finish; a client that holds a connection open does not hold the process.
  setTimeout(() => {
    log.warn('requests still open after 10 s; exiting');
    process.exit(1);
  }, 10_000).unref();
  running.stop().then(
    () => process.exit(0),
    (error) => {
      log.error({ err: error }, 'stop failed');
      process.exit(1);
    },
  );
}

// Installed before the start, so that a signal is never met by the default action (an abrupt exit).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopSignal) return;
    stopSignal = signal;
    stop();
  });
}

try {
  running = await startPlatform(config, log);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`Configuration error: ${error.message}\n`);
  process.exit(1);
}
log.info({ url: config.publicUrl, store: running.platform.store.dialect, dataDir: config.dataDir }, 'platform started');
stop();
