import { routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { handle } from '../../infra/http/routes.js';

/** API keys (contract §4): rotation needs no valid key, as it is how an expired one is replaced. */
export async function apiKeyRoutes(app: App): Promise<void> {
  const { apikeys, consent } = app.platform;
  handle(app, routes.rotateApiKey, async (request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .send(await apikeys.rotate(request.body.initialApikey, consent.secretHash, request.body.secret)),
  );
  handle(app, routes.getIntegration, async (request) => apikeys.integration(request.integration!));
}
