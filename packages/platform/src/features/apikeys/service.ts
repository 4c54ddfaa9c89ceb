import type { Integration } from '@connected-cloud/contract';
import type { Clock } from '../../infra/clock.js';
import type { ApiKeyCheck, IntegrationPrincipal } from '../../infra/http/auth.js';
import type { CredentialCache } from '../../infra/http/credential-cache.js';
import { ProblemError, notFound } from '../../infra/http/problem.js';
import { Type } from 'typebox';
import { defineJob, handler, type JobQueue } from '../../infra/queue/index.js';
import type { RateLimits } from '../../infra/ratelimit/index.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import { hasValidChecksum, newKey, sameHash, sha256Hex } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import * as q from './queries.js';

/** The successor of a rotated key is kept sealed only for the grace period. */
export const FORGET_SUCCESSOR = defineJob('forget-key-successor', Type.Object({ keyHash: Type.String() }));

/**
 * API keys: `cck_` keys found by their SHA-256, never kept in the clear. A rotated key stays valid for the grace
 * period, during which a repeated rotation returns the same successor (kept sealed for that window only).
 */
export class ApiKeys {
  constructor(
    private readonly deps: {
      db: Db;
      secrets: SecretBox;
      queue: JobQueue;
      clock: Clock;
      limits: RateLimits;
      credentials: CredentialCache;
      ttlSeconds: number;
      graceSeconds: number;
    },
  ) {}

  /** Mints a key for an integration, inside the caller's transaction. */
  async mint(
    tx: Db,
    integrationId: string,
    now = this.deps.clock.date(),
  ): Promise<{ apikey: string; expires: string; keyHash: string }> {
    const apikey = newKey('cck');
    const expires = new Date(now.getTime() + this.deps.ttlSeconds * 1000).toISOString();
    const keyHash = sha256Hex(apikey);
    await q.insertKey(tx, {
      key_hash: keyHash,
      integration_id: integrationId,
      expires_at: expires,
      created_at: now.toISOString(),
      replaced_at: null,
      valid_until: null,
      successor_hash: null,
      successor_sealed: null,
    });
    return { apikey, expires, keyHash };
  }

  async check(apikey: string): Promise<ApiKeyCheck> {
    if (!apikey.startsWith('cck_') || !hasValidChecksum(apikey))
      return { problem: 'api-key-invalid', detail: 'This is not an API key (its checksum does not match)' };
    const keyHash = sha256Hex(apikey);
    const key = await this.deps.credentials.get(`apikey:${keyHash}`, () => q.findKey(this.deps.db, keyHash));
    if (!key) return { problem: 'api-key-invalid', detail: 'Unknown API key' };
    if (key.status === 'revoked')
      return { problem: 'api-key-revoked', detail: 'The integration of this API key was revoked' };
    const now = this.deps.clock.date().toISOString();
    if (key.expires_at <= now)
      return { problem: 'api-key-expired', detail: 'The API key has expired: rotate it with PATCH /api/apikey' };
    if (key.valid_until !== null && key.valid_until <= now) {
      return {
        problem: 'api-key-expired',
        detail: 'The API key was replaced and its grace period is over: use its successor',
      };
    }
    const principal: IntegrationPrincipal = {
      integrationId: key.integrationId,
      applicationId: key.applicationId,
      instanceId: key.instanceId,
      solution: key.solution,
      keyExpires: key.valid_until !== null && key.valid_until < key.expires_at ? key.valid_until : key.expires_at,
    };
    return { principal };
  }

  /** PATCH /api/apikey: works with an expired key; retry-safe within the grace period. */
  async rotate(initialApikey: string, secretHash: (secret: string) => string, secret: string) {
    const { db, secrets } = this.deps;
    const keyHash = sha256Hex(initialApikey);
    const key = hasValidChecksum(initialApikey) ? await q.findKey(db, keyHash) : undefined;
    if (!key) throw unauthorized('api-key-invalid', 'initialApikey is not a key of any integration');
    if (key.status === 'revoked') throw unauthorized('api-key-revoked', 'The integration of this API key was revoked');
    const right = await this.deps.limits.guess('secretAttempts', [`integration:${key.integrationId}`], () =>
      sameHash(secretHash(secret), key.secret_hash),
    );
    if (!right) throw unauthorized('secret-invalid', 'The secret is not the one given with the passcode');

    for (let current = key; ; current = (await q.findKey(db, keyHash))!) {
      const now = this.deps.clock.date();
      if (current.replaced_at !== null) {
        // Replaced already: within the grace period the same call gets the same answer (also for a key that had
        // expired, whose own validity ended at once: a client that lost the answer can still ask again).
        if (
          current.successor_sealed &&
          Date.parse(current.replaced_at) + this.deps.graceSeconds * 1000 > now.getTime()
        ) {
          const successor = await q.findKey(db, current.successor_hash!);
          return {
            apikey: secrets.open(current.successor_sealed),
            expires: successor!.expires_at,
            previousKeyValidUntil: current.valid_until!,
          };
        }
        throw unauthorized(
          'api-key-expired',
          'This key was replaced and its grace period is over: rotate its successor',
        );
      }
      const alreadyExpired = current.expires_at <= now.toISOString();
      const validUntil = new Date(
        alreadyExpired ? now.getTime() : now.getTime() + this.deps.graceSeconds * 1000,
      ).toISOString();
      const result = await db
        .transaction()
        .execute(async (tx) => {
          const minted = await this.mint(tx, current.integrationId, now);
          const replaced = await q.replaceKey(tx, keyHash, {
            replaced_at: now.toISOString(),
            valid_until: validUntil,
            successor_hash: minted.keyHash,
            successor_sealed: secrets.seal(minted.apikey),
          });
          if (!replaced) throw new LostRace();
          await this.deps.credentials.changing(tx); // the replaced key's validity now ends with the grace period
          const forgetAt = new Date(now.getTime() + this.deps.graceSeconds * 1000);
          await this.deps.queue.enqueue(tx, FORGET_SUCCESSOR, { keyHash }, { runAt: forgetAt });
          return { apikey: minted.apikey, expires: minted.expires, previousKeyValidUntil: validUntil };
        })
        .catch((error) => {
          if (error instanceof LostRace) return undefined; // a concurrent rotation won: answer with its successor
          throw error;
        })
        .finally(() => this.deps.credentials.forget());
      if (result) return result;
    }
  }

  /** When a key expires, or undefined for an unknown key. */
  async expiryOf(apikey: string): Promise<string | undefined> {
    return (await q.findKey(this.deps.db, sha256Hex(apikey)))?.expires_at;
  }

  async integration(principal: IntegrationPrincipal): Promise<Integration> {
    const row = await q.findIntegration(this.deps.db, principal.integrationId);
    if (!row) throw notFound('integration-not-found', 'No such integration');
    return {
      integrationId: row.id,
      application: { id: row.applicationId, name: row.applicationName },
      instance: { id: row.instanceId, name: row.instanceName, product: row.instanceProduct },
      solution: row.solution,
      status: row.status,
      keyExpires: principal.keyExpires,
      createdAt: row.created_at,
    };
  }

  readonly jobs = [handler(FORGET_SUCCESSOR, ({ keyHash }) => q.forgetSuccessor(this.deps.db, keyHash))];
}

class LostRace extends Error {}

const unauthorized = (
  code: 'api-key-invalid' | 'api-key-expired' | 'api-key-revoked' | 'secret-invalid',
  detail: string,
) => new ProblemError(401, code, detail, undefined, { 'www-authenticate': `ApiKey error="${code}"` });
