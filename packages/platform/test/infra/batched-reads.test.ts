import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchedReads, batchedSql, rewriteForBatch, type BatchDatabase } from '../../src/infra/store/batched-reads.js';
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
/** An alias that hides the batch's own arguments from the read: its batched form cannot be planned (42703). */
const hiding = prepared((db: Db, name: string) =>
  db.selectFrom('developers as cc_batch').select('cc_batch.id').where('cc_batch.name', '=', name).orderBy('id'),
);

// Each store answers the same; on PostgreSQL the calls of one turn go to the database as one query.
describeEachStore('prepared reads made in one turn', (testStore) => {
  const postgres = testStore.kind === 'postgres';
  let store: Store;
  /** How many times the pool gave out a connection: one per query sent outside a transaction. */
  let acquired = 0;
  const queries = async <T>(calls: () => Promise<T>) => {
    const before = acquired;
    const answers = await calls();
    return { answers, queries: acquired - before };
  };
  const alone = async <T>(calls: (() => Promise<T>)[]) => {
    const answers: T[] = [];
    for (const call of calls) answers.push(await call());
    return answers;
  };
  const together = <T>(calls: (() => Promise<T>)[]) => queries(() => Promise.all(calls.map((call) => call())));

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
    // The first batch of a read asks PostgreSQL for its parameters' types, on a connection of its own.
    await Promise.all([byName.all(store.db, 'x'), byName.all(store.db, 'y')]);
    await Promise.all([byNameAndEmail.all(store.db, 'x', 'x'), byNameAndEmail.all(store.db, 'y', 'y')]);
    await Promise.all([byPoints.all(store.db, 0), byPoints.all(store.db, 0)]);
  });
  afterAll(() => store?.close());

  it('answer each call its own rows, in its order, as if each had been made alone, plan after plan', async () => {
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
    // PostgreSQL plans a named statement anew for its first five runs, then may keep a generic plan.
    for (let run = 0; run < 8; run++) {
      const batch = await together(calls);
      expect(batch.answers).toEqual(expected);
      if (postgres) expect(batch.queries).toBe(1);
    }
  });

  it('send at most 100 calls in one query', async () => {
    const calls = Array.from({ length: 250 }, (_, i) => () => byName.all(store.db, ['Ada', 'Grace', 'x'][i % 3]!));
    const batch = await together(calls);
    expect(batch.answers).toEqual(await alone(calls));
    if (postgres) expect(batch.queries).toBe(3);
  });

  it('carry several arguments, nulls, and integers given as numbers or as text', async () => {
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
    const pairsBatch = await together(calls);
    expect(pairsBatch.answers).toEqual([{ id: 'dev_0' }, undefined, { id: 'dev_4' }, undefined]);
    expect(pairsBatch.answers).toEqual(await alone(calls));
    const nulls = await together([
      () => byNameAndEmail.first(store.db, 'Ada', null),
      () => byNameAndEmail.first(store.db, 'Grace', null),
    ]);
    expect(nulls.answers).toEqual([undefined, undefined]);
    const points = await together([1, '2' as unknown as number, 3].map((n) => () => byPoints.all(store.db, n)));
    expect(points.answers).toEqual([
      [
        { key: 'a', points: 1, expire: 10 },
        { key: 'c', points: 1, expire: 2 ** 40 },
      ],
      [{ key: 'b', points: 2, expire: null }],
      [],
    ]);
    if (postgres) expect([pairsBatch.queries, nulls.queries, points.queries]).toEqual([1, 1, 1]);
  });

  it.runIf(postgres)('compare each argument as the read alone does, by the type PostgreSQL gives it', async () => {
    type T = { padded: { c: string } };
    const byCode = prepared((db: Db, c: string) =>
      (db as unknown as Kysely<T>).selectFrom('padded').select('c').where('c', '=', c),
    );
    await sql`create table padded (c char(5))`.execute(store.db);
    await sql`insert into padded values ('ab')`.execute(store.db);
    // char(5) ignores trailing spaces: as text, 'ab ' would not equal 'ab   '.
    const calls = ['ab ', 'ab', 'abc'].map((c) => () => byCode.all(store.db, c));
    expect(await alone(calls)).toEqual([[{ c: 'ab   ' }], [{ c: 'ab   ' }], []]);
    await together(calls); // the first batch asks for the types
    const batch = await together(calls);
    expect(batch.answers).toEqual(await alone(calls));
    expect(batch.queries).toBe(1);
    // An argument used where it has two types (char(5), then text): one array could carry only one, so alone.
    const byCodeOfLength = prepared((db: Db, c: string) =>
      (db as unknown as Kysely<T>)
        .selectFrom('padded')
        .select('c')
        .where('c', '=', c)
        .where(sql<number>`length(${c}::text)`, '=', 3),
    );
    const twice = ['ab ', 'ab'].map((c) => () => byCodeOfLength.all(store.db, c));
    expect(await alone(twice)).toEqual([[{ c: 'ab   ' }], []]);
    await together(twice);
    const twiceTogether = await together(twice);
    expect(twiceTogether.answers).toEqual([[{ c: 'ab   ' }], []]);
    expect(twiceTogether.queries).toBe(2);
  });

  it('run alone a call whose argument cannot go in an array, and the rest together', async () => {
    const batch = await queries(() =>
      Promise.allSettled(['Ada', 'A\0da', 'Grace'].map((name) => byName.all(store.db, name))),
    );
    expect(batch.answers.map((r) => (r.status === 'fulfilled' ? r.value.length : 'refused'))).toEqual(
      // PostgreSQL's text cannot hold a NUL; SQLite's can.
      [3, postgres ? 'refused' : 0, 1],
    );
    if (postgres) expect(batch.queries).toBe(2);
  });

  it('run each call of a failed batch alone: each meets its own answer or error, and the next turn batches', async () => {
    const calls = [1, 'x' as unknown as number, 2].map((n) => () => byPoints.all(store.db, n));
    const failed = await queries(() => Promise.allSettled(calls.map((call) => call())));
    expect(failed.answers[0]).toEqual({
      status: 'fulfilled',
      value: expect.arrayContaining([expect.objectContaining({ key: 'a' })]),
    });
    expect(failed.answers[2]).toEqual({ status: 'fulfilled', value: [{ key: 'b', points: 2, expire: null }] });
    if (postgres) {
      // 'x' is no integer: the batch fails as a whole, then each runs alone, and only that one fails.
      expect(failed.answers[1]).toMatchObject({ status: 'rejected', reason: { code: '22P02' } });
      expect(failed.queries).toBe(4);
      expect((await together([calls[0]!, calls[2]!])).queries).toBe(1);
    } else expect(failed.answers[1]).toEqual({ status: 'fulfilled', value: [] });
  });

  it('fail every call whose query cannot be sent, and leave the next turn unharmed', async () => {
    const calls = () => Promise.allSettled(['Ada', 'Grace'].map((name) => byName.all(store.db, name)));
    if (store.driver.dialect === 'postgres') {
      const { pool } = store.driver;
      const connect = pool.connect.bind(pool);
      pool.connect = (() => Promise.reject(new Error('the database went away'))) as typeof pool.connect;
      try {
        const failed = await calls();
        expect(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
          'the database went away',
          'the database went away',
        ]);
      } finally {
        pool.connect = connect;
      }
    }
    const next = await calls();
    expect(next.map((r) => (r.status === 'fulfilled' ? r.value.length : r.reason))).toEqual([3, 1]);
  });

  it.runIf(postgres)('run a read alone from then on when PostgreSQL cannot plan its batch', async () => {
    const calls = ['Grace', 'Linus'].map((name) => () => hiding.all(store.db, name));
    const first = await together(calls);
    expect(first.answers).toEqual([[{ id: 'dev_4' }, { id: 'dev_5' }], [{ id: 'dev_6' }]]);
    expect(first.queries).toBe(4); // the types, the batch PostgreSQL refuses, then each alone
    const next = await together(calls);
    expect(next.answers).toEqual(first.answers);
    expect(next.queries).toBe(2);
  });

  it("keep a transaction's reads in the transaction: its own writes seen, nobody else's", async () => {
    let outside!: Promise<{ id: string }[]>;
    await store.db.transaction().execute(async (tx) => {
      await tx.insertInto('developers').values(developerRow('dev_9', 'Barbara')).execute();
      outside = byName.all(store.db, 'Barbara');
      expect((await byName.all(tx, 'Barbara')).map((r) => r.id)).toEqual(['dev_9']);
      // On PostgreSQL the read outside is answered at once, from before the commit. SQLite has one connection,
      // which the transaction holds: the read outside waits for the commit, and sees its write.
      if (postgres) expect(await outside).toEqual([]);
    });
    if (!postgres) expect((await outside).map((r) => r.id)).toEqual(['dev_9']);
  });
});

// The class's own decisions, against a database that records what it is sent and fails as told.
describe('batched reads, by what they send', () => {
  const plan = { sql: 'select id from t where id = $1 and status = $2', slots: [0, { value: 'active' }] };
  const database = (batchFails: unknown) => {
    const sent: string[] = [];
    const db: BatchDatabase = {
      run: async (sql, parameters) => {
        sent.push(sql.includes('cc_batch') ? 'batch' : `alone ${String(parameters[0])}`);
        if (sql.includes('cc_batch')) throw batchFails;
        return [{ id: parameters[0] }];
      },
      named: () => {},
      parameterTypes: async () => ['text', 'text'],
    };
    return { sent, db };
  };
  const turn = (reads: BatchedReads<[string]>, ids: string[]) => Promise.all(ids.map((id) => reads.load([id])));

  it('stop batching a read whose batches fail while each call succeeds alone, after three in a row', async () => {
    const { sent, db } = database(Object.assign(new Error('not in a batch'), { code: '0A000' }));
    const reads = new BatchedReads<[string]>(plan, 1, db);
    for (let i = 0; i < 4; i++) expect(await turn(reads, ['a', 'b'])).toEqual([[{ id: 'a' }], [{ id: 'b' }]]);
    expect(sent.filter((s) => s === 'batch')).toHaveLength(3);
    expect(sent.slice(-2)).toEqual(['alone a', 'alone b']);
  });

  it('take a rejection without an error or a code as any other failure', async () => {
    const { sent, db } = database(null);
    const reads = new BatchedReads<[string]>(plan, 1, db);
    expect(await turn(reads, ['a', 'b'])).toEqual([[{ id: 'a' }], [{ id: 'b' }]]);
    expect(sent).toEqual(['batch', 'alone a', 'alone b']);
  });

  it('never rewrite a $n that is no parameter: in a quoted name, or past the parameters', async () => {
    for (const sql of ['select "x$2" from t where id = $1 and s = $2', 'select id from t where id = $1 and s = $3']) {
      const { sent, db } = database(new Error('never sent'));
      const reads = new BatchedReads<[string]>({ ...plan, sql }, 1, db);
      expect(await turn(reads, ['a', 'b'])).toEqual([[{ id: 'a' }], [{ id: 'b' }]]);
      expect(sent).toEqual(['alone a', 'alone b']);
    }
  });

  it('number each constant once, in the order the SQL first uses it', () => {
    const read = rewriteForBatch(
      { sql: 'select 1 where b = $3 and a = $2 and (id = $1 or b = $3)', slots: [0, { value: 'A' }, { value: 'B' }] },
      1,
    )!;
    expect(read.constants).toEqual(['B', 'A']);
    expect(batchedSql(read, ['text'])).toContain('where b = $2 and a = $3 and (id = cc_batch.a0 or b = $2)');
  });
});
