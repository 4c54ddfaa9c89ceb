import { builtInSolutions, routeList, routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { handle } from '../../infra/http/routes.js';
import { docsPage } from './docs-page.js';
import { guidePage } from './guide-page.js';
import { openApiDocument } from './openapi.js';
import { postmanCollection } from './postman.js';

/** The descriptions of the API: the OpenAPI document, the Postman collection and the reference UI. */
export async function referenceRoutes(app: App): Promise<void> {
  const document = openApiDocument({
    publicUrl: app.platform.config.publicUrl,
    routes: routeList,
    solutions: builtInSolutions,
  });
  const body = JSON.stringify(document);
  docsPage(app);
  guidePage(app);

  handle(app, routes.getOpenApi, async (_request, reply) => reply.type('application/json').send(body));

  const collection = JSON.stringify(postmanCollection(document));
  handle(app, routes.getPostmanCollection, async (_request, reply) => reply.type('application/json').send(collection));
}
