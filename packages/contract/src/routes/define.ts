import type { Static, TObject, TSchema } from 'typebox';
import type { ProblemCode } from '../common.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: nobody in particular, an integration's API key, an instance key, the admin token, a
 * developer token (ccd_…, made in the console).
 */
export type Credential = 'none' | 'apiKey' | 'instanceKey' | 'adminToken' | 'developerToken';

/** The tags of the OpenAPI document, in the guide's order. */
export const Tags = {
  onboarding: 'Developers, applications and the registration page',
  solutions: 'Published solutions and the JSON Schemas of their records',
  consent: 'Passcodes and the polling fallback (the application’s side of consent)',
  apikeys: 'API key rotation and the integration of a key',
  files: 'Scope files: the instance’s data, downloaded by the application',
  uploads: 'Uploads: files the application sends for the instance to process, tracked to their result',
  events: 'Events sent to the notificationUrl, and their delivery log',
  connector: 'Routes of the accounting-product instance (X-Instance-Key)',
  admin: 'Operator routes (admin token)',
  operations: 'Health, readiness, metrics and the descriptions of this API',
  portal: 'The home page, the developer console (HTML) and the developer API (developer tokens)',
} as const;
export type Tag = keyof typeof Tags;

/** Headers a route's own logic adds to an answer, by name, with what they mean (the common ones are added by the
 * OpenAPI generator: X-Request-Id, Retry-After, the download headers). */
interface AnswerHeaders {
  headers?: Readonly<Record<string, string>>;
}
/** A response whose body is one JSON document (serialised against `schema`). */
export interface JsonResponse<S extends TSchema = TSchema> extends AnswerHeaders {
  kind: 'json';
  description: string;
  schema: S;
  /** When not application/json (e.g. application/schema+json). */
  contentType?: string;
}
/** A response whose body is streamed (a stored file, NDJSON lines, a page): `schema` documents it. */
export interface StreamResponse extends AnswerHeaders {
  kind: 'stream';
  description: string;
  contentType: string;
  schema: TSchema;
}
export interface EmptyResponse extends AnswerHeaders {
  kind: 'empty';
  description: string;
}
export type ResponseSpec = JsonResponse | StreamResponse | EmptyResponse;

/** Which records of the caller's solution a streamed array holds. */
export type RecordsOf = 'scope' | 'upload' | 'result';

/** A request body sent as a stream: a JSON array of records, validated while it arrives. */
export interface StreamBody {
  kind: 'stream';
  contentType: 'application/json';
  records: RecordsOf;
  description: string;
}

export interface RouteDefinition {
  /** The SDK method's name, and the OpenAPI operationId. */
  operationId: string;
  method: Method;
  /** OpenAPI spelling: /api/uploads/{fileId}/tracking. */
  path: string;
  tag: Tag;
  summary: string;
  description?: string;
  auth: Credential;
  params?: TObject;
  query?: TObject;
  headers?: TObject;
  /** A JSON body (parsed and validated), or a streamed array of records. */
  body?: TSchema | StreamBody;
  /** Media types the JSON body may also come as (the registration form). */
  bodyTypes?: readonly string[];
  /** Successful (and non-problem) answers by status. */
  responses: { readonly [status: number]: ResponseSpec };
  /**
   * The problem codes this route's own logic sends, by status. Those of its credential kind, of its parameters
   * and of its body are added by `problemsOf`.
   */
  problems?: { readonly [status: number]: readonly ProblemCode[] };
  /** Left out of the OpenAPI document and the Postman collection (pages and assets). */
  hidden?: boolean;
}

/** Keeps the literal types of a route, so that clients infer their arguments and answers from it. */
export const defineRoute = <const R extends RouteDefinition>(route: R): R => route;

export const json = <const S extends TSchema>(
  schema: S,
  description: string,
  contentType?: string,
): JsonResponse<S> => ({
  kind: 'json',
  description,
  schema,
  ...(contentType ? { contentType } : {}),
});
export const stream = (contentType: string, schema: TSchema, description: string): StreamResponse => ({
  kind: 'stream',
  description,
  contentType,
  schema,
});
export const empty = (description: string): EmptyResponse => ({ kind: 'empty', description });
export const records = (of: RecordsOf, description: string): StreamBody => ({
  kind: 'stream',
  contentType: 'application/json',
  records: of,
  description,
});

export const isStreamBody = (body: RouteDefinition['body']): body is StreamBody =>
  typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'stream' && 'records' in body;

/** The 401 codes of each credential kind. */
export const CredentialProblems: Record<Credential, readonly ProblemCode[]> = {
  none: [],
  apiKey: ['api-key-missing', 'api-key-invalid', 'api-key-expired', 'api-key-revoked'],
  instanceKey: ['instance-key-invalid'],
  adminToken: ['admin-token-invalid'],
  developerToken: ['developer-token-missing', 'developer-token-invalid', 'developer-token-revoked'],
};

/**
 * Every problem a route can answer, by status: its own, its credential kind's (401), a malformed parameter, query
 * or body (400), an unsupported body type or encoding (415), an over-large body (413).
 */
export function problemsOf(route: RouteDefinition): Record<number, ProblemCode[]> {
  const out: Record<number, ProblemCode[]> = {};
  const add = (status: number, ...codes: readonly ProblemCode[]) => {
    const list = (out[status] ??= []);
    for (const code of codes) if (!list.includes(code)) list.push(code);
  };
  if (route.params || route.query || route.headers || route.body) add(400, 'invalid-request');
  if (route.body) add(413, 'payload-too-large');
  if (route.body) add(415, 'unsupported-media-type');
  add(401, ...CredentialProblems[route.auth]);
  for (const [status, codes] of Object.entries(route.problems ?? {})) add(Number(status), ...codes);
  if (out[401]?.length === 0) delete out[401];
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => Number(a) - Number(b)));
}

// Types a client infers from a route (TypeBox Static); `undefined` where the route has no such part.
type StaticOr<S, Else = undefined> = S extends TSchema ? Static<S> : Else;
export type ParamsOf<R extends RouteDefinition> = StaticOr<R['params']>;
export type QueryOf<R extends RouteDefinition> = StaticOr<R['query']>;
export type HeadersOf<R extends RouteDefinition> = StaticOr<R['headers']>;
/** A JSON body's type; a streamed body is the caller's array of records (typed by the solution's schemas). */
export type BodyOf<R extends RouteDefinition> = R['body'] extends StreamBody ? StreamBody : StaticOr<R['body']>;
/** The JSON answer of one status; `undefined` for an empty or streamed one. */
export type ResponseOf<R extends RouteDefinition, S extends keyof R['responses']> =
  R['responses'][S] extends JsonResponse<infer T> ? Static<T> : undefined;
/** The statuses a route answers with success. */
export type SuccessStatus<R extends RouteDefinition> = Extract<keyof R['responses'], 200 | 201 | 202 | 204 | 206 | 304>;
