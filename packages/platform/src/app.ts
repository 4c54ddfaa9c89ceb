import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import { onboardingApiRoutes, registrationPageRoutes } from './features/onboarding/routes.js';
import { opsRoutes } from './features/ops/routes.js';
import { solutionRoutes } from './features/solutions/routes.js';
import { installErrorHandling } from './infra/http/errors.js';
import { installValidation } from './infra/http/validation.js';
import { newToken } from './infra/secrets/random.js';
import type { Platform } from './platform.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform;
  }
}

/** JSON bodies of the API are small; scope files and uploads (streamed) set their own limits. */
const JSON_BODY_LIMIT = 1024 * 1024;

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
  app.removeContentTypeParser('text/plain'); // the API speaks JSON; anything else is 415
  installValidation(app);
  installErrorHandling(app);

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
      tags: [
        { name: 'onboarding', description: 'Developers, applications and the registration page' },
        { name: 'solutions', description: 'Published solutions and their JSON Schemas' },
        { name: 'operations', description: 'Health, readiness and this document' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  await app.register(opsRoutes);
  await app.register(solutionRoutes);
  await app.register(onboardingApiRoutes);
  await app.register(registrationPageRoutes);
  return app;
}
