import type { UploadStatus } from '@connected-cloud/contract';
import type { Db } from '../../infra/store/index.js';
import { allColumns, prepared } from '../../infra/store/prepared.js';
import { FINAL } from './status.js';
import type { UploadsTable } from '../../infra/store/schema.js';

export function insertUpload(tx: Db, row: UploadsTable) {
  return tx.insertInto('uploads').values(row).execute();
}

const UPLOAD = allColumns<UploadsTable>({
  id: true,
  integration_id: true,
  application_id: true,
  instance_id: true,
  solution: true,
  type: true,
  status: true,
  progress: true,
  blob_key: true,
  size: true,
  sha256: true,
  records: true,
  error_count: true,
  errors: true,
  idempotency_key: true,
  lease_until: true,
  result_blob_key: true,
  result_size: true,
  result_sha256: true,
  ids_digest: true,
  result_accepted: true,
  result_rejected: true,
  body_removed_at: true,
  created_at: true,
  updated_at: true,
});

const uploadById = prepared((db: Db, id: string) => db.selectFrom('uploads').select(UPLOAD).where('id', '=', id));

export function findUpload(db: Db, id: string) {
  return uploadById.first(db, id);
}

export function findByIdempotencyKey(db: Db, integrationId: string, key: string) {
  return db
    .selectFrom('uploads')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/** Moves an upload from the status it was read in; false when it has moved meanwhile (nothing changed). */
export async function moveUpload(
  tx: Db,
  id: string,
  from: UploadStatus,
  changes: Partial<UploadsTable>,
): Promise<boolean> {
  const result = await tx
    .updateTable('uploads')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export function listUploads(db: Db, integrationId: string, opts: { status?: UploadStatus | undefined; limit: number }) {
  let q = db.selectFrom('uploads').selectAll().where('integration_id', '=', integrationId);
  if (opts.status) q = q.where('status', '=', opts.status);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
}

/** How many uploads the inbox answers with at most. */
export const INBOX_LIMIT = 100;

/** Valid uploads waiting for an instance, oldest first, from integrations that are still active. */
const pendingOfInstance = prepared((db: Db, instanceId: string) =>
  db
    .selectFrom('uploads as u')
    .innerJoin('integrations as i', 'i.id', 'u.integration_id')
    .select(['u.id', 'u.integration_id', 'u.type', 'u.records', 'u.size'])
    .where('u.instance_id', '=', instanceId)
    .where('u.status', '=', 'pending')
    .where('i.status', '=', 'active')
    .orderBy('u.created_at')
    .orderBy('u.id')
    .limit(INBOX_LIMIT),
);

export function inbox(db: Db, instanceId: string) {
  return pendingOfInstance.all(db, instanceId);
}

/** Which of these blob keys are an upload's content or result: one query for the lot. */
export async function referencedKeys(db: Db, blobKeys: string[]): Promise<Set<string>> {
  const ids = [
    ...new Set(
      blobKeys
        .map((k) => /^uploads\/[^/]+\/(upl_[0-9A-Za-z]+)\./.exec(k)?.[1])
        .filter((id): id is string => id !== undefined),
    ),
  ];
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('uploads').select(['blob_key', 'result_blob_key']).where('id', 'in', ids).execute();
  return new Set(rows.flatMap((r) => [r.blob_key, r.result_blob_key]).filter((k): k is string => k !== null));
}

/** Uploads in a final status last changed before `before`: what retention removes. */
export function finishedBefore(db: Db, before: string, limit: number) {
  return db
    .selectFrom('uploads')
    .select(['id', 'blob_key', 'result_blob_key'])
    .where('status', 'in', FINAL)
    .where('updated_at', '<', before)
    .limit(limit)
    .execute();
}

export async function deleteUploads(tx: Db, ids: string[]): Promise<void> {
  await tx.deleteFrom('uploads').where('id', 'in', ids).execute();
}

/** Bytes of the upload bodies an integration has kept, for its quota. */
export async function bytesKept(db: Db, integrationId: string): Promise<number> {
  const row = await db
    .selectFrom('uploads')
    .select((eb) => eb.fn.sum<number | string | null>('size').as('n'))
    .where('integration_id', '=', integrationId)
    .where('body_removed_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function countByStatus(db: Db): Promise<Array<{ status: string; n: number | string }>> {
  return db
    .selectFrom('uploads')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
}
