import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Db, type Store } from '../../src/infra/store/index.js';
import { prepared } from '../../src/infra/store/prepared.js';
import { describeEachStore, developerRow } from '../support/stores.js';

/** Several rows a call, in an order, with a constant (the status) and a LIMIT among the parameters. */
const byName = prepared((db: Db, name: string) =>
  db
    .selectFrom('developers')
    .select(['id', 'name', 'email'])
    .where('name', '=', name)
    .where('status', '=', 'active')
    .orderBy('id', 'desc')
    .limit(3),
);
const byNameAndEmail = prepared((db: Db, name: string, email: string | null) =>
  db.selectFrom('developers').select(['id']).where('name', '=', name).where('email', '=', email),
);
const byPoints = prepared((db: Db, points: number) =>
  db.selectFrom('rate_limits').select(['key', 'points', 'expire']).where('points', '=', points).orderBy('key'),
);

// Each store answers the same; on PostgreSQL the calls of one turn go to the database as one query.
describeEachStore('prepared reads made in one turn', (testStore) => {
  let store: Store;
  /** How many times the pool gave out a connection: one per query sent outside a transaction. */
  let acquired = 0;
  const queries = async <T>(calls: () => Promise<T>) => {
    const before = acquired;
    const answers = await calls();
    return { answers, queries: acquired - before };
  };

  beforeAll(async () => {
    store = await openStore({
      databaseUrl: testStore.databaseUrl,
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cc-batched-')),
    });
    if (store.driver.dialect === 'postgres') store.driver.pool.on('acquire', () => acquired++);
    const names = ['Ada', 'Ada', 'Ada', 'Ada', 'Grace', 'Grace', 'Linus'];
    await store.db
      .insertInto('developers')
      .values(names.map((name, i) => developerRow(`dev_${i}`, name)))
      .execute();
    await store.db.updateTable('developers').set({ status: 'pending' }).where('id', '=', 'dev_5').execute();
    await store.db
      .insertInto('rate_limits')
      .values([
        { key: 'a', points: 1, expire: 10 },
        { key: 'b', points: 2, expire: null },
        { key: 'c', points: 1, expire: 2 ** 40 },
      ])
      .execute();
  });
  afterAll(() => store?.close());

  const alone = async <T>(calls: (() => Promise<T>)[]) => {
    const answers: T[] = [];
    for (const call of calls) answers.push(await call());
    return answers;
  };

  it('answer each call its own rows, in its order, as if each had been made alone', async () => {
    const names = ['Ada', 'Grace', 'nobody', 'Linus', 'Ada'];
    const calls = names.map((name) => () => byName.all(store.db, name));
    const expected = await alone(calls);
    expect(expected[0]).toEqual([
      { id: 'dev_3', name: 'Ada', email: 'dev_3@example.com' },
      { id: 'dev_2', name: 'Ada', email: 'dev_2@example.com' },
      { id: 'dev_1', name: 'Ada', email: 'dev_1@example.com' },
    ]);
    expect(expected[1]).toEqual([{ id: 'dev_4', name: 'Grace', email: 'dev_4@example.com' }]);
    expect(expected[2]).toEqual([]);
    const together = await queries(() => Promise.all(calls.map((call) => call())));
    expect(together.answers).toEqual(expected);
    if (testStore.kind === 'postgres') expect(together.queries).toBe(1);
  });

  it('carry several arguments, nulls and integers', async () => {
    const pairs: [string, string | null][] = [
      ['Ada', 'dev_0@example.com'],
      ['Ada', 'dev_4@example.com'],
      ['Grace', 'dev_4@example.com'],
      ['Ada', null],
    ];
    const calls = pairs.map(
      ([name, email]) =>
        () =>
          byNameAndEmail.first(store.db, name, email),
    );
    const together = await queries(() => Promise.all(calls.map((call) => call())));
    expect(together.answers).toEqual([{ id: 'dev_0' }, undefined, { id: 'dev_4' }, undefined]);
    expect(together.answers).toEqual(await alone(calls));
    const points = await queries(() => Promise.all([1, 2, 3].map((n) => byPoints.all(store.db, n))));
    expect(points.answers).toEqual([
      [
        { key: 'a', points: 1, expire: 10 },
        { key: 'c', points: 1, expire: 2 ** 40 },
      ],
      [{ key: 'b', points: 2, expire: null }],
      [],
    ]);
    if (testStore.kind === 'postgres') expect([together.queries, points.queries]).toEqual([1, 1]);
  });

  it('run each call alone when the calls of a turn differ in kind, or cannot go together', async () => {
    // A name given as a number: PostgreSQL compares it as the text it is sent as when alone, but an array of
    // numbers beside a text column is an error, after which the read runs alone from then on.
    const asNumber = (n: number) => byNameAndEmail.first(store.db, n as unknown as string, `dev_${n}@example.com`);
    const mixed = await queries(() => Promise.all([byPoints.all(store.db, 1), byPoints.all(store.db, '2' as never)]));
    expect(mixed.answers.map((rows) => rows.map((r) => r.key))).toEqual([['a', 'c'], ['b']]);
    const failed = await queries(() => Promise.all([asNumber(1), asNumber(2)]));
    expect(failed.answers).toEqual([undefined, undefined]);
    const after = await queries(() =>
      Promise.all([byNameAndEmail.first(store.db, 'Ada', 'dev_0@example.com'), asNumber(3)]),
    );
    expect(after.answers).toEqual([{ id: 'dev_0' }, undefined]);
    if (testStore.kind === 'postgres') {
      expect(mixed.queries).toBe(2);
      expect(failed.queries).toBe(3); // the batch, then each alone
      expect(after.queries).toBe(2);
    }
  });

  it('fail every call of a batch whose query fails, and leave the next turn unharmed', async () => {
    const calls = () => Promise.allSettled(['Ada', 'Grace'].map((name) => byName.all(store.db, name)));
    if (store.driver.dialect === 'postgres') {
      const { pool } = store.driver;
      const connect = pool.connect.bind(pool);
      pool.connect = (() => Promise.reject(new Error('the database went away'))) as typeof pool.connect;
      try {
        const failed = await calls();
        expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      } finally {
        pool.connect = connect;
      }
    }
    const next = await calls();
    expect(next.map((r) => (r.status === 'fulfilled' ? r.value.length : r.reason))).toEqual([3, 1]);
  });

  it("keep a transaction's reads in the transaction: its own writes seen, nobody else's", async () => {
    let outside!: Promise<{ id: string }[]>;
    await store.db.transaction().execute(async (tx) => {
      await tx.insertInto('developers').values(developerRow('dev_9', 'Barbara')).execute();
      outside = byName.all(store.db, 'Barbara');
      expect((await byName.all(tx, 'Barbara')).map((r) => r.id)).toEqual(['dev_9']);
      // On PostgreSQL the read outside is answered at once, from before the commit. SQLite has one connection,
      // which the transaction holds: the read outside waits for the commit, and sees its write.
      if (testStore.kind === 'postgres') expect(await outside).toEqual([]);
    });
    if (testStore.kind === 'sqlite') expect((await outside).map((r) => r.id)).toEqual(['dev_9']);
  });
});
