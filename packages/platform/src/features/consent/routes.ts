import { routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { handle } from '../../infra/http/routes.js';

/** Consent (contract §3): the application's passcodes and polling fallback, the instance's look-up and decision. */
export async function consentRoutes(app: App): Promise<void> {
  const { consent } = app.platform;

  handle(app, routes.createPasscode, async (request, reply) =>
    reply
      .code(201)
      .send(
        await consent.createPasscode(request.params.developerId, request.params.applicationId, request.body.secret),
      ),
  );
  handle(app, routes.pollApiKey, async (request, reply) => {
    const { developerId, applicationId, passcodeId } = request.params;
    const answer = await consent.pollApiKey(developerId, applicationId, passcodeId, request.body.secret);
    return reply.code(answer.status).header('cache-control', 'no-store').send(answer.body);
  });

  handle(app, routes.lookUpConsent, async (request, reply) =>
    reply.code(201).send(await consent.lookUp(request.instance!, request.body.passcode)),
  );
  handle(app, routes.grantConsent, async (request, reply) =>
    reply.code(201).send(await consent.grant(request.instance!, request.params.consentId)),
  );
  handle(app, routes.denyConsent, async (request) => consent.deny(request.instance!, request.params.consentId));
  handle(app, routes.listConnectorIntegrations, async (request) => consent.listIntegrations(request.instance!));
  handle(app, routes.revokeIntegration, async (request, reply) => {
    await consent.revoke(request.instance!, request.params.integrationId);
    return reply.code(204).send();
  });
}
