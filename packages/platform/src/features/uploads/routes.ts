import { routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { handle } from '../../infra/http/routes.js';
import { sendStored } from '../../infra/http/streaming.js';
import { retryAfter } from './status.js';

/** Uploads (contract §6): the application sends and tracks them; the instance processes them and leaves a result. */
export async function uploadRoutes(app: App): Promise<void> {
  const { uploads, blobs, limits } = app.platform;

  handle(app, routes.createUpload, async (request, reply) => {
    await limits.consume(
      'uploadsPerIntegration',
      request.integration!.integrationId,
      'This integration sent too many uploads: try again later',
    );
    const headers = {
      idempotencyKey: request.headers['idempotency-key'],
      contentDigest: request.headers['content-digest'],
    };
    const created = await uploads.create(request.integration!, request.query, headers, request.body);
    if (created.code === 200) return reply.code(200).send(created.body);
    if (created.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(202).send(created.body);
  });
  handle(app, routes.listUploads, async (request) => uploads.list(request.integration!, request.query));
  handle(app, routes.getTracking, async (request, reply) => {
    const tracking = await uploads.tracking(request.integration!, request.params.fileId);
    const wait = retryAfter(tracking.status);
    if (wait !== undefined) reply.header('retry-after', wait);
    return tracking;
  });
  handle(app, routes.getUploadResult, async (request, reply) =>
    sendStored(request, reply, blobs, await uploads.resultOf(request.integration!, request.params.fileId)),
  );

  handle(app, routes.getInbox, async (request) => uploads.inbox(request.instance!, request.query.wait));
  handle(app, routes.claimUpload, async (request) => uploads.claim(request.instance!, request.params.fileId));
  handle(app, routes.getUploadContent, async (request, reply) =>
    sendStored(request, reply, blobs, await uploads.contentOf(request.instance!, request.params.fileId)),
  );
  handle(app, routes.reportProgress, async (request) =>
    uploads.progress(request.instance!, request.params.fileId, request.body),
  );
  handle(app, routes.putUploadResult, async (request) =>
    uploads.result(request.instance!, request.params.fileId, request.query.status, request.body),
  );
}
