import { Type } from 'typebox';
import { defineJob, handler, type JobQueue, type JobRegistration } from '../queue/index.js';
import type { Db } from '../store/index.js';
import type { BlobStore } from './index.js';

/**
 * Blobs are deleted by a job queued in the transaction that drops their record: a blob is never gone while a
 * record still points at it, and a crash between the two leaves the job, not an orphan.
 */
export const DELETE_BLOB = defineJob('delete-blob', Type.Object({ key: Type.String({ minLength: 1 }) }));

export async function deleteBlobsLater(tx: Db, queue: JobQueue, keys: Iterable<string>): Promise<void> {
  for (const key of keys) await queue.enqueue(tx, DELETE_BLOB, { key });
}

export function blobJobs(blobs: BlobStore): JobRegistration[] {
  return [handler(DELETE_BLOB, ({ key }) => blobs.delete(key))];
}
