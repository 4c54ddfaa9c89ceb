import {
  ApiKeyIssued,
  ApiKeyPending,
  ApplicationParams,
  ConnectorIntegration,
  ConsentChallenge,
  ConsentDenied,
  ConsentGranted,
  ConsentLookup,
  ConsentParams,
  IntegrationParams,
  PasscodeCreated,
  PasscodeInput,
  PasscodeParams,
  Problem,
} from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';

/** The application's side of consent: passcodes and the polling fallback (contract §3). */
export async function passcodeRoutes(app: App): Promise<void> {
  const { consent } = app.platform;

  app.post(
    '/api/developers/:developerId/applications/:applicationId/passcodes',
    {
      schema: {
        tags: ['consent'],
        summary: 'A passcode to show the user, who types it into the accounting product',
        description: 'Single use; expires after PASSCODE_TTL (15 min). At most 60 an hour per application (429 rate-limited).',
        params: ApplicationParams,
        body: PasscodeInput,
        response: { 201: PasscodeCreated, 400: Problem, 404: Problem, 429: Problem },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await consent.createPasscode(request.params.developerId, request.params.applicationId, request.body.secret)),
  );

  app.post(
    '/api/developers/:developerId/applications/:applicationId/passcodes/:passcodeId/apikey',
    {
      schema: {
        tags: ['consent'],
        summary: 'Polling fallback: the API key once the user consented',
        description:
          '202 while the user has not decided; 200 with the key that apikey.issued carried, for PASSCODE_TTL after the ' +
          'grant; 403 consent-denied; 410 passcode-expired; 401 secret-invalid.',
        params: PasscodeParams,
        body: PasscodeInput,
        response: { 200: ApiKeyIssued, 202: ApiKeyPending, 401: Problem, 403: Problem, 404: Problem, 410: Problem },
      },
    },
    async (request, reply) => {
      const { developerId, applicationId, passcodeId } = request.params;
      const answer = await consent.pollApiKey(developerId, applicationId, passcodeId, request.body.secret);
      return reply.code(answer.status).header('cache-control', 'no-store').send(answer.body);
    },
  );
}

const security = [{ instanceKey: [] }];

/** The instance's side of consent, behind X-Instance-Key. */
export async function connectorConsentRoutes(app: App): Promise<void> {
  const { consent, auth } = app.platform;
  app.addHook('onRequest', auth.instance);

  app.post(
    '/api/connector/consents',
    {
      schema: {
        tags: ['connector'],
        summary: 'Look a passcode up: the consent challenge to show the user',
        description:
          'A wrong, used or expired passcode gives 404 passcode-invalid. After 10 failed look-ups in 15 minutes the ' +
          'instance gets 429 rate-limited with Retry-After.',
        security,
        body: ConsentLookup,
        response: { 201: ConsentChallenge, 400: Problem, 401: Problem, 404: Problem, 429: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await consent.lookUp(request.instance!, request.body.passcode)),
  );

  app.post(
    '/api/connector/consents/:consentId/grant',
    {
      schema: {
        tags: ['connector'],
        summary: 'The user grants consent: the integration is created and its API key sent (apikey.issued)',
        description: 'An earlier active integration of the same application and instance is revoked (integration.revoked).',
        security,
        params: ConsentParams,
        response: { 201: ConsentGranted, 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await consent.grant(request.instance!, request.params.consentId)),
  );

  app.post(
    '/api/connector/consents/:consentId/deny',
    {
      schema: {
        tags: ['connector'],
        summary: 'The user denies consent: the passcode is dead and consent.denied is sent',
        security,
        params: ConsentParams,
        response: { 200: ConsentDenied, 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => consent.deny(request.instance!, request.params.consentId),
  );

  app.get(
    '/api/connector/integrations',
    {
      schema: {
        tags: ['connector'],
        summary: "This instance's integrations, newest first",
        security,
        response: { 200: Type.Array(ConnectorIntegration), 401: Problem },
      },
    },
    async (request) => consent.listIntegrations(request.instance!),
  );

  app.delete(
    '/api/connector/integrations/:integrationId',
    {
      schema: {
        tags: ['connector'],
        summary: 'Revoke an integration: its keys answer 401 api-key-revoked and integration.revoked is sent',
        security,
        params: IntegrationParams,
        response: { 204: Type.Null(), 401: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      await consent.revoke(request.instance!, request.params.integrationId);
      return reply.code(204).send(null);
    },
  );
}
