import { performance } from 'node:perf_hooks';
import DataLoader from 'dataloader';
import { Webhook } from 'standardwebhooks';
import { request, type Agent } from 'undici';
import type { Config } from '../../config.js';
import type { Clock } from '../../infra/clock.js';
import { literalAddressProblem } from '../../infra/net/guarded-agent.js';
import type { JobHandler, JobOutcome } from '../../infra/queue/index.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import type { Metrics } from '../../infra/metrics.js';
import type { Db } from '../../infra/store/index.js';
import { together } from '../../infra/store/together.js';
import { EndpointGate } from './endpoints.js';
import { withoutSecrets, type DeliverEventJob } from './outbox.js';
import * as q from './queries.js';

type Response = { status: number | null; error: string | null; retryAfterMs?: number; timedOut?: boolean };

/**
 * Delivers one event to its application's notificationUrl, signed per Standard Webhooks, and decides what next:
 * a 2xx ends it; a 410 ends it and every later delivery to that URL; anything else (a status, a timeout, a
 * refused connection) is retried on the schedule, no sooner than a 429's or 503's Retry-After. A delivery to an
 * endpoint that is busy, or paused by its circuit breaker, is put off without an attempt (endpoints.ts).
 */
export function eventDeliveryHandler(deps: {
  db: Db;
  secrets: SecretBox;
  agent: Agent;
  config: Config;
  metrics: Metrics;
  clock: Clock;
}): JobHandler<DeliverEventJob> {
  const { db, secrets, agent, config, metrics, clock } = deps;
  const schedule = config.webhookRetrySchedule;
  const gate = new EndpointGate(config.webhookEndpoints, clock);
  // Signers by sealed secret: opening the secret and decoding its key once per application, not per delivery.
  // The jobs claimed together look their events up together: one query, not one per delivery.
  const events = new DataLoader(
    async (ids: readonly string[]) => {
      const rows = new Map((await q.findForDelivery(db, ids)).map((r) => [r.id, r]));
      return ids.map((id) => rows.get(id));
    },
    { cache: false, maxBatchSize: 500 },
  );
  // The attempts of deliveries settled together are written together (DELIVER_EVENT's records are independent).
  const recordAttempt = together(q.recordAttempts);
  const signers = new Map<string, Webhook>();
  const signerFor = (sealed: string) => {
    let signer = signers.get(sealed);
    if (!signer) {
      if (signers.size >= 10_000) signers.clear();
      signer = new Webhook(secrets.open(sealed));
      signers.set(sealed, signer);
    }
    return signer;
  };

  // After a rotation the replaced secret signs too, until its end: Standard Webhooks receivers accept any one of
  // the space-separated signatures, so one that still knows only the old secret keeps working for that time.
  const signatures = (
    event: {
      id: string;
      webhook_secret_sealed: string | null;
      previous_webhook_secret_sealed: string | null;
      previous_secret_valid_until: string | null;
    },
    at: Date,
    body: string,
  ) => {
    const current = signerFor(event.webhook_secret_sealed!).sign(event.id, at, body);
    const previous = event.previous_webhook_secret_sealed;
    if (!previous || !event.previous_secret_valid_until || event.previous_secret_valid_until <= at.toISOString())
      return current;
    return `${current} ${signerFor(previous).sign(event.id, at, body)}`;
  };

  return async ({ eventId, firstAttempt = 1 }) => {
    const event = await events.load(eventId);
    if (!event || event.status !== 'pending' || !event.webhook_secret_sealed) return { outcome: 'done' };
    if (event.notification_gone_at) {
      return {
        outcome: 'done',
        record: (tx) => q.failWithoutAttempt(tx, eventId, sealedWithoutSecrets(event.type, event.payload_sealed)),
      };
    }

    const slot = await gate.enter(event.notification_url);
    if ('retryAt' in slot) return { outcome: 'retry', at: slot.retryAt, error: slot.reason };
    const attemptedAt = clock.date();
    const started = performance.now();
    const body = secrets.open(event.payload_sealed);
    let response: Response | undefined;
    try {
      response = await post(event.notification_url, body, {
        'content-type': 'application/json',
        'user-agent': 'ConnectedCloud-Webhooks/1',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(attemptedAt.getTime() / 1000)),
        'webhook-signature': signatures(event, attemptedAt, body),
      });
    } finally {
      slot.leave(response?.timedOut ? 'timeout' : response && response.status !== null ? 'ok' : 'other'); // an answer of any status: not slow
    }
    const attempt = {
      event_id: eventId,
      attempt: event.attempts + 1,
      attempted_at: attemptedAt.toISOString(),
      http_status: response.status,
      duration_ms: Math.round(performance.now() - started),
      error: response.error,
    };

    // A final state drops the credentials an event carried (see outbox.ts).
    const final = () => {
      const redacted = withoutSecrets(event.type, body);
      return redacted === undefined ? {} : { payload_sealed: secrets.seal(redacted) };
    };
    if (response.status !== null && response.status >= 200 && response.status < 300) {
      metrics.webhookAttempt('delivered');
      return settle('done', attempt, {
        status: 'delivered',
        next_attempt_at: null,
        delivered_at: attempt.attempted_at,
        ...final(),
      });
    }
    if (response.status === 410) {
      metrics.webhookAttempt('gone');
      return {
        outcome: 'done',
        record: async (tx) => {
          await recordAttempt(tx, {
            attempt,
            event: { status: 'failed', next_attempt_at: null, delivered_at: null, ...final() },
          });
          await q.markNotificationUrlGone(tx, event.application_id, attempt.attempted_at);
        },
      };
    }
    const delaySeconds = schedule[attempt.attempt - firstAttempt + 1];
    if (delaySeconds === undefined) {
      metrics.webhookAttempt('failed');
      return settle('dead', attempt, { status: 'failed', next_attempt_at: null, delivered_at: null, ...final() });
    }
    metrics.webhookAttempt('retry');
    const next = new Date(clock.now() + Math.max(delaySeconds * 1000, response.retryAfterMs ?? 0));
    return settle(
      'retry',
      attempt,
      { status: 'pending', next_attempt_at: next.toISOString(), delivered_at: null },
      next,
    );
  };

  function sealedWithoutSecrets(type: string, sealed: string): string | undefined {
    const redacted = withoutSecrets(type, secrets.open(sealed));
    return redacted === undefined ? undefined : secrets.seal(redacted);
  }

  function settle(
    outcome: JobOutcome['outcome'],
    attempt: q.AttemptRecord['attempt'],
    state: q.AttemptRecord['event'],
    at?: Date,
  ): JobOutcome {
    const record = (tx: Db) => recordAttempt(tx, { attempt, event: state });
    const error = attempt.error ?? `HTTP ${attempt.http_status}`;
    if (outcome === 'done') return { outcome, record };
    if (outcome === 'retry') return { outcome, at: at!, error, record };
    return { outcome, error, record };
  }

  async function post(url: string, body: string, headers: Record<string, string>): Promise<Response> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { status: null, error: 'notificationUrl is not a URL' };
    }
    const refused = literalAddressProblem(parsed, config.allowInsecureNotificationUrls);
    if (refused) return { status: null, error: refused };
    try {
      const res = await request(parsed, {
        method: 'POST',
        body,
        headers,
        dispatcher: agent,
        signal: AbortSignal.timeout(config.webhookTimeoutMs),
      });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      const retryAfter =
        res.statusCode === 429 || res.statusCode === 503 ? retryAfterMs(res.headers['retry-after']) : undefined;
      return { status: res.statusCode, error: null, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
    } catch (error) {
      const e = error as Error & { code?: string; cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        return { status: null, error: `timed out after ${config.webhookTimeoutMs} ms`, timedOut: true };
      return {
        status: null,
        error: [e.cause?.code ?? e.code, e.cause?.message ?? e.message].filter(Boolean).join(': '),
      };
    }
  }
}

/** Retry-After as seconds or an HTTP date, capped at a day. */
function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const ms = /^\d+$/.test(v.trim()) ? Number(v) * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 86_400_000) : undefined;
}
