import { sql } from 'kysely';
import { dialectOf, type Db } from '../../infra/store/index.js';
import type { EventAttemptsTable, EventsTable } from '../../infra/store/schema.js';

export async function insertEvent(tx: Db, row: EventsTable): Promise<void> {
  await tx.insertInto('events').values(row).execute();
}

/**
 * The time of the latest event on an event's queue key: of its integration's; for an event outside an integration,
 * of any of its application's (later than or equal to the latest of those outside one, and read off an index).
 */
export async function latestEventAt(
  tx: Db,
  event: { applicationId: string; integrationId?: string | null },
): Promise<string | undefined> {
  const query = tx.selectFrom('events').select((eb) => eb.fn.max('created_at').as('latest'));
  const row = await (
    event.integrationId
      ? query.where('integration_id', '=', event.integrationId)
      : query.where('application_id', '=', event.applicationId)
  ).executeTakeFirst();
  return row?.latest ?? undefined;
}

/** Events with what delivering them needs: the application's URL, sealed secret and whether the URL is gone. */
export function findForDelivery(db: Db, eventIds: readonly string[]) {
  return db
    .selectFrom('events as e')
    .innerJoin('applications as a', 'a.id', 'e.application_id')
    .select([
      'e.id',
      'e.type',
      'e.status',
      'e.attempts',
      'e.payload_sealed',
      'e.application_id',
      'a.notification_url',
      'a.webhook_secret_sealed',
      'a.notification_gone_at',
      'a.previous_webhook_secret_sealed',
      'a.previous_secret_valid_until',
    ])
    .where('e.id', 'in', eventIds)
    .execute();
}

export type AttemptRecord = {
  attempt: EventAttemptsTable;
  /** The event's state after the attempt; payload_sealed only when it changes (secrets dropped at the end). */
  event: Pick<EventsTable, 'status' | 'next_attempt_at' | 'delivered_at'> & { payload_sealed?: string };
};

/**
 * Attempts and their events' states after them, in the caller's transaction: on PostgreSQL one statement for all;
 * on SQLite (no data-modifying CTE) one insert and one update for all.
 */
export async function recordAttempts(tx: Db, records: AttemptRecord[]): Promise<void> {
  if (records.length === 0) return;
  const states = sql`values ${sql.join(
    records.map(
      ({ attempt: a, event: e }) =>
        sql`(${a.event_id}, ${e.status}, ${e.next_attempt_at}, ${e.delivered_at}, ${e.payload_sealed ?? null}, cast(${a.attempt} as integer), ${a.attempted_at})`,
    ),
  )}`;
  const update = sql`update events set status = v.column2, next_attempt_at = v.column3, delivered_at = v.column4,
      payload_sealed = coalesce(v.column5, events.payload_sealed), attempts = v.column6, last_attempt_at = v.column7
    from (${states}) as v where events.id = v.column1`;
  const insert = tx.insertInto('event_attempts').values(records.map((r) => r.attempt));
  if (dialectOf(tx) === 'postgres') await sql`with attempts as (${insert}) ${update}`.execute(tx);
  else {
    await insert.execute();
    await update.execute(tx);
  }
}

export async function failWithoutAttempt(tx: Db, eventId: string, payloadSealed: string | undefined): Promise<void> {
  await tx
    .updateTable('events')
    .set({ status: 'failed', next_attempt_at: null, ...(payloadSealed ? { payload_sealed: payloadSealed } : {}) })
    .where('id', '=', eventId)
    .execute();
}

export function listEvents(db: Db, integrationId: string, filter: { status?: string; type?: string; limit: number }) {
  let query = db.selectFrom('events').selectAll().where('integration_id', '=', integrationId);
  if (filter.status) query = query.where('status', '=', filter.status as EventsTable['status']);
  if (filter.type) query = query.where('type', '=', filter.type);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export function findEventOfIntegration(db: Db, eventId: string, integrationId: string) {
  return db
    .selectFrom('events')
    .selectAll()
    .where('id', '=', eventId)
    .where('integration_id', '=', integrationId)
    .executeTakeFirst();
}

export function listAttempts(db: Db, eventId: string) {
  return db.selectFrom('event_attempts').selectAll().where('event_id', '=', eventId).orderBy('attempt').execute();
}

export async function reopenEvent(tx: Db, eventId: string, at: string): Promise<void> {
  await tx.updateTable('events').set({ status: 'pending', next_attempt_at: at }).where('id', '=', eventId).execute();
}

export async function markNotificationUrlGone(tx: Db, applicationId: string, at: string): Promise<void> {
  await tx.updateTable('applications').set({ notification_gone_at: at }).where('id', '=', applicationId).execute();
}

export async function clearNotificationUrlGone(tx: Db, applicationId: string): Promise<void> {
  await tx.updateTable('applications').set({ notification_gone_at: null }).where('id', '=', applicationId).execute();
}

/** Removes delivered and failed events created before `before`, with their attempts. */
export async function pruneFinalEvents(db: Db, before: string): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const old = tx
      .selectFrom('events')
      .select('id')
      .where('status', 'in', ['delivered', 'failed'])
      .where('created_at', '<', before);
    await tx.deleteFrom('event_attempts').where('event_id', 'in', old).execute();
    const deleted = await tx
      .deleteFrom('events')
      .where('status', 'in', ['delivered', 'failed'])
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  });
}
