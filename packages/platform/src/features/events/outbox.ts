import type { EventDataOf, EventType } from '@connected-cloud/contract';
import type { JobQueue } from '../../infra/queue/index.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import { newId } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import { insertEvent } from './queries.js';

export const DELIVER_EVENT = 'deliver-event';

/**
 * The outbox: an event is written, with the job that delivers it, in the transaction of the change it announces,
 * so that there is never a change without its event nor an event without its change. Events of one integration
 * share a queue key and so are delivered in order; events outside an integration are ordered per application.
 */
export class EventOutbox {
  constructor(
    private readonly queue: JobQueue,
    private readonly secrets: SecretBox,
  ) {}

  async record<T extends EventType>(
    tx: Db,
    event: { applicationId: string; integrationId?: string | null; type: T; data: EventDataOf<T> },
  ): Promise<string> {
    const id = newId('evt');
    const createdAt = new Date().toISOString();
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
    await this.queue.enqueue(tx, { kind: DELIVER_EVENT, key: event.integrationId ?? `app:${event.applicationId}`, payload: { eventId: id } });
    return id;
  }
}
