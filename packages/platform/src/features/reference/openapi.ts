import {
  EventTypes,
  Problem,
  ProblemCodes,
  Tags,
  eventBody,
  isStreamBody,
  problemsOf,
  type RecordsOf,
  type RouteDefinition,
  type SolutionDefinition,
} from '@connected-cloud/contract';
import type { TObject, TSchema } from 'typebox';
import { exampleOf } from './examples.js';
import { GUIDE_PATH } from './guide-page.js';

type Json = Record<string, unknown>;

/** The project's own guide, in the repository; descriptions that need more than a line point there. */
export const GUIDE = 'docs/api-guide.md';

const securitySchemes = {
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description: 'An integration’s API key (cck_…); Authorization: Bearer also works',
  },
  instanceKey: { type: 'apiKey', in: 'header', name: 'X-Instance-Key', description: 'An instance key (cci_…)' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The operator’s admin token' },
  developerToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A developer token (ccd_…), created in the console at /portal/tokens',
  },
};

/** A TypeBox schema as plain JSON Schema. */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

/**
 * The OpenAPI 3.1 document of the contract's route table: one operation per route, named by its operationId, with
 * its credential, parameters, body (the streamed ones as arrays of the solutions' records), answers, and every
 * problem it can send as application/problem+json with one example per code.
 */
export function openApiDocument(opts: {
  publicUrl: string;
  routes: readonly RouteDefinition[];
  solutions: readonly SolutionDefinition[];
}): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of opts.routes) {
    if (route.hidden) continue;
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, opts.solutions);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Connected Cloud',
      version: '0.1.0',
      description:
        'Links third-party applications to accounting products by exchanging files. Errors are RFC 9457 problem ' +
        `documents (application/problem+json) whose \`code\` names the cause. Concepts, flows, statuses and every ` +
        `problem code are explained in the API guide: [${opts.publicUrl}${GUIDE_PATH}](${opts.publicUrl}${GUIDE_PATH}) ` +
        `(${GUIDE} in the repository).`,
    },
    servers: [{ url: opts.publicUrl }],
    tags: Object.entries(Tags).map(([name, description]) => ({ name, description })),
    paths,
    webhooks: eventWebhooks(),
    components: { securitySchemes, schemas: { Problem: plain(Problem) } },
  };
}

const header = (description: string, schema: Json = { type: 'string' }) => ({ description, schema });
/** The headers the platform's answers carry (inline in each response: whether one is required varies). */
const responseHeaders = {
  RequestId: header(
    'The request’s id: the one sent as X-Request-Id (8 to 64 letters, digits, dots, dashes, underscores), else a new one. Quote it when reporting a problem.',
  ),
  RetryAfter: header('Seconds to wait before trying again', { type: 'integer', minimum: 0 }),
  ApiKeyExpires: header('When the API key expires; sent once it is close, as a cue to rotate it (PATCH /api/apikey)', {
    type: 'string',
    format: 'date-time',
  }),
  ETag: header('The file’s SHA-256, quoted; send it back as If-None-Match or If-Range'),
  AcceptRanges: header('bytes: one range may be asked for with Range', { const: 'bytes' }),
  ContentRange: header('bytes start-end/size of a 206; bytes */size of a 416'),
  Location: header('Where to follow: a short-lived presigned URL of the storage'),
  WwwAuthenticate: header('The credential expected and, as error=, the problem code'),
};
type HeaderName = keyof typeof responseHeaders;
const ref = (name: HeaderName, required = false) => ({ ...responseHeaders[name], ...(required ? { required } : {}) });

/** The headers of one answer, by its status and the route's kind (stored files carry the caching headers). */
function headersOf(route: RouteDefinition, status: number): Json {
  const stored = 206 in route.responses;
  const out: Json = { 'X-Request-Id': ref('RequestId', true) };
  if (status === 429 || status === 503) out['Retry-After'] = ref('RetryAfter', status === 429);
  if (status === 401) out['WWW-Authenticate'] = ref('WwwAuthenticate');
  if (route.auth === 'apiKey' && status < 400) out['X-Api-Key-Expires'] = ref('ApiKeyExpires');
  if (stored && (status === 200 || status === 206 || status === 304)) out.ETag = ref('ETag', true);
  if (stored && (status === 200 || status === 206)) out['Accept-Ranges'] = ref('AcceptRanges', true);
  if (stored && (status === 206 || status === 416)) out['Content-Range'] = ref('ContentRange', true);
  if (stored && status === 302) out.Location = ref('Location', true);
  return out;
}

function operation(route: RouteDefinition, solutions: readonly SolutionDefinition[]): Json {
  const parameters = [
    ...parametersOf(route.params, 'path', route.path),
    ...parametersOf(route.query, 'query'),
    ...parametersOf(route.headers, 'header'),
  ];
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: route.auth === 'none' ? [] : [{ [route.auth]: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBody(route, solutions) } : {}),
    responses: responses(route),
  };
}

function parametersOf(schema: TObject | undefined, where: 'path' | 'query' | 'header', path = ''): Json[] {
  if (!schema) return [];
  const required = new Set((schema as { required?: string[] }).required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = plain(property);
    const example =
      name === 'fileId' && path.includes('/uploads/')
        ? `upl_4CjRZf7q1pTz8WkX2mYb0v`
        : exampleOf(rest, name, 'parameter');
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
      ...(example !== undefined ? { example } : {}),
    };
  });
}

/** The records a streamed body's example shows: those its path and query examples name. */
const exampleRecords: Record<RecordsOf, string> = {
  scope: 'ecommerce products',
  upload: 'ecommerce orders',
  result: 'ecommerce orders-result',
};

const recordTitles: Record<RecordsOf, string> = { scope: 'scope', upload: 'upload type', result: 'upload result' };

function requestBody(route: RouteDefinition, solutions: readonly SolutionDefinition[]): Json {
  const body = route.body!;
  if (isStreamBody(body)) {
    const items = recordSchemas(body.records, solutions);
    const shown = items.find((i) => i.title === exampleRecords[body.records]) ?? items[0]!;
    return {
      required: true,
      description: `${body.description}. Each item follows the JSON Schema of the ${recordTitles[body.records]} (GET /api/solutions/{domain}/schemas/{name}.json).`,
      content: {
        [body.contentType]: {
          schema: { type: 'array', items: items.length === 1 ? items[0] : { oneOf: items } },
          example: [exampleOf(shown)],
          'x-streaming': 'The body is read as a stream and never held whole: send it chunked or with Content-Length.',
          'x-limits': 'Up to 2 GiB; gzip, deflate or br with Content-Encoding.',
        },
      },
    };
  }
  const schema = plain(body);
  const example = exampleOf(schema);
  return {
    required: true,
    content: Object.fromEntries(
      [...(route.bodyTypes ?? ['application/json'])].map((type) => [type, { schema, example }]),
    ),
  };
}

/** The record schemas a streamed array may hold, one per scope, upload type or result of every solution. */
function recordSchemas(of: RecordsOf, solutions: readonly SolutionDefinition[]): Json[] {
  return solutions.flatMap((solution) => {
    const named = (name: string, record: TSchema) => ({ title: `${solution.domain} ${name}`, ...plain(record) });
    if (of === 'scope') return solution.scopes.map((s) => named(s.name, s.record));
    if (of === 'upload') return solution.uploads.map((u) => named(u.type, u.record));
    return solution.uploads.map((u) => named(`${u.type}-result`, u.result));
  });
}

function responses(route: RouteDefinition): Json {
  const out: Record<string, { description: string; content?: Json; headers?: Json }> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    out[status] = {
      description: spec.description,
      ...(spec.kind === 'empty'
        ? {}
        : {
            content: {
              [spec.kind === 'json' ? (spec.contentType ?? 'application/json') : spec.contentType]: {
                schema: plain(spec.schema),
                ...(spec.kind === 'json' ? { example: exampleOf(plain(spec.schema)) } : {}),
              },
            },
          }),
    };
  }
  for (const [status, codes] of Object.entries(problemsOf(route))) {
    const examples = Object.fromEntries(
      codes.map((code) => [
        code,
        {
          summary: ProblemCodes[code],
          value: {
            type: `/problems/${code}`,
            title: ProblemCodes[code],
            status: Number(status),
            detail: exampleDetail(code),
            code,
          },
        },
      ]),
    );
    const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, examples } };
    const existing = out[status];
    const description = codes.map((c) => `\`${c}\`: ${ProblemCodes[c]}`).join('; ');
    out[status] = existing
      ? {
          ...existing,
          description: `${existing.description}; or a problem: ${description}`,
          content: { ...existing.content, ...problem },
        }
      : { description, content: problem };
  }
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, response]) => [
        status,
        {
          ...response,
          headers: {
            ...headersOf(route, Number(status)),
            ...Object.fromEntries(
              Object.entries(route.responses[Number(status)]?.headers ?? {}).map(([name, description]) => [
                name,
                header(description),
              ]),
            ),
          },
        },
      ]),
  );
}

function exampleDetail(code: keyof typeof ProblemCodes): string {
  switch (code) {
    case 'invalid-request':
      return 'The request body does not match the schema';
    case 'rate-limited':
      return 'Too many requests: retry after the number of seconds in Retry-After';
    default:
      return ProblemCodes[code];
  }
}

/** The events as OpenAPI 3.1 webhooks: what the platform POSTs to a notificationUrl, with the Standard Webhooks headers. */
function eventWebhooks(): Json {
  const header = (name: string, description: string) => ({
    name,
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description,
  });
  return Object.fromEntries(
    EventTypes.map((type) => [
      type,
      {
        post: {
          operationId: `on${type.replace(/(^|\.)(\w)/g, (_m, _dot, c: string) => c.toUpperCase())}`,
          summary: `${type} event`,
          security: [],
          parameters: [
            header('webhook-id', 'The event ID (evt_…), the same on every retry'),
            header('webhook-timestamp', 'Seconds since the epoch, of this attempt'),
            header(
              'webhook-signature',
              'v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"> keyed with the whsec_ secret',
            ),
          ],
          requestBody: { required: true, content: { 'application/json': { schema: plain(eventBody(type)) } } },
          responses: {
            '200': { description: 'Delivered (any 2xx)' },
            '410': { description: 'Stops all delivery to this URL' },
            default: { description: 'Retried on the schedule; Retry-After is honoured on 429 and 503' },
          },
        },
      },
    ]),
  );
}
