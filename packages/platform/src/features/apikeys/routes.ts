import { ApiKeyRotated, ApiKeyRotation, Integration, Problem } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';

/** PATCH /api/apikey needs no valid key: it is how an expired one is replaced. */
export async function apiKeyRotationRoutes(app: App): Promise<void> {
  const { apikeys, consent } = app.platform;
  app.patch(
    '/api/apikey',
    {
      schema: {
        tags: ['apikeys'],
        summary: 'Rotate an API key, expired or not',
        description:
          'The replaced key stays valid for APIKEY_GRACE (24 h; 0 if it had expired). Repeating the call within ' +
          'APIKEY_GRACE returns the same new key. 401 secret-invalid for a wrong secret, api-key-revoked for a revoked integration.',
        body: ApiKeyRotation,
        response: { 200: ApiKeyRotated, 400: Problem, 401: Problem },
      },
    },
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await apikeys.rotate(request.body.initialApikey, consent.secretHash, request.body.secret)),
  );
}

/** Routes an application calls with its API key. */
export async function integrationRoutes(app: App): Promise<void> {
  const { apikeys, auth } = app.platform;
  app.addHook('onRequest', auth.apiKey);
  app.get(
    '/api/integration',
    {
      schema: {
        tags: ['apikeys'],
        summary: 'The integration this API key belongs to',
        security: [{ apiKey: [] }],
        response: { 200: Integration, 401: Problem },
      },
    },
    async (request) => apikeys.integration(request.integration!),
  );
}
