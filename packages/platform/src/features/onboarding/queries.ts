import type { Db } from '../../infra/store/index.js';
import type { ApplicationsTable, DevelopersTable } from '../../infra/store/schema.js';

export async function insertPendingRegistration(
  db: Db,
  rows: { developer: DevelopersTable; application: ApplicationsTable; tokenHash: string; expiresAt: string },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('developers').values(rows.developer).execute();
    await tx.insertInto('applications').values(rows.application).execute();
    await tx
      .insertInto('registrations')
      .values({
        token_hash: rows.tokenHash,
        developer_id: rows.developer.id,
        application_id: rows.application.id,
        expires_at: rows.expiresAt,
        completed_at: null,
        created_at: rows.developer.created_at,
      })
      .execute();
  });
}

export function findRegistration(db: Db, tokenHash: string) {
  return db
    .selectFrom('registrations as r')
    .innerJoin('developers as d', 'd.id', 'r.developer_id')
    .innerJoin('applications as a', 'a.id', 'r.application_id')
    .select([
      'r.token_hash',
      'r.expires_at',
      'r.completed_at',
      'd.id as developerId',
      'd.name as developerName',
      'd.email',
      'a.id as applicationId',
      'a.name as applicationName',
    ])
    .where('r.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/**
 * Completes a registration once, inside the caller's transaction: the token is claimed by a conditional update,
 * so of two concurrent completions only one activates. Returns false when the token was used or has expired.
 */
export async function activateRegistration(
  tx: Db,
  args: { tokenHash: string; now: string; developerId: string; applicationId: string; webhookSecretSealed: string },
): Promise<boolean> {
  const claimed = await tx
    .updateTable('registrations')
    .set({ completed_at: args.now })
    .where('token_hash', '=', args.tokenHash)
    .where('completed_at', 'is', null)
    .where('expires_at', '>', args.now)
    .executeTakeFirst();
  if (claimed.numUpdatedRows !== 1n) return false;
  await tx
    .updateTable('developers')
    .set({ status: 'active', activated_at: args.now })
    .where('id', '=', args.developerId)
    .execute();
  await tx
    .updateTable('applications')
    .set({ status: 'active', webhook_secret_sealed: args.webhookSecretSealed })
    .where('id', '=', args.applicationId)
    .execute();
  return true;
}

/** Records a captcha solution as used; false if it already was (a replay). Expired entries are pruned on the way. */
export async function spendCaptcha(db: Db, signatureHash: string, expiresAt: string, now: string): Promise<boolean> {
  await db.deleteFrom('captcha_spent').where('expires_at', '<', now).execute();
  const inserted = await db
    .insertInto('captcha_spent')
    .values({ signature_hash: signatureHash, expires_at: expiresAt })
    .onConflict((oc) => oc.column('signature_hash').doNothing())
    .executeTakeFirst();
  return inserted.numInsertedOrUpdatedRows === 1n;
}

export function findActiveDeveloper(db: Db, developerId: string) {
  return db
    .selectFrom('developers')
    .selectAll()
    .where('id', '=', developerId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

export async function insertApplication(db: Db, application: ApplicationsTable): Promise<void> {
  await db.insertInto('applications').values(application).execute();
}

export function findActiveApplication(db: Db, developerId: string, applicationId: string) {
  return db
    .selectFrom('applications')
    .selectAll()
    .where('id', '=', applicationId)
    .where('developer_id', '=', developerId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

export function listActiveApplications(db: Db, developerId: string) {
  return db
    .selectFrom('applications')
    .selectAll()
    .where('developer_id', '=', developerId)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function updateApplication(
  db: Db,
  applicationId: string,
  changes: Partial<ApplicationsTable>,
): Promise<void> {
  await db.updateTable('applications').set(changes).where('id', '=', applicationId).execute();
}
