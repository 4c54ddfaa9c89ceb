import { Instance, InstanceCreated, InstanceInput, InstanceParams, Problem } from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';

const security = [{ adminToken: [] }];

/** The operator's routes (contract §9), behind the admin token. */
export async function adminRoutes(app: App): Promise<void> {
  const { instances, auth } = app.platform;
  app.addHook('onRequest', auth.admin);

  app.post(
    '/api/admin/instances',
    {
      schema: {
        tags: ['admin'],
        summary: 'Provision an instance of an accounting product; its key is shown once',
        security,
        body: InstanceInput,
        response: { 201: InstanceCreated, 400: Problem, 401: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await instances.create(request.body)),
  );

  app.get(
    '/api/admin/instances',
    { schema: { tags: ['admin'], summary: 'The instances', security, response: { 200: Type.Array(Instance), 401: Problem } } },
    async () => instances.list(),
  );

  app.delete(
    '/api/admin/instances/:instanceId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete an instance: its key stops working and its integrations are revoked',
        security,
        params: InstanceParams,
        response: { 204: Type.Null(), 401: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      await instances.delete(request.params.instanceId);
      return reply.code(204).send(null);
    },
  );
}
