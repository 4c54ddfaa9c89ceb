import type { Db } from '../../infra/store/index.js';
import { prepared } from '../../infra/store/prepared.js';
import type { ApiKeysTable } from '../../infra/store/schema.js';

export async function insertKey(tx: Db, row: ApiKeysTable): Promise<void> {
  await tx.insertInto('api_keys').values(row).execute();
}

/** A key with its integration: what authenticating and rotating need. */
const keyByHash = prepared((db: Db, keyHash: string) =>
  db
    .selectFrom('api_keys as k')
    .innerJoin('integrations as i', 'i.id', 'k.integration_id')
    .select([
      'k.key_hash',
      'k.expires_at',
      'k.replaced_at',
      'k.valid_until',
      'k.successor_hash',
      'k.successor_sealed',
      'i.id as integrationId',
      'i.application_id as applicationId',
      'i.instance_id as instanceId',
      'i.solution',
      'i.status',
      'i.secret_hash',
    ])
    .where('k.key_hash', '=', keyHash),
);

export function findKey(db: Db, keyHash: string) {
  return keyByHash.first(db, keyHash);
}

/** Marks a key replaced, once: false when another rotation replaced it first. */
export async function replaceKey(
  tx: Db,
  keyHash: string,
  change: { replaced_at: string; valid_until: string; successor_hash: string; successor_sealed: string },
): Promise<boolean> {
  const r = await tx
    .updateTable('api_keys')
    .set(change)
    .where('key_hash', '=', keyHash)
    .where('replaced_at', 'is', null)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function forgetSuccessor(db: Db, keyHash: string): Promise<void> {
  await db.updateTable('api_keys').set({ successor_sealed: null }).where('key_hash', '=', keyHash).execute();
}

const integrationById = prepared((db: Db, integrationId: string) =>
  db
    .selectFrom('integrations as i')
    .innerJoin('applications as a', 'a.id', 'i.application_id')
    .innerJoin('instances as n', 'n.id', 'i.instance_id')
    .select([
      'i.id',
      'i.solution',
      'i.status',
      'i.created_at',
      'a.id as applicationId',
      'a.name as applicationName',
      'n.id as instanceId',
      'n.name as instanceName',
      'n.product as instanceProduct',
    ])
    .where('i.id', '=', integrationId),
);

export function findIntegration(db: Db, integrationId: string) {
  return integrationById.first(db, integrationId);
}
