import { Readable } from 'node:stream';
import { AppScopeParams, ChangesQuery, FileParams, Problem, ScopeFile, ScopeFileCreated, ScopeParams } from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';
import { MAX_FILE, STORED_DESCRIPTION, acceptStreamedJson, sendStored, storedResponses, streamed } from '../../infra/http/streaming.js';

/** The instance delivers a scope file (contract §5). */
export async function connectorFileRoutes(app: App): Promise<void> {
  const { files, auth } = app.platform;
  app.addHook('onRequest', auth.instance);
  acceptStreamedJson(app);

  app.put(
    '/api/connector/solutions/:domain/scopes/:scope',
    {
      bodyLimit: MAX_FILE,
      schema: {
        tags: ['connector'],
        summary: 'Deliver the full snapshot of a scope: a JSON array of records, streamed',
        description:
          'Every record is validated against the scope’s JSON Schema while the body streams in. An invalid file is ' +
          'refused with 422 schema-invalid (up to 100 pointers such as /12/email, and errorCount) and changes nothing; ' +
          'a body that is not JSON gives 400. The new file becomes current and file.available is sent to every ' +
          'active integration of this instance on the solution.',
        security: [{ instanceKey: [] }],
        params: ScopeParams,
        consumes: ['application/json'],
        response: { 201: ScopeFileCreated, 400: Problem, 401: Problem, 404: Problem, 413: Problem, 415: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const body = request.body as Readable;
      return reply.code(201).send(await files.put(request.instance!, request.params.domain, request.params.scope, body));
    },
  );
}

const security = [{ apiKey: [] }];

/** The application reads its integration's scope files (contract §5). */
export async function fileRoutes(app: App): Promise<void> {
  const { files, auth, blobs } = app.platform;
  app.addHook('onRequest', auth.apiKey);

  app.get(
    '/api/files',
    { schema: { tags: ['files'], summary: 'The current file of every scope', security, response: { 200: Type.Array(ScopeFile), 401: Problem } } },
    async (request) => files.list(request.integration!),
  );

  app.get(
    '/api/files/:fileId',
    { schema: { tags: ['files'], summary: 'A file’s metadata', security, params: FileParams, response: { 200: ScopeFile, 401: Problem, 404: Problem } } },
    async (request) => files.get(request.integration!, request.params.fileId),
  );

  const contentSchema = <P extends typeof FileParams | typeof AppScopeParams>(summary: string, params: P) => ({
    tags: ['files'],
    summary,
    description: STORED_DESCRIPTION,
    security,
    params,
    response: storedResponses('the JSON array of records'),
  });

  app.get('/api/files/:fileId/content', { schema: contentSchema('A file’s content', FileParams) }, async (request, reply) =>
    sendStored(request, reply, blobs, await files.contentOf(request.integration!, { fileId: request.params.fileId })),
  );

  app.get('/api/scopes/:scope/content', { schema: contentSchema('The content of the current file of a scope', AppScopeParams) }, async (request, reply) =>
    sendStored(request, reply, blobs, await files.contentOf(request.integration!, { scope: request.params.scope })),
  );

  app.get(
    '/api/files/:fileId/changes',
    {
      schema: {
        tags: ['files'],
        summary: 'What changed since an older version, one NDJSON line per record: added, updated or removed',
        description: 'Records are matched by their id. Lines come in no particular order.',
        security,
        params: FileParams,
        querystring: ChangesQuery,
        response: {
          200: streamed('one Change per line', 'application/x-ndjson', { type: 'string' }),
          400: Problem,
          401: Problem,
          404: Problem,
        },
      },
    },
    async (request, reply) => {
      const lines = await files.changes(request.integration!, request.params.fileId, request.query.since);
      return reply.type('application/x-ndjson').send(Readable.from(lines));
    },
  );
}
