import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Problem } from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../app.js';
import { ProblemError } from '../../infra/http/problem.js';

const altchaScript = fileURLToPath(import.meta.resolve('altcha'));

export async function opsRoutes(app: App): Promise<void> {
  const { store, blobs } = app.platform;

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

  app.get('/assets/altcha.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(fs.createReadStream(altchaScript)),
  );
}
