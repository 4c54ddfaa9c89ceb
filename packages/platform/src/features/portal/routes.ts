import { routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { handle } from '../../infra/http/routes.js';
import { homePage } from './home.js';

export { consoleRoutes } from './console.js';

/** The home page (contract §11). */
export async function homeRoutes(app: App): Promise<void> {
  handle(app, routes.getHomePage, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(homePage(app.platform.config.publicUrl)),
  );
}
