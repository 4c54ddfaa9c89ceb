import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './infra/log.js';
import { startPlatform, type RunningPlatform } from './server.js';

/** A configuration error, found on reading the environment or at start, ends the process with its message. */
function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`Configuration error: ${error.message}\n`);
  process.exit(1);
}

function configured(): Config {
  try {
    return loadConfig();
  } catch (error) {
    exitOnConfigError(error);
  }
}
const config = configured();

const log = createLogger(config.logLevel);
const grace = config.shutdownGrace;
let running: RunningPlatform | undefined;
let stopSignal: NodeJS.Signals | undefined;

function stop(): void {
  if (!running || !stopSignal) return; // a signal during start stops the platform once it is up
  log.info({ signal: stopSignal }, 'stopping');
  // Requests in flight and jobs in hand may finish, for SHUTDOWN_GRACE; a client that holds an idle connection
  // open does not hold the process. Past it, the jobs still in hand go back to the queue at once (rather than
  // when their leases end), for another process to take, and the process exits.
  const platform = running.platform;
  setTimeout(() => {
    log.warn(`still busy after ${grace} s (SHUTDOWN_GRACE): exiting, jobs in hand handed back`);
    const handedBack = platform.queue.abandon().catch((error: unknown) => {
      log.warn({ err: error }, 'jobs in hand not handed back: they return when their leases end');
    });
    void Promise.race([handedBack, new Promise((r) => setTimeout(r, 2_000))]).finally(() => process.exit(1));
  }, grace * 1000).unref();
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

// Not a top-level await: the bundle this file becomes is CommonJS (scripts/bundle.mjs). A failure other than the
// configuration's is thrown, as an unhandled rejection, and ends the process with its stack.
async function start(): Promise<void> {
  try {
    running = await startPlatform(config, log);
  } catch (error) {
    exitOnConfigError(error);
  }
  log.info(
    { url: config.publicUrl, store: running.platform.store.dialect, dataDir: config.dataDir },
    'platform started',
  );
  stop();
}
void start();
