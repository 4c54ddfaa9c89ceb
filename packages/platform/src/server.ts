import type { Logger } from 'pino';
import { buildApp, type App } from './app.js';
import type { Config } from './config.js';
import type { Clock } from './infra/clock.js';
import { createLogger } from './infra/log.js';
import { createPlatform, type Platform } from './platform.js';

export interface RunningPlatform {
  app: App;
  platform: Platform;
  url: string;
  stop(): Promise<void>;
}

/**
 * config → store → app → listen → background work; stop() closes in reverse order, letting requests in flight
 * and jobs in hand finish. Between listen and the end of the start, /health answers and /ready and the API
 * answer 503 with Retry-After (app.ts): a probe or a client waits for /ready.
 */
export async function startPlatform(
  config: Config,
  log: Logger = createLogger(config.logLevel),
  opts: { clock?: Clock } = {},
): Promise<RunningPlatform> {
  const platform = await createPlatform(config, log, opts);
  let app: App;
  try {
    app = await buildApp(platform);
    await app.listen({ port: config.port, host: config.host });
    await platform.start();
  } catch (error) {
    await platform.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    platform,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    async stop() {
      await platform.inbox.stop(); // long polls answer now rather than hold the close up
      await app.close();
      await platform.close();
    },
  };
}
