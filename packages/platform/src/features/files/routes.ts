import { Readable } from 'node:stream';
import { routes } from '@connected-cloud/contract';
import type { App } from '../../app.js';
import { handle } from '../../infra/http/routes.js';
import { sendStored } from '../../infra/http/streaming.js';

/** Scope files (contract §5): the instance delivers them, the application reads its integration's. */
export async function fileRoutes(app: App): Promise<void> {
  const { files, blobs } = app.platform;

  handle(app, routes.putScopeFile, async (request, reply) =>
    reply.code(201).send(await files.put(request.instance!, request.params.domain, request.params.scope, request.body)),
  );

  handle(app, routes.listFiles, async (request) => files.list(request.integration!));
  handle(app, routes.getFile, async (request) => files.get(request.integration!, request.params.fileId));
  handle(app, routes.getFileContent, async (request, reply) =>
    sendStored(request, reply, blobs, await files.contentOf(request.integration!, { fileId: request.params.fileId })),
  );
  handle(app, routes.getScopeContent, async (request, reply) =>
    sendStored(request, reply, blobs, await files.contentOf(request.integration!, { scope: request.params.scope })),
  );
  handle(app, routes.getFileChanges, async (request, reply) => {
    const lines = await files.changes(request.integration!, request.params.fileId, request.query.since);
    return reply.type('application/x-ndjson').send(Readable.from(lines));
  });
}
