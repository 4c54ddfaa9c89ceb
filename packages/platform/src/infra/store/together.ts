import DataLoader from 'dataloader';
import type { Db } from './index.js';

/**
 * Makes `write(tx, item)` calls started at once within one transaction into one `writeAll(tx, items)`: the queue
 * settles the jobs that finished together in one transaction, and their records (of a kind with independent
 * records) then reach the store as a few statements for all instead of a few for each. A failure fails every call
 * of the batch, and so the transaction, which the queue then settles job by job.
 */
export function together<T>(writeAll: (tx: Db, items: T[]) => Promise<void>): (tx: Db, item: T) => Promise<void> {
  const batches = new WeakMap<Db, DataLoader<T, void>>();
  return (tx, item) => {
    let batch = batches.get(tx);
    if (!batch) {
      batch = new DataLoader<T, void>(
        async (items) => {
          await writeAll(tx, [...items]);
          return items.map(() => undefined);
        },
        { cache: false, maxBatchSize: 500 },
      );
      batches.set(tx, batch);
    }
    return batch.load(item);
  };
}
