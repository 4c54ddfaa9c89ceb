import { Type } from 'typebox';
import { defineJob, handler, type JobQueue, type JobRegistration } from '../queue/index.js';
import type { Db } from '../store/index.js';
import type { BlobStore } from './index.js';

/**
 * Blobs are deleted by a job queued in the transaction that drops their record: a blob is never gone while a
 * record still points at it, and a crash between the two leaves the job, not an orphan.
 */
export const DELETE_BLOB = defineJob('delete-blob', Type.Object({ key: Type.String({ minLength: 1 }) }));

/** Removes those of the blobs no record refers to, with their unfinished writes: what a dead writer left. */
export const DISCARD_BLOBS = defineJob(
  'discard-blobs',
  Type.Object({ keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) }),
);

export async function deleteBlobsLater(tx: Db, queue: JobQueue, keys: Iterable<string>): Promise<void> {
  for (const key of keys) await queue.enqueue(tx, DELETE_BLOB, { key });
}

/** Blobs on their way to a record: see guardBlobs. */
export interface BlobGuard {
  /** In the transaction that commits the record referring to the blobs (which rolls back if the guard was lost). */
  kept(tx: Db): Promise<void>;
  /**
   * The writer gave up: the blobs are removed now, or by the guard's job if that fails; not if the record's
   * transaction committed after all (the writer saw an error at commit): then they are the record's. Never throws.
   */
  discarded(): Promise<void>;
}

/**
 * Guards blobs about to be written for a record, against the writer's death between the two (a SIGKILL, a host
 * lost): before the first byte, a DISCARD_BLOBS job is committed, held by this process (JobQueue.hold). The
 * record's transaction deletes it; a writer that gives up removes the blobs and the job; a writer that dies
 * leaves the job, which runs when its lease ends (at once when a process starts again on the same host) and
 * removes what the writer left, unless a record refers to it. So a crash leaves no orphan in the bucket for
 * longer than a lease, where the sweep at start could only remove those older than UNREFERENCED_GRACE_MS.
 */
export async function guardBlobs(queue: JobQueue, blobs: BlobStore, keys: string[]): Promise<BlobGuard> {
  const held = await queue.hold(DISCARD_BLOBS, { keys });
  return {
    kept: (tx) => held.end(tx),
    async discarded() {
      try {
        if (!(await held.holds())) return; // kept after all, or taken over: the job checks the records itself
        for (const key of keys) await blobs.delete(key);
        await held.drop();
      } catch {
        await held.release().catch(() => {}); // else its lease ends: the job runs either way
      }
    },
  };
}

export function blobJobs(blobs: BlobStore, referenced: (keys: string[]) => Promise<Set<string>>): JobRegistration[] {
  return [
    handler(DELETE_BLOB, ({ key }) => blobs.delete(key)),
    handler(DISCARD_BLOBS, async ({ keys }) => {
      const kept = await referenced(keys);
      for (const key of keys) if (!kept.has(key)) await blobs.discard(key);
    }),
  ];
}
