import type { EventDataOf, EventType } from '@connected-cloud/contract';
import { Type, type Static } from 'typebox';
import type { Clock } from '../../infra/clock.js';
import { defineJob, type JobQueue } from '../../infra/queue/index.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import { newId } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import { insertEvent, latestEventAt } from './queries.js';

/** Job payload: the event, and the attempt that starts this series (a resend starts the schedule over). */
export const DELIVER_EVENT = defineJob(
  'deliver-event',
  Type.Object({ eventId: Type.String(), firstAttempt: Type.Optional(Type.Integer({ minimum: 1 })) }),
  { independentRecords: true }, // each writes its own event's attempt and state (and its application's 410 mark)
);
export type DeliverEventJob = Static<typeof DELIVER_EVENT.schema>;

/**
 * Fields that carry credentials: kept (sealed) only until the event reaches a final state, then removed, so that
 * the key lives on in the event log no longer than the contract needs it to.
 */
const SECRET_FIELDS: Partial<Record<EventType, string[]>> = { 'apikey.issued': ['apikey'] };

export function withoutSecrets(type: string, body: string): string | undefined {
  const fields = SECRET_FIELDS[type as EventType];
  if (!fields) return undefined;
  const parsed = JSON.parse(body) as { data: Record<string, unknown> };
  for (const f of fields) parsed.data[f] = null;
  return JSON.stringify(parsed);
}

/** Whether an event still holds everything it carried (what a resend needs). */
export function holdsSecrets(type: string, body: string): boolean {
  const fields = SECRET_FIELDS[type as EventType] ?? [];
  const data = (JSON.parse(body) as { data: Record<string, unknown> }).data;
  return fields.every((f) => data[f] !== null);
}

/**
 * The outbox: an event is written, with the job that delivers it, in the transaction of the change it announces,
 * so that there is never a change without its event nor an event without its change. Events of one integration
 * share a queue key and so are delivered in order; events outside an integration are ordered per application.
 */
export class EventOutbox {
  constructor(
    private readonly queue: JobQueue,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {}

  async record<T extends EventType>(
    tx: Db,
    event: { applicationId: string; integrationId?: string | null; type: T; data: EventDataOf<T> },
  ): Promise<string> {
    const id = newId('evt');
    // The key's lock first, then the time: an event's time is later than that of every event queued before it on
    // its key (by this process or another, whose clock may be behind), so that the order of `timestamp` and of the
    // event log is the order of delivery. Without it, a transaction that read the clock first could queue last.
    await this.queue.lockKey(tx, keyOf(event));
    const latest = await latestEventAt(tx, event);
    const now = this.clock.now();
    const createdAt = new Date(latest === undefined ? now : Math.max(now, Date.parse(latest) + 1)).toISOString();
    const body = JSON.stringify({ type: event.type, timestamp: createdAt, data: event.data });
    await insertEvent(tx, {
      id,
      application_id: event.applicationId,
      integration_id: event.integrationId ?? null,
      type: event.type,
      payload_sealed: this.secrets.seal(body),
      status: 'pending',
      attempts: 0,
      created_at: createdAt,
      last_attempt_at: null,
      next_attempt_at: createdAt,
      delivered_at: null,
    });
    await this.enqueueDelivery(
      tx,
      { id, integrationId: event.integrationId ?? null, applicationId: event.applicationId },
      1,
    );
    return id;
  }

  async enqueueDelivery(
    tx: Db,
    event: { id: string; integrationId: string | null; applicationId: string },
    firstAttempt: number,
  ) {
    const payload: DeliverEventJob = { eventId: event.id, firstAttempt };
    await this.queue.enqueue(tx, DELIVER_EVENT, payload, { key: keyOf(event) });
  }
}

/** The queue key of an event's deliveries: its integration, or for an event outside one, its application. */
function keyOf(event: { applicationId: string; integrationId?: string | null }): string {
  return event.integrationId ?? `app:${event.applicationId}`;
}
