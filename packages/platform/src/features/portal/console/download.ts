import type { App } from '../../../infra/http/fastify.js';
import { sendStored, type Stored } from '../../../infra/http/streaming.js';
import { type Console, hide, notFound } from './shared.js';

/** A stored file of the developer's, and the name the browser saves it under. */
export interface Download extends Stored {
  filename: string;
}

/**
 * A GET route that serves one of the developer's stored files as an attachment. `find` looks the file up by the
 * route's parameters within the developer's own rows: undefined (anyone else's, or none) is a 404.
 */
export function downloadRoute<Params>(
  app: App,
  c: Console,
  url: string,
  find: (developerId: string, params: Params) => Promise<Download | undefined>,
): void {
  app.get(url, hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const file = await find(who.session.developerId, request.params as Params);
    if (!file) throw notFound();
    reply.header('content-disposition', `attachment; filename="${file.filename}"`);
    return sendStored(request, reply, app.platform.blobs, file);
  });
}
