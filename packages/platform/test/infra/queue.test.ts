import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { Type } from 'typebox';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/infra/clock.js';
import { createLogger } from '../../src/infra/log.js';
import { JobQueue, defineJob, defineRecurring, type JobHandler, type JobOutcome } from '../../src/infra/queue/index.js';
import { openStore, type Store } from '../../src/infra/store/index.js';
import { together } from '../../src/infra/store/together.js';
import { built } from '../support/process.js';
import { createDatabase, describeEachStore } from '../support/stores.js';

const WORKER = fileURLToPath(new URL('../support/queue-worker.mjs', import.meta.url));
const TASK = defineJob('test-task', Type.Object({ n: Type.Integer() }));
const HANG = defineJob('test-hang', Type.Object({ n: Type.Integer() }));
const released = () => {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
};

describeEachStore('job queue', (testStore) => {
  const toRelease: Array<() => void> = [];
  /** released(), which afterEach releases should the test end (fail) with it unreleased. */
  const releasedAtEnd = () => {
    const g = released();
    toRelease.push(g.release);
    return g;
  };
  let dataDir: string;
  const stores: Store[] = [];
  const queues: JobQueue[] = [];

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-queue-'));
    const store = await open();
    await store.db.deleteFrom('jobs').execute(); // the PostgreSQL database is the suite's
  });
  afterEach(async () => {
    for (const release of toRelease.splice(0)) release(); // a failed test's queue then stops
    for (const q of queues.splice(0)) await q.stop();
    for (const s of stores.splice(0)) await s.close();
  });

  /**
   * On PostgreSQL each queue gets a pool of its own, as another process would. SQLite takes one connection per
   * process (better-sqlite3 waits synchronously on a lock), so there the queues of this process share one.
   */
  async function open(): Promise<Store> {
    if (testStore.kind === 'sqlite' && stores[0]) return stores[0];
    const store = await openStore({ databaseUrl: testStore.databaseUrl, dataDir });
    stores.push(store);
    return store;
  }

  /** A started queue on its own worker ID: a second one stands for another process. */
  async function queue(
    opts: {
      concurrency?: number;
      leaseMs?: number;
      start?: boolean;
      clock?: TestClock;
      register?: (q: JobQueue) => void;
    } = {},
  ) {
    const store = await open();
    const q = new JobQueue(store, createLogger('fatal'), {
      concurrency: opts.concurrency ?? 8,
      pollMs: 100,
      leaseMs: opts.leaseMs ?? 30_000,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    opts.register?.(q);
    if (opts.start !== false) {
      queues.push(q);
      await q.start();
    }
    return { q, store };
  }

  async function stop(q: JobQueue) {
    queues.splice(queues.indexOf(q), 1);
    await q.stop();
  }

  const add = (store: Store, q: JobQueue, n: number, opts: { key?: string; runAt?: Date } = {}) =>
    store.db.transaction().execute((tx) => q.enqueue(tx, TASK, { n }, opts));
  const rows = (store: Store) => store.db.selectFrom('jobs').selectAll().orderBy('seq').execute();

  it('stops at once, without waiting out its poll interval, however soon after its start', async () => {
    const store = await open();
    for (const afterTicks of [0, 1, 2, 5]) {
      const q = new JobQueue(store, createLogger('fatal'), { concurrency: 8, pollMs: 60_000, leaseMs: 30_000 });
      queues.push(q);
      await q.start();
      for (let i = 0; i < afterTicks; i++) await new Promise((r) => setImmediate(r));
      const stopped = q.stop().then(() => 'stopped');
      const waiting = new Promise((r) => setTimeout(r, 2_000, 'still waiting')); // a 30th of the poll
      expect(await Promise.race([stopped, waiting]), `stopped after ${afterTicks} ticks`).toBe('stopped');
      queues.splice(queues.indexOf(q), 1);
    }
  });

  it('runs the jobs of one key one at a time, in the order they were queued, and other keys beside them', async () => {
    const seen: string[] = [];
    const running = new Map<string, number>();
    let overlap = false;
    const gate = released();
    const run: JobHandler<{ n: number }> = async ({ n }, job) => {
      running.set(job.key!, (running.get(job.key!) ?? 0) + 1);
      if (running.get(job.key!)! > 1) overlap = true;
      if (job.key === 'a' && n === 0) await gate.promise; // the head of "a" holds its key, not "b"
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      seen.push(`${job.key}${n}`);
      running.set(job.key!, running.get(job.key!)! - 1);
    };
    const { q, store } = await queue({ register: (q) => q.handle(TASK, run) });
    await store.db.transaction().execute(async (tx) => {
      for (let n = 0; n < 10; n++) {
        await q.enqueue(tx, TASK, { n }, { key: 'a' });
        await q.enqueue(tx, TASK, { n }, { key: 'b' });
      }
    });
    await expect.poll(() => seen.filter((s) => s.startsWith('b')).length).toBe(10);
    expect(seen.some((s) => s.startsWith('a'))).toBe(false);
    gate.release();
    await expect.poll(() => seen.length).toBe(20);
    expect(seen.filter((s) => s.startsWith('a'))).toEqual([...Array(10).keys()].map((n) => `a${n}`));
    expect(seen.filter((s) => s.startsWith('b'))).toEqual([...Array(10).keys()].map((n) => `b${n}`));
    expect(overlap).toBe(false);
    await expect.poll(() => rows(store)).toEqual([]);
  });

  it('runs at most `concurrency` jobs at once, and starts the next as one finishes', async () => {
    let running = 0;
    let most = 0;
    const gates = [...Array(7)].map(released);
    const { q, store } = await queue({
      concurrency: 3,
      register: (q) =>
        q.handle(TASK, async ({ n }) => {
          running++;
          most = Math.max(most, running);
          await gates[n]!.promise;
          running--;
        }),
    });
    for (let n = 0; n < 7; n++) await add(store, q, n);
    await expect.poll(() => running).toBe(3);
    gates[0]!.release();
    gates[1]!.release();
    gates[2]!.release();
    await expect.poll(() => running).toBe(3);
    for (const g of gates) g.release();
    await expect.poll(() => rows(store)).toEqual([]);
    expect(most).toBe(3);
  });

  it.skipIf(!built)('gives the job of a killed worker to another when its lease ends', async () => {
    const done: number[] = [];
    const { q, store } = await queue({ start: false }); // only the process to be killed claims at first
    const env = {
      PATH: process.env.PATH!,
      DATA_DIR: dataDir,
      DATABASE_URL: testStore.databaseUrl ?? '',
      LEASE_MS: '1000',
    };
    const child = spawn(process.execPath, [WORKER], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await expect.poll(() => out, { timeout: 20_000 }).toContain('started');
      await store.db.transaction().execute((tx) => q.enqueue(tx, HANG, { n: 7 }));
      await expect.poll(() => out, { timeout: 20_000 }).toContain('claimed');
      const [held] = await rows(store);
      expect(held!.locked_by).toMatch(new RegExp(`:${child.pid}:`));
      expect(held!.attempts).toBe(1);
      // A worker running before the kill (its start found no dead worker to clear) takes the job back when the
      // lease ends, and runs it again.
      await queue({ leaseMs: 1_000, register: (q) => q.handle(HANG, async ({ n }) => void done.push(n)) });
      expect(done).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    await expect.poll(() => done, { timeout: 20_000 }).toEqual([7]);
    const other = await open();
    await expect.poll(() => rows(other)).toEqual([]);
  });

  it('retries a job whose handler throws, later each time, keeping the error', async () => {
    const attempts: number[] = [];
    const clock = new TestClock(); // moved past each backoff rather than waited for
    const { q, store } = await queue({
      clock,
      register: (q) =>
        q.handle(TASK, async (_p, job) => {
          attempts.push(clock.now());
          if (job.attempts < 3) throw new Error(`failure ${job.attempts}`);
        }),
    });
    await add(store, q, 1);
    await expect.poll(async () => (await rows(store))[0]?.last_error).toBe('failure 1');
    const [row] = await rows(store);
    expect(row!.attempts).toBe(1);
    expect(row!.locked_by).toBeNull();
    expect(Date.parse(row!.run_at) - attempts[0]!).toBeGreaterThanOrEqual(900); // 1 s, then 2 s
    clock.advance(1_000);
    await expect.poll(async () => (await rows(store))[0]?.last_error).toBe('failure 2');
    expect(attempts.length).toBe(2);
    clock.advance(2_000);
    await expect.poll(() => attempts.length).toBe(3);
    await expect.poll(() => rows(store)).toEqual([]);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(900);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(1_900);
  });

  it('keeps a dead job with its error, and runs the next of its key after it', async () => {
    const seen: number[] = [];
    const { q, store } = await queue({
      register: (q) =>
        q.handle(TASK, async ({ n }): Promise<JobOutcome> => {
          seen.push(n);
          return n === 1 ? { outcome: 'dead', error: 'refused for good' } : { outcome: 'done' };
        }),
    });
    await add(store, q, 1, { key: 'k' });
    await add(store, q, 2, { key: 'k' });
    await expect.poll(() => seen).toEqual([1, 2]);
    await expect
      .poll(async () => (await rows(store)).map((r) => [r.kind, r.status, r.last_error, r.payload]))
      .toEqual([['test-task', 'dead', 'refused for good', '{"n":1}']]);
  });

  it('writes the independent records of jobs settled together in one call, and settles a failing one alone', async () => {
    const TOGETHER = defineJob('test-together', Type.Object({ n: Type.Integer() }), { independentRecords: true });
    const writes: number[][] = [];
    const write = together<number>(async (tx, ns) => {
      writes.push([...ns].sort());
      if (ns.includes(3)) throw new Error('record 3 is refused');
      for (const n of ns) await sql`insert into test_records (n) values (${n})`.execute(tx);
    });
    let running = 0;
    const gate = released();
    const { q, store } = await queue({
      register: (q) =>
        q.handle(TOGETHER, async ({ n }): Promise<JobOutcome> => {
          running++;
          await gate.promise; // all six finish in one tick, and are settled in one transaction
          return { outcome: 'done', record: (tx) => write(tx, n) };
        }),
    });
    await sql`drop table if exists test_records`.execute(store.db);
    await sql`create table test_records (n integer)`.execute(store.db);
    await store.db.transaction().execute(async (tx) => {
      for (let n = 0; n < 6; n++) await q.enqueue(tx, TOGETHER, { n });
    });
    await expect.poll(() => running).toBe(6);
    gate.release();
    await expect.poll(() => writes.length).toBe(7);
    // One write for the six; it failed, so each was settled in a transaction of its own.
    expect(writes[0]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(writes.slice(1).sort()).toEqual([[0], [1], [2], [3], [4], [5]]);
    // (Polled: the last write was called, but its transaction may not have ended yet.)
    const recorded = async () =>
      (await sql<{ n: number }>`select n from test_records order by n`.execute(store.db)).rows.map((r) => Number(r.n));
    await expect.poll(recorded).toEqual([0, 1, 2, 4, 5]);
    // The job whose record failed stays leased (it runs again when the lease ends); the others are gone.
    const left = async () => (await rows(store)).map((r) => [JSON.parse(r.payload) as unknown, r.locked_by !== null]);
    await expect.poll(left).toEqual([[{ n: 3 }, true]]);
    await sql`drop table test_records`.execute(store.db);
  });

  // On SQLite a settle holds the one connection while it runs, so a settle that waits holds every claim as well.
  it.skipIf(testStore.kind === 'sqlite')(
    'frees a job’s slot when its work ends, before its settle commits, and claims nothing while `concurrency` settles wait',
    async () => {
      const work = releasedAtEnd();
      const settles = releasedAtEnd();
      const started: number[] = [];
      const { q, store } = await queue({
        concurrency: 2,
        register: (q) =>
          q.handle(TASK, async ({ n }): Promise<JobOutcome> => {
            started.push(n);
            if (n === 2) await work.promise;
            return n <= 2 ? { outcome: 'done', record: () => settles.promise } : { outcome: 'done' };
          }),
      });
      const payloads = async () => (await rows(store)).map((r) => (JSON.parse(r.payload) as { n: number }).n);
      await add(store, q, 1);
      await add(store, q, 2);
      await expect.poll(() => [...started].sort()).toEqual([1, 2]);
      // Job 1 waits for its settle and job 2 works: job 1's slot is free, so job 3 runs.
      await add(store, q, 3);
      await expect.poll(() => [...started].sort()).toEqual([1, 2, 3]);
      await expect.poll(payloads).toEqual([1, 2]);
      // Jobs 1 and 2 both wait for their settles: two of two, so job 4 waits though both slots are free.
      work.release();
      await add(store, q, 4);
      await new Promise((r) => setTimeout(r, 300));
      expect([...started].sort()).toEqual([1, 2, 3]);
      settles.release();
      await expect.poll(() => [...started].sort()).toEqual([1, 2, 3, 4]);
      await expect.poll(payloads).toEqual([]);
    },
  );

  it.skipIf(testStore.kind === 'sqlite')(
    'runs the next job of a key only once the settle of the one before it has committed',
    async () => {
      const settles = releasedAtEnd();
      const started: number[] = [];
      const { q, store } = await queue({
        register: (q) =>
          q.handle(TASK, async ({ n }): Promise<JobOutcome> => {
            started.push(n);
            return n === 1 ? { outcome: 'done', record: () => settles.promise } : { outcome: 'done' };
          }),
      });
      await add(store, q, 1, { key: 'k' });
      await add(store, q, 2, { key: 'k' });
      await expect.poll(() => started).toEqual([1]);
      // Job 1's slot is free and its settle waits: job 2 is not its key's head yet.
      await new Promise((r) => setTimeout(r, 300));
      expect(started).toEqual([1]);
      settles.release();
      await expect.poll(() => started).toEqual([1, 2]);
      await expect.poll(async () => (await rows(store)).length).toBe(0);
    },
  );

  it('lets a job die whose payload does not match its kind, or whose kind nobody handles', async () => {
    let ran = false;
    const { q, store } = await queue({ register: (q) => q.handle(TASK, async () => void (ran = true)) });
    await store.db.transaction().execute(async (tx) => {
      await q.enqueue(tx, TASK, { n: 'one' } as never);
      await q.enqueue(tx, defineJob('test-nobody', Type.Object({})), {});
    });
    await expect.poll(async () => (await rows(store)).map((r) => r.status)).toEqual(['dead', 'dead']);
    const [bad, unknown] = await rows(store);
    expect(bad!.last_error).toMatch(/^payload of job kind test-task is not valid: \/n /);
    expect(unknown!.last_error).toBe('no handler for job kind test-nobody');
    expect(ran).toBe(false);
  });

  it('keeps one recurring job queued across restarts and processes, and never runs two at once', async () => {
    const EVERY = defineRecurring('test-recurring', { everyMs: 40, firstAfterMs: 0 });
    const runs: string[] = [];
    let running = 0;
    let overlap = false;
    const recurring = (name: string) => (q: JobQueue) =>
      q.handle(EVERY, async () => {
        if (++running > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 10));
        runs.push(name);
        running--;
      });
    const queued = async (store: Store) =>
      (
        await store.db
          .selectFrom('jobs')
          .select('seq')
          .where('kind', '=', 'test-recurring')
          .where('status', '=', 'queued')
          .execute()
      ).length;

    const first = await queue({ register: recurring('first') });
    await first.q.schedule(EVERY);
    await first.q.schedule(EVERY);
    expect(await queued(first.store)).toBe(1);
    await expect.poll(() => runs.length).toBeGreaterThanOrEqual(3);
    await stop(first.q);
    expect(await queued(first.store)).toBe(1);

    // A restart, two processes at once: still one queued, each run by one of them.
    runs.length = 0;
    const [a, b] = await Promise.all([queue({ register: recurring('a') }), queue({ register: recurring('b') })]);
    await expect.poll(() => runs.length).toBeGreaterThanOrEqual(6);
    await stop(a.q);
    await stop(b.q);
    expect(await queued(a.store)).toBe(1);
    expect(overlap).toBe(false);
    expect((await rows(a.store)).filter((r) => r.status !== 'queued')).toEqual([]);
  });
});

/**
 * The claim takes at most as many jobs as there are free slots, whatever plan PostgreSQL picks. Found by this
 * file on a loaded machine (seven jobs running with a concurrency of three): `where seq in (select … limit n
 * for update skip locked)` planned as a nested loop ran the pick once per row of jobs, each time skipping the
 * rows already updated, and so claimed them all. The planner settings below make that plan the only one.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('job claims on PostgreSQL, whatever the plan', () => {
  let db: { url: string; drop(): Promise<void> };
  let store: Store | undefined;
  let q: JobQueue | undefined;
  const gate = released();
  beforeAll(async () => {
    db = await createDatabase(process.env.TEST_DATABASE_URL!);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const name = new URL(db.url).pathname.slice(1);
      for (const setting of ['enable_hashjoin', 'enable_mergejoin', 'enable_material', 'enable_hashagg', 'enable_sort'])
        await admin.query(`alter database ${name} set ${setting} = off`);
    } finally {
      await admin.end();
    }
  });
  afterAll(async () => {
    gate.release();
    await q?.stop();
    await store?.close();
    await db?.drop();
  });

  it('claims no more jobs than it has free slots', async () => {
    store = await openStore({ databaseUrl: db.url, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cc-queue-')) });
    await sql`analyze jobs`.execute(store.db); // statistics of an empty table: the nested loop looks cheapest
    let running = 0;
    q = new JobQueue(store, createLogger('fatal'), { concurrency: 3, pollMs: 100, leaseMs: 30_000 });
    q.handle(TASK, async () => {
      running++;
      await gate.promise;
    });
    for (let n = 0; n < 7; n++) await store.db.transaction().execute((tx) => q!.enqueue(tx, TASK, { n }));
    await q.start();
    await expect.poll(() => running).toBe(3);
    await new Promise((r) => setTimeout(r, 300)); // room for a claim too many to show
    expect(running).toBe(3);
    const claimed = await store.db.selectFrom('jobs').select('seq').where('locked_by', 'is not', null).execute();
    expect(claimed).toHaveLength(3);
  });
});
