import { routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { ProblemError } from '../../infra/http/problem.js';
import { handle } from '../../infra/http/routes.js';

export async function opsRoutes(app: App): Promise<void> {
  const { store, blobs, metrics } = app.platform;

  handle(app, routes.getHealth, async () => ({ status: 'ok' as const }));
  handle(app, routes.getReadiness, async (request) => {
    if (!app.platform.started)
      throw new ProblemError(503, 'not-ready', 'The platform is starting', undefined, { 'retry-after': '1' });
    try {
      await store.ping();
      await blobs.ping();
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      throw new ProblemError(503, 'not-ready', 'The store or the file storage cannot be reached', undefined, {
        'retry-after': '5',
      });
    }
    return { status: 'ready' as const };
  });
  handle(app, routes.getMetrics, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
