import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import {
  isStreamBody,
  type Credential,
  type JsonResponse,
  type RouteDefinition,
  type SuccessStatus,
} from '@connected-cloud/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, FastifySchema, RawServerDefault, RouteGenericInterface } from 'fastify';
import type { Static, TSchema } from 'typebox';
import type { App } from './fastify.js';
import { invalidRequest } from './problem.js';
import { MAX_FILE, acceptStreamedJson } from './streaming.js';

/** The Fastify schema a route's request is validated (and typed) against. */
interface RequestSchema<R extends RouteDefinition> extends FastifySchema {
  params: R['params'];
  querystring: R['query'];
  headers: R['headers'];
  body: R['body'] extends TSchema ? (R['body'] extends { kind: 'stream' } ? undefined : R['body']) : undefined;
}

export type RouteRequest<R extends RouteDefinition> = FastifyRequest<
  RouteGenericInterface,
  RawServerDefault,
  IncomingMessage,
  RequestSchema<R>,
  TypeBoxTypeProvider
> & { body: R['body'] extends { kind: 'stream' } ? Readable : unknown };

type JsonOf<X> = X extends JsonResponse<infer S> ? Static<S> : never;
/** What a handler may return: the JSON of one of its route's success answers, or the reply it sent itself. */
type Answer<R extends RouteDefinition> = JsonOf<R['responses'][SuccessStatus<R>]> | FastifyReply | void;

export type RouteHandler<R extends RouteDefinition> = (
  request: RouteRequest<R>,
  reply: FastifyReply,
) => Promise<Answer<R>>;

/** The path in Fastify's spelling: {fileId} → :fileId. */
export const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * Registers a handler for one route of the contract's table: its method and path, the schemas its request is
 * validated against, the one auth hook of its credential kind, and for a streamed body the parser that hands the
 * request stream to the handler (a request without a body answers 400). No path is written anywhere else.
 */
export function handle<const R extends RouteDefinition>(app: App, route: R, handler: RouteHandler<R>): void {
  const streamed = isStreamBody(route.body);
  const hook = authHook(app, route.auth);
  const options = {
    method: route.method,
    url: fastifyPath(route.path),
    ...(streamed ? { bodyLimit: MAX_FILE } : {}),
    ...(hook ? { onRequest: hook } : {}),
    schema: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { querystring: route.query } : {}),
      ...(route.headers ? { headers: route.headers } : {}),
      ...(route.body && !streamed ? { body: route.body } : {}),
      response: jsonResponses(route),
    },
    config: { operationId: route.operationId },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      if (streamed && request.body === undefined)
        throw invalidRequest('The body is missing: send a JSON array of records');
      return handler(request as RouteRequest<R>, reply);
    },
  };
  if (!streamed) {
    app.route(options);
    return;
  }
  // Content-type parsers belong to a plugin: the streaming one is confined to this route.
  app.register(async (child: App) => {
    acceptStreamedJson(child);
    child.route(options);
  });
}

function authHook(app: App, credential: Credential) {
  const { auth } = app.platform;
  return credential === 'none' ? undefined : auth[credential];
}

/** The JSON answers Fastify serialises against their schema (fast and never leaking a field not described). */
function jsonResponses(route: RouteDefinition): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (spec.kind === 'json' && !spec.contentType) out[Number(status)] = spec.schema;
  }
  return out;
}
