import type { EventSummary } from '@connected-cloud/contract';
import type { Clock } from '../../infra/clock.js';
import { ProblemError, notFound } from '../../infra/http/problem.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import type { RateLimits } from '../../infra/ratelimit/index.js';
import type { Db } from '../../infra/store/index.js';
import type { EventsTable } from '../../infra/store/schema.js';
import { holdsSecrets, type EventOutbox } from './outbox.js';
import * as q from './queries.js';

/** The event log an application reads with its API key: its integration's events, their attempts, resend. */
export class EventLog {
  constructor(
    private readonly deps: { db: Db; secrets: SecretBox; outbox: EventOutbox; clock: Clock; limits: RateLimits },
  ) {}

  /** A webhook.test event; asking for one also lifts a stop that a 410 Gone put on the notificationUrl. */
  async sendTest(applicationId: string): Promise<string> {
    return this.deps.db.transaction().execute(async (tx) => {
      await q.clearNotificationUrlGone(tx, applicationId);
      return this.deps.outbox.record(tx, { applicationId, type: 'webhook.test', data: {} });
    });
  }

  async list(
    integrationId: string,
    filter: { status?: string; type?: string; limit?: number },
  ): Promise<EventSummary[]> {
    const rows = await q.listEvents(this.deps.db, integrationId, { ...filter, limit: filter.limit ?? 50 });
    return rows.map(summary);
  }

  async get(integrationId: string, eventId: string) {
    const row = await this.#find(integrationId, eventId);
    const attempts = await q.listAttempts(this.deps.db, eventId);
    return {
      ...summary(row),
      attemptLog: attempts.map((a) => ({
        attempt: a.attempt,
        attemptedAt: a.attempted_at,
        httpStatus: a.http_status,
        durationMs: a.duration_ms,
        error: a.error,
      })),
    };
  }

  /**
   * Delivers the event again, with the same webhook-id and body, on a fresh retry schedule. Asking for it also
   * lifts a stop that a 410 put on the notificationUrl.
   */
  async resend(integrationId: string, eventId: string): Promise<EventSummary> {
    return this.resendEvent(await this.#find(integrationId, eventId));
  }

  /** Resends an event the caller has found as theirs (the portal: any event of the developer's applications). */
  async resendEvent(row: EventsTable): Promise<EventSummary> {
    await this.deps.limits.consume('resendsPerEvent', row.id, 'This event was resent too often: try again later');
    if (!holdsSecrets(row.type, this.deps.secrets.open(row.payload_sealed))) {
      throw new ProblemError(
        409,
        'event-not-resendable',
        'This event carried an API key that is no longer kept; rotate the key with PATCH /api/apikey',
      );
    }
    const at = this.deps.clock.date().toISOString();
    await this.deps.db.transaction().execute(async (tx) => {
      await q.reopenEvent(tx, row.id, at);
      await q.clearNotificationUrlGone(tx, row.application_id);
      await this.deps.outbox.enqueueDelivery(
        tx,
        { id: row.id, integrationId: row.integration_id, applicationId: row.application_id },
        row.attempts + 1,
      );
    });
    return summary({ ...row, status: 'pending', next_attempt_at: at });
  }

  async #find(integrationId: string, eventId: string) {
    const row = await q.findEventOfIntegration(this.deps.db, eventId, integrationId);
    if (!row) throw notFound('event-not-found', `This integration has no event "${eventId}"`);
    return row;
  }
}

function summary(row: EventsTable): EventSummary {
  return {
    eventId: row.id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    deliveredAt: row.delivered_at,
  };
}
