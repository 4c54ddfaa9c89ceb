import { builtInSolutions, routeList, routes } from '@connected-cloud/contract';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { App } from '../../app.js';
import { handle } from '../../infra/http/routes.js';
import { openApiDocument } from './openapi.js';

/** The descriptions of the API: the OpenAPI document, the Postman collection and the reference UI. */
export async function referenceRoutes(app: App): Promise<void> {
  const document = openApiDocument({ publicUrl: app.platform.config.publicUrl, routes: routeList, solutions: builtInSolutions });
  const body = JSON.stringify(document);
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  handle(app, routes.getOpenApi, async (_request, reply) => reply.type('application/json').send(body));

  // Made on first request (the converter is large), from this very document, then kept.
  let postman: Promise<unknown> | undefined;
  handle(app, routes.getPostmanCollection, async (_request, reply) => {
    postman ??= postmanCollection(document).catch((error: unknown) => {
      postman = undefined;
      throw error;
    });
    return reply.type('application/json').send(JSON.stringify(await postman));
  });
}

async function postmanCollection(openapi: unknown): Promise<unknown> {
  const { default: converter } = await import('openapi-to-postmanv2');
  return new Promise((resolve, reject) =>
    converter.convert({ type: 'json', data: openapi as object }, { folderStrategy: 'Tags', requestParametersResolution: 'Example' }, (error, result) => {
      if (error) return reject(error);
      const collection = result?.result ? result.output?.[0]?.data : undefined;
      if (!collection) return reject(new Error(result?.reason ?? 'the OpenAPI document could not be converted'));
      resolve(collection);
    }),
  );
}
