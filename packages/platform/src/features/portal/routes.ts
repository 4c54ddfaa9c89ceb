import type { App } from '../../app.js';
import { homePage } from './home.js';

export { consoleRoutes } from './console.js';

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

/** The home page (contract §11): a page, not an API operation, so it stays out of the OpenAPI document. */
export async function homeRoutes(app: App): Promise<void> {
  app.get(
    '/',
    { schema: { hide: true, tags: ['portal'], summary: 'The home page: what the platform is and the getting-started guide (HTML)', response: { 200: html('the page') } } },
    async (_request, reply) => reply.type('text/html; charset=utf-8').send(homePage(app.platform.config.publicUrl)),
  );
}
