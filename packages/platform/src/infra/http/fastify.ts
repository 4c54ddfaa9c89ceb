import './hidden.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { Platform } from '../../platform.js';

/**
 * The Fastify instance as route plugins see it. Kept apart from app.ts, which registers the route plugins, so
 * that no route file imports the module that imports it.
 */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform;
    /** Every route registered, as "METHOD /path" (OpenAPI spelling), but those hidden from the document. */
    registeredRoutes: Set<string>;
  }
}
