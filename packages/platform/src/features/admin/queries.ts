import type { Db } from '../../infra/store/index.js';
import { prepared } from '../../infra/store/prepared.js';
import type { InstancesTable } from '../../infra/store/schema.js';

export async function insertInstance(db: Db, row: InstancesTable): Promise<void> {
  await db.insertInto('instances').values(row).execute();
}

export function listInstances(db: Db) {
  return db
    .selectFrom('instances')
    .select(['id', 'name', 'product', 'created_at'])
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .execute();
}

const instanceByKeyHash = prepared((db: Db, keyHash: string) =>
  db
    .selectFrom('instances')
    .select(['id', 'name', 'product'])
    .where('key_hash', '=', keyHash)
    .where('deleted_at', 'is', null),
);

export function findInstanceByKeyHash(db: Db, keyHash: string) {
  return instanceByKeyHash.first(db, keyHash);
}

export async function deleteInstance(tx: Db, id: string, at: string): Promise<boolean> {
  const r = await tx
    .updateTable('instances')
    .set({ deleted_at: at })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}
