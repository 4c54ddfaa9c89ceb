import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { AppScopeParams, ChangesQuery, FileParams, Problem, ScopeFile, ScopeFileCreated, ScopeParams } from '@connected-cloud/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../../app.js';
import { ProblemError } from '../../infra/http/problem.js';
import { sendFileRange } from '../../infra/http/send-file.js';
import type { ScopeFilesTable } from '../../infra/store/schema.js';

/** Bodies up to 2 GiB are streamed through the ingest pipeline, never buffered. */
const MAX_FILE = 2 * 1024 ** 3;

/** The instance delivers a scope file (contract §5). */
export async function connectorFileRoutes(app: App): Promise<void> {
  const { files, auth } = app.platform;
  app.addHook('onRequest', auth.instance);
  // The body reaches the route as the request stream itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/octet-stream'], { bodyLimit: MAX_FILE }, (_request, payload, done) => done(null, payload));

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
/** A streamed body: documented by media type, sent as a stream (so not serialised against a schema). */
const streamed = (description: string, mediaType: string, schema: object) => Type.Unsafe<Readable>({ description, content: { [mediaType]: { schema } } });
const content = streamed('the JSON array', 'application/json', { type: 'array' });

/** The application reads its integration's scope files (contract §5). */
export async function fileRoutes(app: App): Promise<void> {
  const { files, auth } = app.platform;
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
    description:
      'Streamed, with ETag (the SHA-256) and Content-Length; gzip when asked with Accept-Encoding; one byte range ' +
      'with Range (206; 416 when outside the file).',
    security,
    params,
    response: { 200: content, 206: content, 304: Type.Unsafe<undefined>({ description: 'not modified' }), 401: Problem, 404: Problem, 416: Problem },
  });

  app.get('/api/files/:fileId/content', { schema: contentSchema('A file’s content', FileParams) }, async (request, reply) =>
    serve(request, reply, await files.contentOf(request.integration!, { fileId: request.params.fileId })),
  );

  app.get('/api/scopes/:scope/content', { schema: contentSchema('The content of the current file of a scope', AppScopeParams) }, async (request, reply) =>
    serve(request, reply, await files.contentOf(request.integration!, { scope: request.params.scope })),
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

  async function serve(request: FastifyRequest, reply: FastifyReply, file: ScopeFilesTable) {
    const etag = `"${file.sha256}"`;
    reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', 'private, no-cache').type('application/json');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const range = parseRange(request.headers.range, file.size);
    if (range === 'unsatisfiable') {
      throw new ProblemError(416, 'range-not-satisfiable', `The file has ${file.size} bytes`, undefined, { 'content-range': `bytes */${file.size}` });
    }
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) && !range) {
      return reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding').send(files.read(file).pipe(createGzip({ level: 1 })));
    }
    const { start, end } = range ?? { start: 0, end: file.size - 1 };
    if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${file.size}`);
    reply.header('content-length', end - start + 1);
    const local = files.localPath(file);
    if (!local || end < start) return reply.send(range ? files.read(file, range) : files.read(file));
    reply.hijack();
    reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
    await sendFileRange(reply.raw, local, start, end).catch((error: Error) => request.log.debug({ err: error }, 'download ended early'));
  }
}

/** One range of `bytes=a-b`, `a-` or `-n`; anything else (several ranges, other units) is ignored: the whole file. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
