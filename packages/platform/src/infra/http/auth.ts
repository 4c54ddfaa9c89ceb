import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { sha256Hex } from '../secrets/random.js';
import { ProblemError } from './problem.js';

/** The caller an instance key resolves to. */
export interface InstancePrincipal {
  instanceId: string;
  name: string;
  product: string;
}

/** The caller an API key resolves to: one integration. */
export interface IntegrationPrincipal {
  integrationId: string;
  applicationId: string;
  instanceId: string;
  solution: string;
  keyExpires: string;
}

/** The caller a developer token (ccd_…) resolves to. */
export interface DeveloperPrincipal {
  developerId: string;
  tokenId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    instance: InstancePrincipal | null;
    integration: IntegrationPrincipal | null;
    developer: DeveloperPrincipal | null;
  }
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
type Hook = AuthHook;

// One hook per credential kind. A route's kind in the contract's table picks its hook; routes read the typed
// principal and never parse credentials themselves.

/** `Authorization: Bearer <admin token>`, compared by hash in constant time. */
export function adminAuth(adminTokenHash: string): Hook {
  const expected = Buffer.from(adminTokenHash, 'hex');
  return async (request) => {
    const token = bearer(request);
    const given = token ? Buffer.from(sha256Hex(token), 'hex') : Buffer.alloc(expected.length);
    if (!token || !timingSafeEqual(given, expected)) {
      throw new ProblemError(
        401,
        'admin-token-invalid',
        'Send the admin token as Authorization: Bearer <token>',
        undefined,
        {
          'www-authenticate': 'Bearer realm="admin"',
        },
      );
    }
  };
}

/** `X-Instance-Key: <instance key>`. */
export function instanceAuth(find: (key: string) => Promise<InstancePrincipal | undefined>): Hook {
  return async (request) => {
    const key = header(request, 'x-instance-key');
    const instance = key ? await find(key) : undefined;
    if (!instance) {
      throw new ProblemError(
        401,
        'instance-key-invalid',
        key ? 'The instance key is not valid' : 'Send the instance key as X-Instance-Key',
        undefined,
        {
          'www-authenticate': 'InstanceKey',
        },
      );
    }
    request.instance = instance;
  };
}

export type ApiKeyProblem = 'api-key-missing' | 'api-key-invalid' | 'api-key-expired' | 'api-key-revoked';
export type ApiKeyCheck = { principal: IntegrationPrincipal } | { problem: ApiKeyProblem; detail: string };

/** `X-Api-Key: <key>` or `Authorization: Bearer <key>`; the four 401 codes of the contract, with WWW-Authenticate. */
export function apiKeyAuth(check: (key: string) => Promise<ApiKeyCheck>, warnWithinMs: number, clock: Clock): Hook {
  return async (request, reply) => {
    const key = header(request, 'x-api-key') ?? bearer(request);
    const result: ApiKeyCheck = key
      ? await check(key)
      : { problem: 'api-key-missing', detail: 'Send the API key as X-Api-Key or Authorization: Bearer' };
    if ('problem' in result) {
      throw new ProblemError(401, result.problem, result.detail, undefined, {
        'www-authenticate': `ApiKey error="${result.problem}"`,
      });
    }
    if (Date.parse(result.principal.keyExpires) - clock.now() < warnWithinMs)
      reply.header('x-api-key-expires', result.principal.keyExpires);
    request.integration = result.principal;
  };
}

export type DeveloperTokenCheck =
  DeveloperPrincipal | { problem: 'developer-token-invalid' | 'developer-token-revoked'; detail: string };

/**
 * `Authorization: Bearer ccd_…`: a developer token. A route that names a developer in its path answers 404 for any
 * developer but this one (see sameDeveloper), so a token opens nothing of anyone else's.
 */
export function developerTokenAuth(check: (token: string) => Promise<DeveloperTokenCheck>): Hook {
  return async (request) => {
    const token = bearer(request);
    const result: DeveloperTokenCheck = token
      ? await check(token)
      : {
          problem: 'developer-token-invalid',
          detail: 'Send a developer token as Authorization: Bearer ccd_… (create one in the console)',
        };
    if ('problem' in result) {
      const code = token ? result.problem : 'developer-token-missing';
      throw new ProblemError(401, code, result.detail, undefined, {
        'www-authenticate': `Bearer realm="developer", error="${code}"`,
      });
    }
    request.developer = result;
  };
}

/** A developer-token route names its developer: any but the token's own is not found (nothing of theirs is shown). */
export function sameDeveloper(request: FastifyRequest, developerId: string): string {
  if (request.developer?.developerId !== developerId)
    throw new ProblemError(404, 'developer-not-found', `No developer "${developerId}" for this token`);
  return developerId;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header(request, 'authorization') ?? '');
  return m?.[1];
}
