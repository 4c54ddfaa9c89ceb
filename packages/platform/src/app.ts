import type { Socket } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { adminRoutes } from './features/admin/routes.js';
import { apiKeyRoutes } from './features/apikeys/routes.js';
import { consentRoutes } from './features/consent/routes.js';
import { eventRoutes } from './features/events/routes.js';
import { fileRoutes } from './features/files/routes.js';
import { uploadRoutes } from './features/uploads/routes.js';
import { onboardingApiRoutes, registrationPageRoutes } from './features/onboarding/routes.js';
import { opsRoutes } from './features/ops/routes.js';
import { referenceRoutes } from './features/reference/routes.js';
import { solutionRoutes } from './features/solutions/routes.js';
import { consoleRoutes, homeRoutes } from './features/portal/routes.js';
import { installContentDecoding } from './infra/http/encoding.js';
import { MAX_PARAM_LENGTH, clientErrorHandler, frameworkErrors, installErrorHandling } from './infra/http/errors.js';
import type { App } from './infra/http/fastify.js';
import { installPages } from './infra/http/pages/index.js';
import { ProblemError } from './infra/http/problem.js';
import { installSchemaCompilers } from './infra/http/schema-compilers.js';
import { RequestLog, requestIds, requestLogger } from './infra/log.js';
import type { Platform } from './platform.js';

export type { App } from './infra/http/fastify.js';

/** JSON bodies of the API are small; scope files and uploads (streamed) set their own limits. */
const JSON_BODY_LIMIT = 1024 * 1024;

export async function buildApp(platform: Platform): Promise<App> {
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- without it Fastify infers pino's Logger as its logger type
    loggerInstance: platform.log as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    genReqId: requestIds(),
    logController: new RequestLog(platform.log),
    childLoggerFactory: requestLogger,
    return503OnClosing: true,
    trustProxy: platform.config.trustProxy ?? false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors((method, status, seconds) =>
      platform.metrics.request(method, 'unmatched', status, seconds),
    ),
    clientErrorHandler: clientErrorHandler(platform.log as FastifyBaseLogger, (status) =>
      platform.metrics.request('UNKNOWN', 'unparsed', status, 0),
    ),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('platform', platform);
  app.decorate('registeredRoutes', new Set<string>());
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide || route.url.startsWith('/docs')) return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') app.registeredRoutes.add(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    }
  });
  // Until the platform has started (the blob sweep, the queue), only the operations routes answer: the API says
  // 503 with Retry-After, so that no request races the start (and /ready says 503 too, features/ops/routes.ts).
  // Hooks of every request are callback-style: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (!platform.started && /^\/(api|register)\//.test(request.url)) {
      done(
        new ProblemError(503, 'not-ready', 'The platform is starting: try again in a moment', undefined, {
          'retry-after': '1',
        }),
      );
      return;
    }
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    platform.metrics.request(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  // A stop lets the requests in flight finish, but Node then keeps their connections open (keep-alive) until the
  // client lets go or keepAliveTimeout (72 s) ends them, and a proxy's pool holds them for many seconds: the
  // stop waited on them. Each is closed as soon as it is idle, until the server has closed.
  // A connection that has not sent a byte is not idle to Node, and no timeout ends it: browsers preconnect such
  // sockets, health checks and scanners leave them, and one held the stop for ever. Those are closed too.
  const connections = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  app.addHook('preClose', (done) => {
    const sweep = setInterval(() => {
      app.server.closeIdleConnections();
      for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
    }, 50).unref();
    app.server.once('close', () => clearInterval(sweep));
    done();
  });
  app.decorateRequest('instance', null);
  app.decorateRequest('integration', null);
  app.decorateRequest('developer', null);
  app.removeContentTypeParser('text/plain'); // the API speaks JSON; anything else is 415
  installSchemaCompilers(app);
  installErrorHandling(app);
  installContentDecoding(app);
  installPages(app);

  await app.register(opsRoutes);
  await app.register(consoleRoutes);
  await app.register(referenceRoutes);
  await app.register(homeRoutes);
  await app.register(solutionRoutes);
  await app.register(onboardingApiRoutes);
  await app.register(registrationPageRoutes);
  await app.register(consentRoutes);
  await app.register(apiKeyRoutes);
  await app.register(eventRoutes);
  await app.register(fileRoutes);
  await app.register(uploadRoutes);
  await app.register(adminRoutes);
  return app;
}
