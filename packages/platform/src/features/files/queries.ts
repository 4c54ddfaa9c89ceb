import { sql } from 'kysely';
import type { Db } from '../../infra/store/index.js';
import { allColumns, prepared } from '../../infra/store/prepared.js';
import type { ScopeFilesTable } from '../../infra/store/schema.js';

const SCOPE_FILE = allColumns<ScopeFilesTable>({
  id: true,
  instance_id: true,
  solution: true,
  scope: true,
  blob_key: true,
  records: true,
  size: true,
  sha256: true,
  previous_file_id: true,
  created_at: true,
});

const newestOfScope = prepared((db: Db, instanceId: string, solution: string, scope: string) =>
  db
    .selectFrom('scope_files')
    .select(SCOPE_FILE)
    .where('instance_id', '=', instanceId)
    .where('solution', '=', solution)
    .where('scope', '=', scope)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1),
);

export function currentFile(db: Db, where: { instanceId: string; solution: string; scope: string }) {
  return newestOfScope.first(db, where.instanceId, where.solution, where.scope);
}

/** The current (newest) file of every scope of an instance and solution. */
const newestOfEachScope = prepared((db: Db, instanceId: string, solution: string) =>
  db
    .selectFrom('scope_files as f')
    .select(SCOPE_FILE.map((column) => `f.${column}` as const))
    .where('f.instance_id', '=', instanceId)
    .where('f.solution', '=', solution)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('scope_files as n')
            .select(sql`1`.as('x'))
            .whereRef('n.instance_id', '=', 'f.instance_id')
            .whereRef('n.solution', '=', 'f.solution')
            .whereRef('n.scope', '=', 'f.scope')
            .whereRef('n.created_at', '>', 'f.created_at'),
        ),
      ),
    )
    .orderBy('f.scope'),
);

export function currentFiles(db: Db, instanceId: string, solution: string) {
  return newestOfEachScope.all(db, instanceId, solution);
}

export function findFile(db: Db, fileId: string, where: { instanceId: string; solution: string }) {
  return db
    .selectFrom('scope_files')
    .selectAll()
    .where('id', '=', fileId)
    .where('instance_id', '=', where.instanceId)
    .where('solution', '=', where.solution)
    .executeTakeFirst();
}

export async function insertFile(tx: Db, row: ScopeFilesTable): Promise<void> {
  await tx.insertInto('scope_files').values(row).execute();
}

/** Removes all but the newest `keep` versions of a scope; returns the blobs they held. */
export async function pruneVersions(
  tx: Db,
  where: { instanceId: string; solution: string; scope: string },
  keep: number,
): Promise<string[]> {
  const old = await tx
    .selectFrom('scope_files')
    .select(['id', 'blob_key'])
    .where('instance_id', '=', where.instanceId)
    .where('solution', '=', where.solution)
    .where('scope', '=', where.scope)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(1000)
    .execute();
  if (old.length === 0) return [];
  await tx
    .deleteFrom('scope_files')
    .where(
      'id',
      'in',
      old.map((o) => o.id),
    )
    .execute();
  return old.map((o) => o.blob_key);
}

export function activeIntegrations(db: Db, instanceId: string, solution: string) {
  return db
    .selectFrom('integrations')
    .select(['id', 'application_id'])
    .where('instance_id', '=', instanceId)
    .where('solution', '=', solution)
    .where('status', '=', 'active')
    .execute();
}

/** Which of these blob keys scope files hold. */
export async function referencedKeys(db: Db, blobKeys: string[]): Promise<Set<string>> {
  if (blobKeys.length === 0) return new Set();
  const rows = await db.selectFrom('scope_files').select('blob_key').where('blob_key', 'in', blobKeys).execute();
  return new Set(rows.map((r) => r.blob_key));
}

/** Bytes of the scope files an instance has kept (every version), for its quota. */
export async function bytesKept(db: Db, instanceId: string): Promise<number> {
  const row = await db
    .selectFrom('scope_files')
    .select((eb) => eb.fn.sum<number | string | null>('size').as('n'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
