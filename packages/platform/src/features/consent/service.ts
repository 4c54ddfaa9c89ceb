import type { ConsentChallenge } from '@connected-cloud/contract';
import type { Config } from '../../config.js';
import type { Clock } from '../../infra/clock.js';
import type { InstancePrincipal } from '../../infra/http/auth.js';
import { ProblemError, notFound } from '../../infra/http/problem.js';
import { Type } from 'typebox';
import { defineJob, handler, type JobQueue } from '../../infra/queue/index.js';
import type { RateLimits } from '../../infra/ratelimit/index.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import { newId, sameHash } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import type { ApiKeys } from '../apikeys/service.js';
import type { EventOutbox } from '../events/outbox.js';
import type { Onboarding } from '../onboarding/service.js';
import type { SolutionRegistry } from '../solutions/registry.js';
import { displayPasscode, newPasscode, normalisePasscode } from './passcode.js';
import * as q from './queries.js';
import type { CredentialCache } from '../../infra/http/credential-cache.js';

/** A granted passcode's key is kept sealed (for the polling fallback) only until then. */
export const FORGET_PASSCODE_KEY = defineJob('forget-passcode-key', Type.Object({ passcodeId: Type.String() }));
const HOUR = 3600_000;
const LOOKUP_WINDOW = 15 * 60_000;
const MAX_FAILED_LOOKUPS = 10;
const MAX_PASSCODES_PER_HOUR = 60;

type Deps = {
  db: Db;
  config: Config;
  secrets: SecretBox;
  queue: JobQueue;
  clock: Clock;
  limits: RateLimits;
  events: EventOutbox;
  apikeys: ApiKeys;
  onboarding: Onboarding;
  solutions: SolutionRegistry;
  credentials: CredentialCache;
};

/**
 * Consent (contract §3): an application's passcode, looked up by an instance, granted or denied by its user;
 * the integration that a grant creates, with its first API key; and revocation.
 */
export class Consent {
  constructor(private readonly d: Deps) {}

  /** The application's secret for an integration, by keyed hash: it may be short of entropy. */
  secretHash = (secret: string) => this.d.secrets.mac('integration-secret', secret);

  async createPasscode(developerId: string, applicationId: string, secret: string) {
    const app = await this.d.onboarding.getApplication(developerId, applicationId);
    const now = this.d.clock.date();
    const recent = await q.countPasscodesSince(
      this.d.db,
      app.applicationId,
      new Date(now.getTime() - HOUR).toISOString(),
    );
    enforceLimit(
      recent,
      MAX_PASSCODES_PER_HOUR,
      HOUR,
      now,
      `At most ${MAX_PASSCODES_PER_HOUR} passcodes an hour per application`,
    );
    const expires = new Date(now.getTime() + this.d.config.passcodeTtl * 1000).toISOString();
    for (let attempt = 0; ; attempt++) {
      const code = newPasscode();
      const row = {
        id: newId('pc'),
        application_id: app.applicationId,
        code_hash: this.d.secrets.mac('passcode', code),
        secret_hash: this.secretHash(secret),
        status: 'pending' as const,
        instance_id: null,
        integration_id: null,
        apikey_sealed: null,
        apikey_kept_until: null,
        expires_at: expires,
        created_at: now.toISOString(),
      };
      try {
        await q.insertPasscode(this.d.db, row);
      } catch (error) {
        if (attempt < 3) continue; // the code was drawn before (1 in 20^8): draw again
        throw error;
      }
      return { passcodeId: row.id, passcode: displayPasscode(code), expires };
    }
  }

  /** An instance looks a passcode up; failures are counted in the store, per instance, across processes. */
  async lookUp(instance: InstancePrincipal, typed: string): Promise<ConsentChallenge> {
    const now = this.d.clock.date();
    const windowStart = new Date(now.getTime() - LOOKUP_WINDOW).toISOString();
    const failures = await q.failuresSince(this.d.db, instance.instanceId, windowStart);
    enforceLimit(
      failures,
      MAX_FAILED_LOOKUPS,
      LOOKUP_WINDOW,
      now,
      `More than ${MAX_FAILED_LOOKUPS} failed passcode look-ups in 15 minutes`,
    );
    const code = normalisePasscode(typed);
    const found = code
      ? await q.findOpenPasscode(this.d.db, this.d.secrets.mac('passcode', code), now.toISOString())
      : undefined;
    const consentId = newId('con');
    const claimed =
      found &&
      (await this.d.db.transaction().execute(async (tx) => {
        if (!(await q.claimPasscode(tx, found.id, instance.instanceId))) return false;
        await q.insertConsent(tx, {
          id: consentId,
          passcode_id: found.id,
          instance_id: instance.instanceId,
          status: 'open',
          expires_at: found.expires_at,
          created_at: now.toISOString(),
        });
        return true;
      }));
    if (!found || !claimed) {
      await q.recordFailure(this.d.db, instance.instanceId, now.toISOString(), windowStart);
      throw notFound('passcode-invalid', 'The passcode is wrong, used or expired');
    }
    const solution = this.d.solutions.get(found.solution)!;
    const [current] = await q.findActiveIntegrations(this.d.db, {
      instanceId: instance.instanceId,
      applicationId: found.applicationId,
    });
    return {
      consentId,
      expires: found.expires_at,
      application: { id: found.applicationId, name: found.applicationName, description: found.description },
      developer: { name: found.developerName, company: found.company },
      solution: {
        domain: solution.domain,
        title: solution.title,
        scopes: solution.scopes.map((s) => s.name),
        uploads: solution.uploads.map((u) => u.type),
      },
      replaces: current ? { integrationId: current.id, createdAt: current.created_at } : null,
    };
  }

  /** Grant: the integration, its first key and apikey.issued, in one transaction. */
  async grant(instance: InstancePrincipal, consentId: string): Promise<{ integrationId: string }> {
    const consent = await this.#openConsent(instance, consentId);
    const now = this.d.clock.date();
    const integrationId = newId('int');
    const keptUntil = new Date(now.getTime() + this.d.config.passcodeTtl * 1000);
    await this.d.db
      .transaction()
      .execute(async (tx) => {
        if (!(await q.closeConsent(tx, consentId, 'granted', now.toISOString()))) throw consentClosed();
        // One integration links one application and one instance: a new grant replaces the previous one.
        for (const previous of await q.findActiveIntegrations(tx, {
          instanceId: instance.instanceId,
          applicationId: consent.applicationId,
        })) {
          await this.#revoke(tx, previous.id, previous.application_id, now);
        }
        await q.insertIntegration(tx, {
          id: integrationId,
          application_id: consent.applicationId,
          instance_id: instance.instanceId,
          solution: consent.solution,
          passcode_id: consent.passcodeId,
          secret_hash: consent.secret_hash,
          status: 'active',
          created_at: now.toISOString(),
          revoked_at: null,
        });
        const key = await this.d.apikeys.mint(tx, integrationId, now);
        await q.updatePasscode(tx, consent.passcodeId, {
          status: 'granted',
          integration_id: integrationId,
          apikey_sealed: this.d.secrets.seal(key.apikey),
          apikey_kept_until: keptUntil.toISOString(),
        });
        await this.d.queue.enqueue(tx, FORGET_PASSCODE_KEY, { passcodeId: consent.passcodeId }, { runAt: keptUntil });
        await this.d.events.record(tx, {
          applicationId: consent.applicationId,
          integrationId,
          type: 'apikey.issued',
          data: {
            integrationId,
            passcodeId: consent.passcodeId,
            apikey: key.apikey,
            expires: key.expires,
            instance: { id: instance.instanceId, name: instance.name, product: instance.product },
            solution: consent.solution,
          },
        });
      })
      .finally(() => this.d.credentials.forget()); // it may have revoked the previous integration
    return { integrationId };
  }

  async deny(instance: InstancePrincipal, consentId: string) {
    const consent = await this.#openConsent(instance, consentId);
    await this.d.db.transaction().execute(async (tx) => {
      if (!(await q.closeConsent(tx, consentId, 'denied', this.d.clock.date().toISOString()))) throw consentClosed();
      await q.updatePasscode(tx, consent.passcodeId, { status: 'denied' });
      await this.d.events.record(tx, {
        applicationId: consent.applicationId,
        type: 'consent.denied',
        data: { passcodeId: consent.passcodeId },
      });
    });
    return { consentId, status: 'denied' as const };
  }

  async listIntegrations(instance: InstancePrincipal) {
    return (await q.listIntegrations(this.d.db, instance.instanceId)).map((r) => ({
      integrationId: r.id,
      application: { id: r.applicationId, name: r.applicationName },
      developer: { name: r.developerName, company: r.company },
      solution: r.solution,
      status: r.status,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }));
  }

  /** The instance revokes one of its integrations; revoking a revoked one changes nothing. */
  async revoke(instance: InstancePrincipal, integrationId: string): Promise<void> {
    const integration = await q.findIntegrationOfInstance(this.d.db, integrationId, instance.instanceId);
    if (!integration) throw notFound('integration-not-found', `This instance has no integration "${integrationId}"`);
    await this.d.db
      .transaction()
      .execute((tx) => this.#revoke(tx, integration.id, integration.application_id, this.d.clock.date()))
      .finally(() => this.d.credentials.forget());
  }

  /** The developer revokes an integration of their application (the caller checked that it is theirs). */
  async revokeOfApplication(integrationId: string, applicationId: string): Promise<void> {
    await this.d.db
      .transaction()
      .execute((tx) => this.#revoke(tx, integrationId, applicationId, this.d.clock.date()))
      .finally(() => this.d.credentials.forget());
  }

  /** Inside the caller's transaction, which must call `credentials.forget()` once it has ended. */
  async revokeAllOfInstance(tx: Db, instanceId: string): Promise<void> {
    for (const i of await q.findActiveIntegrations(tx, { instanceId }))
      await this.#revoke(tx, i.id, i.application_id, this.d.clock.date());
  }

  /** The polling fallback: pending until consent, then the key the event carried (while it is kept). */
  async pollApiKey(developerId: string, applicationId: string, passcodeId: string, secret: string) {
    const app = await this.d.onboarding.getApplication(developerId, applicationId);
    const passcode = await q.findPasscodeOfApplication(this.d.db, passcodeId, app.applicationId);
    if (!passcode)
      throw notFound('passcode-not-found', `Application "${applicationId}" has no passcode "${passcodeId}"`);
    if (
      !(await this.d.limits.guess('secretAttempts', [`passcode:${passcode.id}`], () =>
        sameHash(this.secretHash(secret), passcode.secret_hash),
      ))
    ) {
      throw new ProblemError(401, 'secret-invalid', 'The secret is not the one given with the passcode');
    }
    const now = this.d.clock.date().toISOString();
    if (passcode.status === 'denied') throw new ProblemError(403, 'consent-denied', 'The user denied consent');
    if (passcode.status === 'granted') {
      if (passcode.apikey_sealed && passcode.apikey_kept_until! > now) {
        const apikey = this.d.secrets.open(passcode.apikey_sealed);
        // Never a dead key: after a revocation, or a rotation whose grace has ended, say so instead.
        const alive = await this.d.apikeys.check(apikey);
        if ('problem' in alive)
          throw new ProblemError(401, alive.problem, alive.detail, undefined, {
            'www-authenticate': `ApiKey error="${alive.problem}"`,
          });
        const expires = (await this.d.apikeys.expiryOf(apikey))!;
        return { status: 200 as const, body: { apikey, integrationId: passcode.integration_id!, expires } };
      }
      throw new ProblemError(
        410,
        'passcode-expired',
        'The key was handed out and is no longer kept: rotate it, or ask for a new passcode',
      );
    }
    if (passcode.expires_at <= now)
      throw new ProblemError(410, 'passcode-expired', 'The passcode expired before consent was given');
    return { status: 202 as const, body: { status: 'pending' as const } };
  }

  readonly jobs = [handler(FORGET_PASSCODE_KEY, ({ passcodeId }) => q.forgetPasscodeKey(this.d.db, passcodeId))];

  async #openConsent(instance: InstancePrincipal, consentId: string) {
    const consent = await q.findConsent(this.d.db, consentId, instance.instanceId);
    if (!consent) throw notFound('consent-not-found', `This instance has no consent "${consentId}"`);
    if (consent.status !== 'open' || consent.expires_at <= this.d.clock.date().toISOString()) throw consentClosed();
    return consent;
  }

  async #revoke(tx: Db, integrationId: string, applicationId: string, at: Date): Promise<void> {
    if (await q.revokeIntegration(tx, integrationId, at.toISOString())) {
      await this.d.credentials.changing(tx);
      await this.d.events.record(tx, {
        applicationId,
        integrationId,
        type: 'integration.revoked',
        data: { integrationId },
      });
    }
  }
}

const consentClosed = () =>
  new ProblemError(409, 'consent-closed', 'The consent was already granted or denied, or it has expired');

/** A sliding-window limit: 429 with Retry-After (until the oldest counted entry leaves the window) once reached. */
function enforceLimit(
  counted: { n: number | string; oldest: string | null },
  max: number,
  windowMs: number,
  now: Date,
  detail: string,
): void {
  if (Number(counted.n) < max) return;
  const retryAfterMs = Date.parse(counted.oldest!) + windowMs - now.getTime();
  throw new ProblemError(429, 'rate-limited', detail, undefined, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  });
}
