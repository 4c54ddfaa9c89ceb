import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EventTypes, eventBody } from '@connected-cloud/contract';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import { adminRoutes } from './features/admin/routes.js';
import { apiKeyRotationRoutes, integrationRoutes } from './features/apikeys/routes.js';
import { connectorConsentRoutes, passcodeRoutes } from './features/consent/routes.js';
import { eventLogRoutes, eventRoutes } from './features/events/routes.js';
import { connectorFileRoutes, fileRoutes } from './features/files/routes.js';
import { connectorUploadRoutes, uploadRoutes } from './features/uploads/routes.js';
import { onboardingApiRoutes, registrationPageRoutes } from './features/onboarding/routes.js';
import { opsRoutes } from './features/ops/routes.js';
import { solutionRoutes } from './features/solutions/routes.js';
import { consoleRoutes, homeRoutes } from './features/portal/routes.js';
import { installErrorHandling } from './infra/http/errors.js';
import { installPages } from './infra/http/pages/index.js';
import { installValidation } from './infra/http/validation.js';
import { newToken } from './infra/secrets/random.js';
import type { Platform } from './platform.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform;
    /** Every route registered, as "METHOD /path" (OpenAPI spelling), but those hidden from the document. */
    registeredRoutes: Set<string>;
  }
}

/** JSON bodies of the API are small; scope files and uploads (streamed) set their own limits. */
const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * The events as OpenAPI 3.1 webhooks: what the platform POSTs to a notificationUrl, with the Standard Webhooks
 * headers that sign it.
 */
function eventWebhooks() {
  const header = (description: string) => ({ in: 'header' as const, required: true, schema: { type: 'string' as const }, description });
  return Object.fromEntries(
    EventTypes.map((type) => [
      type,
      {
        post: {
          summary: `${type} event`,
          parameters: [
            { name: 'webhook-id', ...header('the event ID (evt_…), the same on every retry') },
            { name: 'webhook-timestamp', ...header('seconds since the epoch, of this attempt') },
            { name: 'webhook-signature', ...header('v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"> keyed with the whsec_ secret') },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: eventBody(type) as object } } },
          responses: {
            '2XX': { description: 'delivered' },
            '410': { description: 'stops all delivery to this URL' },
            default: { description: 'retried on the schedule; Retry-After is honoured on 429 and 503' },
          },
        },
      },
    ]),
  );
}

export async function buildApp(platform: Platform): Promise<App> {
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    genReqId: () => `req_${newToken().slice(0, 16)}`,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('platform', platform);
  app.decorate('registeredRoutes', new Set<string>());
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide || route.url.startsWith('/docs')) return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') app.registeredRoutes.add(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    platform.metrics.request(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.decorateRequest('instance', null);
  app.decorateRequest('integration', null);
  app.decorateRequest('developer', null);
  app.removeContentTypeParser('text/plain'); // the API speaks JSON; anything else is 415
  installValidation(app);
  installErrorHandling(app);
  installPages(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Connected Cloud',
        version: '0.1.0',
        description:
          'Links third-party applications to accounting products by exchanging files. Errors are RFC 9457 problem ' +
          'documents (application/problem+json) whose `code` names the cause.',
      },
      servers: [{ url: platform.config.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'an integration’s API key (cck_…); Authorization: Bearer also works' },
          instanceKey: { type: 'apiKey', in: 'header', name: 'X-Instance-Key', description: 'an instance key (cci_…)' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'the operator’s admin token' },
          developerToken: { type: 'http', scheme: 'bearer', description: 'a developer token (ccd_…), created in the console at /portal/tokens' },
        },
      },
      webhooks: eventWebhooks() as never, // the plugin's types do not spell 3.1 webhooks; it passes them through
      tags: [
        { name: 'onboarding', description: 'Developers, applications and the registration page' },
        { name: 'solutions', description: 'Published solutions and their JSON Schemas' },
        { name: 'consent', description: 'Passcodes and the polling fallback (application side)' },
        { name: 'connector', description: 'Routes of the accounting-product instance (X-Instance-Key)' },
        { name: 'apikeys', description: 'API key rotation and the integration of a key' },
        { name: 'files', description: 'Scope files: the instance’s data, downloaded by the application' },
        { name: 'uploads', description: 'Uploads: files the application sends for the instance to process, tracked to their result' },
        { name: 'events', description: 'Events sent to the notificationUrl, and their delivery log' },
        { name: 'admin', description: 'Operator routes (admin token)' },
        { name: 'operations', description: 'Health, readiness and this document' },
        { name: 'portal', description: 'The home page, the developer console (HTML) and the developer API (developer tokens)' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  await app.register(opsRoutes);
  await app.register(homeRoutes);
  await app.register(consoleRoutes);
  await app.register(solutionRoutes);
  await app.register(onboardingApiRoutes);
  await app.register(registrationPageRoutes);
  await app.register(eventRoutes);
  await app.register(passcodeRoutes);
  await app.register(connectorConsentRoutes);
  await app.register(apiKeyRotationRoutes);
  await app.register(integrationRoutes);
  await app.register(eventLogRoutes);
  await app.register(adminRoutes);
  await app.register(connectorFileRoutes);
  await app.register(fileRoutes);
  await app.register(uploadRoutes);
  await app.register(connectorUploadRoutes);
  return app;
}
