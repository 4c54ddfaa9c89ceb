import type { Db } from '../../infra/store/index.js';
import type { ConsentsTable, IntegrationsTable, PasscodesTable } from '../../infra/store/schema.js';

export function countPasscodesSince(db: Db, applicationId: string, since: string) {
  return db
    .selectFrom('passcodes')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
    .where('application_id', '=', applicationId)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
}

export async function insertPasscode(db: Db, row: PasscodesTable): Promise<void> {
  await db.insertInto('passcodes').values(row).execute();
}

export function failuresSince(db: Db, instanceId: string, since: string) {
  return db
    .selectFrom('passcode_failures')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('failed_at').as('oldest')])
    .where('instance_id', '=', instanceId)
    .where('failed_at', '>', since)
    .executeTakeFirstOrThrow();
}

export async function recordFailure(db: Db, instanceId: string, at: string, pruneBefore: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('passcode_failures').where('failed_at', '<=', pruneBefore).execute();
    await tx.insertInto('passcode_failures').values({ instance_id: instanceId, failed_at: at }).execute();
  });
}

/** A passcode that may still be looked up, with what the consent challenge shows. */
export function findOpenPasscode(db: Db, codeHash: string, now: string) {
  return db
    .selectFrom('passcodes as p')
    .innerJoin('applications as a', 'a.id', 'p.application_id')
    .innerJoin('developers as d', 'd.id', 'a.developer_id')
    .select([
      'p.id',
      'p.expires_at',
      'a.id as applicationId',
      'a.name as applicationName',
      'a.description',
      'a.solution',
      'd.name as developerName',
      'd.company',
    ])
    .where('p.code_hash', '=', codeHash)
    .where('p.status', '=', 'pending')
    .where('p.expires_at', '>', now)
    .where('a.status', '=', 'active')
    .executeTakeFirst();
}

export async function claimPasscode(tx: Db, passcodeId: string, instanceId: string): Promise<boolean> {
  const r = await tx
    .updateTable('passcodes')
    .set({ status: 'claimed', instance_id: instanceId })
    .where('id', '=', passcodeId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function insertConsent(tx: Db, row: ConsentsTable): Promise<void> {
  await tx.insertInto('consents').values(row).execute();
}

/** A consent of this instance with its passcode and application. */
export function findConsent(db: Db, consentId: string, instanceId: string) {
  return db
    .selectFrom('consents as c')
    .innerJoin('passcodes as p', 'p.id', 'c.passcode_id')
    .innerJoin('applications as a', 'a.id', 'p.application_id')
    .select([
      'c.id',
      'c.status',
      'c.expires_at',
      'p.id as passcodeId',
      'p.secret_hash',
      'a.id as applicationId',
      'a.solution',
    ])
    .where('c.id', '=', consentId)
    .where('c.instance_id', '=', instanceId)
    .executeTakeFirst();
}

export async function closeConsent(
  tx: Db,
  consentId: string,
  status: 'granted' | 'denied',
  now: string,
): Promise<boolean> {
  const r = await tx
    .updateTable('consents')
    .set({ status })
    .where('id', '=', consentId)
    .where('status', '=', 'open')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function updatePasscode(tx: Db, passcodeId: string, change: Partial<PasscodesTable>): Promise<void> {
  await tx.updateTable('passcodes').set(change).where('id', '=', passcodeId).execute();
}

export function findActiveIntegrations(db: Db, where: { instanceId: string; applicationId?: string }) {
  let query = db
    .selectFrom('integrations')
    .select(['id', 'application_id', 'created_at'])
    .where('instance_id', '=', where.instanceId)
    .where('status', '=', 'active');
  if (where.applicationId) query = query.where('application_id', '=', where.applicationId);
  return query.execute();
}

export async function insertIntegration(tx: Db, row: IntegrationsTable): Promise<void> {
  await tx.insertInto('integrations').values(row).execute();
}

export async function revokeIntegration(tx: Db, integrationId: string, at: string): Promise<boolean> {
  const r = await tx
    .updateTable('integrations')
    .set({ status: 'revoked', revoked_at: at })
    .where('id', '=', integrationId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export function listIntegrations(db: Db, instanceId: string) {
  return db
    .selectFrom('integrations as i')
    .innerJoin('applications as a', 'a.id', 'i.application_id')
    .innerJoin('developers as d', 'd.id', 'a.developer_id')
    .select([
      'i.id',
      'i.solution',
      'i.status',
      'i.created_at',
      'i.revoked_at',
      'a.id as applicationId',
      'a.name as applicationName',
      'd.name as developerName',
      'd.company',
    ])
    .where('i.instance_id', '=', instanceId)
    .orderBy('i.created_at', 'desc')
    .execute();
}

export function findIntegrationOfInstance(db: Db, integrationId: string, instanceId: string) {
  return db
    .selectFrom('integrations')
    .select(['id', 'application_id', 'status'])
    .where('id', '=', integrationId)
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
}

export function findPasscodeOfApplication(db: Db, passcodeId: string, applicationId: string) {
  return db
    .selectFrom('passcodes')
    .selectAll()
    .where('id', '=', passcodeId)
    .where('application_id', '=', applicationId)
    .executeTakeFirst();
}

export async function forgetPasscodeKey(db: Db, passcodeId: string): Promise<void> {
  await db.updateTable('passcodes').set({ apikey_sealed: null }).where('id', '=', passcodeId).execute();
}
