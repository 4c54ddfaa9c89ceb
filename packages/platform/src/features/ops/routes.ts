import { Problem } from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';
import { ProblemError } from '../../infra/http/problem.js';

export async function opsRoutes(app: App): Promise<void> {
  const { store, blobs, metrics } = app.platform;

  app.get(
    '/health',
    { schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'The store and the file storage are reachable',
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: Problem },
      },
    },
    async (request) => {
      try {
        await store.ping();
        await blobs.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'not ready');
        throw new ProblemError(503, 'not-ready', 'The store or the file storage cannot be reached', undefined, { 'retry-after': '5' });
      }
      return { status: 'ready' as const };
    },
  );

  app.get(
    '/openapi.json',
    { schema: { tags: ['operations'], summary: 'This OpenAPI 3.1 document', response: { 200: Type.Object({}, { additionalProperties: true }) } } },
    async (_request, reply) => reply.type('application/json').serializer(JSON.stringify).send(app.swagger()),
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics: the process, HTTP requests by route, webhook attempts, the job queue, uploads by status',
        response: { 200: Type.Unsafe<string>({ description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }) },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  // Made on first request (the converter is large), from this very document, then kept.
  let postman: Promise<unknown> | undefined;
  app.get(
    '/postman.json',
    { schema: { tags: ['operations'], summary: 'A Postman collection of this API, made from the OpenAPI document (folders by tag)', response: { 200: Type.Object({}, { additionalProperties: true }) } } },
    async (_request, reply) => {
      postman ??= postmanCollection(app.swagger()).catch((error: unknown) => {
        postman = undefined;
        throw error;
      });
      return reply.type('application/json').serializer(JSON.stringify).send((await postman) as object);
    },
  );
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
