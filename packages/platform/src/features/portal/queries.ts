import { sql } from 'kysely';
import type { Db } from '../../infra/store/index.js';
import type { DeveloperTokensTable, PortalSessionsTable, SignInLinksTable } from '../../infra/store/schema.js';

// Every console query is scoped by the developer: a row of anyone else's is simply not found (the pages answer 404).

/** A page of a list, newest first, after the (created_at, id) of the last row seen: keyset, so page 1,000 costs page 1. */
export interface Cursor {
  createdAt: string;
  id: string;
}

export function activeDevelopersByEmail(db: Db, email: string) {
  return db
    .selectFrom('developers')
    .select(['id', 'email', 'name'])
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .where('status', '=', 'active')
    .orderBy('created_at')
    .limit(5)
    .execute();
}

export function findDeveloper(db: Db, developerId: string) {
  return db
    .selectFrom('developers')
    .select(['id', 'email', 'name'])
    .where('id', '=', developerId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

// Sign-in links and sessions

export async function insertSignInLink(tx: Db, row: SignInLinksTable): Promise<void> {
  await tx.insertInto('sign_in_links').values(row).execute();
}

export function findSignInLink(db: Db, tokenHash: string) {
  return db
    .selectFrom('sign_in_links as l')
    .innerJoin('developers as d', 'd.id', 'l.developer_id')
    .select(['l.developer_id', 'l.expires_at', 'l.used_at', 'd.email'])
    .where('l.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Spends a link once: of two concurrent uses only one updates the row. */
export async function spendSignInLink(tx: Db, tokenHash: string, now: string): Promise<boolean> {
  const r = await tx
    .updateTable('sign_in_links')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function insertSession(tx: Db, row: PortalSessionsTable): Promise<void> {
  await tx.insertInto('portal_sessions').values(row).execute();
}

export function findLiveSession(db: Db, tokenHash: string, now: string, idleSince: string) {
  return db
    .selectFrom('portal_sessions as s')
    .innerJoin('developers as d', 'd.id', 's.developer_id')
    .select(['s.developer_id', 's.last_seen_at', 'd.email'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.ended_at', 'is', null)
    .where('s.expires_at', '>', now)
    .where('s.last_seen_at', '>', idleSince)
    .executeTakeFirst();
}

export async function touchSession(db: Db, tokenHash: string, now: string): Promise<void> {
  await db.updateTable('portal_sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute();
}

export async function endSession(db: Db, tokenHash: string, now: string): Promise<void> {
  await db
    .updateTable('portal_sessions')
    .set({ ended_at: now })
    .where('token_hash', '=', tokenHash)
    .where('ended_at', 'is', null)
    .execute();
}

// Developer tokens

export async function insertToken(db: Db, row: DeveloperTokensTable): Promise<void> {
  await db.insertInto('developer_tokens').values(row).execute();
}

export function listTokens(db: Db, developerId: string) {
  return db
    .selectFrom('developer_tokens')
    .select(['id', 'name', 'created_at', 'last_used_at', 'revoked_at'])
    .where('developer_id', '=', developerId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

export async function revokeToken(db: Db, developerId: string, id: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('developer_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('developer_id', '=', developerId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export function findTokenByHash(db: Db, tokenHash: string) {
  return db
    .selectFrom('developer_tokens')
    .select(['id', 'developer_id', 'revoked_at', 'last_used_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchToken(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable('developer_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

// The console's lists

/**
 * Newest first from after the cursor, one row more than a page: its presence says there is a next page. The cursor
 * is one row-value comparison, (created_at, id) < (…, …): both stores read it as a range of an index ending in
 * (created_at, id) (events_application, uploads_application), where the same test written with OR is not one on
 * PostgreSQL. SQLite reads each application's range newest first and stops once it holds a page, however deep the
 * page; PostgreSQL reads the developer's rows after the cursor and sorts them, so no page costs more than the
 * first, which reads them all (bench/portal.ts).
 */
export const newestFirst = <T extends { where: any; orderBy: any; limit: any }>(
  q: T,
  alias: string,
  cursor: Cursor | undefined,
  limit: number,
): T => {
  const [createdAt, id] = [`${alias}.created_at`, `${alias}.id`];
  const from = cursor
    ? q.where((eb: any) => eb(eb.refTuple(createdAt, id), '<', eb.tuple(cursor.createdAt, cursor.id)))
    : q;
  return from
    .orderBy(createdAt, 'desc')
    .orderBy(id, 'desc')
    .limit(limit + 1);
};

/**
 * The developer's integrations: those of the applications they own. The integrations pages list them, and they
 * are what lets the developer see an instance's scope files.
 */
function ownIntegrations(db: Db, developerId: string) {
  return db
    .selectFrom('integrations as i')
    .innerJoin('applications as a', 'a.id', 'i.application_id')
    .where('a.developer_id', '=', developerId);
}

export function listIntegrations(db: Db, developerId: string, cursor: Cursor | undefined, limit: number) {
  const q = ownIntegrations(db, developerId)
    .innerJoin('instances as n', 'n.id', 'i.instance_id')
    .select((eb) => [
      'i.id',
      'i.status',
      'i.solution',
      'i.created_at',
      'i.revoked_at',
      'a.id as application_id',
      'a.name as application_name',
      'n.name as instance_name',
      'n.product',
      eb
        .selectFrom('api_keys as k')
        .select((k) => k.fn.max('k.expires_at').as('x'))
        .whereRef('k.integration_id', '=', 'i.id')
        .where('k.replaced_at', 'is', null)
        .as('key_expires'),
    ]);
  return newestFirst(q, 'i', cursor, limit).execute();
}

export function findIntegration(db: Db, developerId: string, integrationId: string) {
  return ownIntegrations(db, developerId)
    .select(['i.id', 'i.application_id', 'i.status'])
    .where('i.id', '=', integrationId)
    .executeTakeFirst();
}

/** The developer's events, matching the filter: the events list before its order and page (listEvents). */
export function eventsOf(
  db: Db,
  developerId: string,
  filter: { status?: string | undefined; type?: string | undefined; applicationId?: string | undefined },
) {
  let q = db
    .selectFrom('events as e')
    .innerJoin('applications as a', 'a.id', 'e.application_id')
    .select([
      'e.id',
      'e.type',
      'e.status',
      'e.attempts',
      'e.created_at',
      'e.last_attempt_at',
      'e.next_attempt_at',
      'e.integration_id',
      'a.name as application_name',
    ])
    .where('a.developer_id', '=', developerId);
  if (filter.status) q = q.where('e.status', '=', filter.status as 'pending');
  if (filter.type) q = q.where('e.type', '=', filter.type);
  if (filter.applicationId) q = q.where('e.application_id', '=', filter.applicationId);
  return q;
}

export function listEvents(
  db: Db,
  developerId: string,
  filter: Parameters<typeof eventsOf>[2],
  cursor: Cursor | undefined,
  limit: number,
) {
  return newestFirst(eventsOf(db, developerId, filter), 'e', cursor, limit).execute();
}

export function findEvent(db: Db, developerId: string, eventId: string) {
  return db
    .selectFrom('events as e')
    .innerJoin('applications as a', 'a.id', 'e.application_id')
    .selectAll('e')
    .select(['a.name as application_name', 'a.notification_url'])
    .where('e.id', '=', eventId)
    .where('a.developer_id', '=', developerId)
    .executeTakeFirst();
}

export function listAttempts(db: Db, eventId: string) {
  return db
    .selectFrom('event_attempts')
    .selectAll()
    .where('event_id', '=', eventId)
    .orderBy('attempt', 'desc')
    .limit(200)
    .execute();
}

/** The developer's uploads, matching the filter: the uploads list before its order and page (listUploads). */
export function uploadsOf(db: Db, developerId: string, filter: { status?: string | undefined }) {
  // The instance's name by a subquery, not a join: the uploads stay the innermost loop, read in order (newestFirst).
  let q = db
    .selectFrom('uploads as u')
    .innerJoin('applications as a', 'a.id', 'u.application_id')
    .select((eb) => [
      'u.id',
      'u.type',
      'u.status',
      'u.progress',
      'u.records',
      'u.size',
      'u.error_count',
      'u.created_at',
      'u.updated_at',
      'a.name as application_name',
      eb.selectFrom('instances as n').select('n.name').whereRef('n.id', '=', 'u.instance_id').as('instance_name'),
    ])
    .where('a.developer_id', '=', developerId);
  if (filter.status) q = q.where('u.status', '=', filter.status as 'valid');
  return q;
}

export function listUploads(
  db: Db,
  developerId: string,
  filter: { status?: string | undefined },
  cursor: Cursor | undefined,
  limit: number,
) {
  return newestFirst(uploadsOf(db, developerId, filter), 'u', cursor, limit).execute();
}

export function findUpload(db: Db, developerId: string, uploadId: string) {
  return db
    .selectFrom('uploads as u')
    .innerJoin('applications as a', 'a.id', 'u.application_id')
    .innerJoin('instances as n', 'n.id', 'u.instance_id')
    .selectAll('u')
    .select(['a.name as application_name', 'n.name as instance_name'])
    .where('u.id', '=', uploadId)
    .where('a.developer_id', '=', developerId)
    .executeTakeFirst();
}

/** Scope files of the instances the developer's applications are actively integrated with, on their solution. */
export function listScopeFiles(db: Db, developerId: string, cursor: Cursor | undefined, limit: number) {
  const q = db
    .selectFrom('scope_files as f')
    .innerJoin('instances as n', 'n.id', 'f.instance_id')
    .select([
      'f.id',
      'f.scope',
      'f.solution',
      'f.records',
      'f.size',
      'f.sha256',
      'f.created_at',
      'f.previous_file_id',
      'n.name as instance_name',
    ])
    .where(({ exists }) => exists(integratedWith(db, developerId)));
  return newestFirst(q, 'f', cursor, limit).execute();
}

export function findScopeFile(db: Db, developerId: string, fileId: string) {
  return db
    .selectFrom('scope_files as f')
    .select(['f.id', 'f.blob_key', 'f.size', 'f.sha256', 'f.scope'])
    .where('f.id', '=', fileId)
    .where(({ exists }) => exists(integratedWith(db, developerId)))
    .executeTakeFirst();
}

/** Correlated with the scope file `f`: an active integration of the developer's with its instance, on its solution. */
function integratedWith(db: Db, developerId: string) {
  return ownIntegrations(db, developerId)
    .select(sql`1`.as('one'))
    .whereRef('i.instance_id', '=', sql.ref('f.instance_id'))
    .whereRef('i.solution', '=', sql.ref('f.solution'))
    .where('i.status', '=', 'active');
}
