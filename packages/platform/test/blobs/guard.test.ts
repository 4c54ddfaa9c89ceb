import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { filesystemBlobs, type BlobStore } from '../../src/infra/blobs/index.js';
import { DISCARD_BLOBS, guardBlobs } from '../../src/infra/blobs/jobs.js';
import { createLogger } from '../../src/infra/log.js';
import { JobQueue } from '../../src/infra/queue/index.js';
import { openStore, type Store } from '../../src/infra/store/index.js';
import { describeEachStore } from '../support/stores.js';

/**
 * The guard of a blob on its way to a record (infra/blobs/jobs.ts), as the writer sees it: kept by the record's
 * transaction, or discarded when the writer gives up, and never discarded once the record was committed (the
 * writer may see an error at commit though the commit happened). What a dead writer leaves is tested with a
 * killed process (test/uploads/orphans.test.ts).
 */
describeEachStore('a guarded blob write', (testStore) => {
  let store: Store;
  let blobs: BlobStore;
  let queue: JobQueue;
  beforeEach(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-guard-'));
    store = await openStore({ databaseUrl: testStore.databaseUrl, dataDir });
    await store.db.deleteFrom('jobs').execute(); // the PostgreSQL database is the suite's
    blobs = filesystemBlobs(dataDir);
    queue = new JobQueue(store, createLogger('fatal'), { concurrency: 8, pollMs: 100, leaseMs: 30_000 });
  });
  afterEach(async () => {
    await store.close();
  });

  const write = async (key: string) => {
    const writer = await blobs.create(key);
    await writer.write(Buffer.from('[]'));
    await writer.commit();
  };
  const exists = (key: string) =>
    blobs.size(key).then(
      () => true,
      () => false,
    );
  const guards = () =>
    store.db.selectFrom('jobs').select(['locked_by']).where('kind', '=', DISCARD_BLOBS.kind).execute();

  it('is a job held by the writer while it writes, gone with the record that keeps the blob', async () => {
    const guard = await guardBlobs(queue, blobs, ['a/kept.json']);
    expect(await guards()).toEqual([{ locked_by: expect.stringMatching(/:/) }]);
    await write('a/kept.json');
    await store.db.transaction().execute((tx) => guard.kept(tx));
    expect(await guards()).toEqual([]);
    expect(await exists('a/kept.json')).toBe(true);
  });

  it('removes the blob and itself when the writer gives up, the record having been rolled back', async () => {
    const guard = await guardBlobs(queue, blobs, ['a/refused.json']);
    await write('a/refused.json');
    await expect(
      store.db.transaction().execute(async (tx) => {
        await guard.kept(tx);
        throw new Error('the record could not be written');
      }),
    ).rejects.toThrow('the record could not be written');
    await guard.discarded();
    expect(await exists('a/refused.json')).toBe(false);
    expect(await guards()).toEqual([]);
  });

  it('leaves the blob to its record when the record was committed though the writer saw an error', async () => {
    const guard = await guardBlobs(queue, blobs, ['a/committed.json']);
    await write('a/committed.json');
    await store.db.transaction().execute((tx) => guard.kept(tx));
    await guard.discarded(); // as after a connection lost at COMMIT: the writer cannot tell
    expect(await exists('a/committed.json')).toBe(true);
    expect(await guards()).toEqual([]);
  });
});
