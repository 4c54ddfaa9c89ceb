import { routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { handle } from '../../infra/http/routes.js';

/** The operator's routes (contract §9), behind the admin token. */
export async function adminRoutes(app: App): Promise<void> {
  const { instances } = app.platform;
  handle(app, routes.createInstance, async (request, reply) =>
    reply.code(201).send(await instances.create(request.body)),
  );
  handle(app, routes.listInstances, async () => instances.list());
  handle(app, routes.deleteInstance, async (request, reply) => {
    await instances.delete(request.params.instanceId);
    return reply.code(204).send();
  });
}
