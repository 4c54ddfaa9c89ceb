import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Db, type Store } from '../../src/infra/store/index.js';
import { prepared } from '../../src/infra/store/prepared.js';
import { describeEachStore, developerRow } from '../support/stores.js';

const byName = prepared((db: Db, name: string) =>
  db.selectFrom('developers').select(['id', 'name', 'status']).where('name', '=', name).orderBy('id'),
);

describeEachStore('prepared queries', (testStore) => {
  let store: Store;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-prepared-'));
    store = await openStore({ databaseUrl: testStore.databaseUrl, dataDir });
    await store.db
      .insertInto('developers')
      .values([developerRow('dev_1', 'Ada'), developerRow('dev_2', 'Ada'), developerRow('dev_3', 'Grace')])
      .execute();
  });
  afterAll(() => store?.close());

  it('answer what the same query answers through Kysely, for each set of parameters', async () => {
    for (const name of ['Ada', 'Grace', 'nobody']) {
      const direct = await store.db
        .selectFrom('developers')
        .select(['id', 'name', 'status'])
        .where('name', '=', name)
        .orderBy('id')
        .execute();
      expect(await byName.all(store.db, name)).toEqual(direct);
      expect(await byName.first(store.db, name)).toEqual(direct[0]);
    }
  });

  it('answer as Kysely does when two columns share a name: the later one', async () => {
    const renamed = prepared((db: Db, id: string) =>
      db.selectFrom('developers').select(['id', 'name as id']).where('id', '=', id),
    );
    const direct = await store.db
      .selectFrom('developers')
      .select(['id', 'name as id'])
      .where('id', '=', 'dev_3')
      .execute();
    expect(direct).toEqual([{ id: 'Grace' }]);
    expect(await renamed.all(store.db, 'dev_3')).toEqual(direct);
  });

  it('limit and offset as asked, with a numeric LIMIT and OFFSET written into the SQL on SQLite', async () => {
    const query = store.db.selectFrom('developers').select('id').orderBy('id').limit(2).offset(1);
    expect(await query.execute()).toEqual([{ id: 'dev_2' }, { id: 'dev_3' }]);
    const { sql, parameters } = query.compile();
    // SQLite plans with a LIMIT's value, so a bound one makes it parse and plan the statement on every run.
    if (testStore.kind === 'sqlite') {
      expect(sql).toMatch(/ limit 2 offset 1$/);
      expect(parameters).toEqual([]);
    } else {
      expect(sql).toMatch(/ limit \$1 offset \$2$/);
      expect(parameters).toEqual([2, 1]);
    }
  });

  it("never see another transaction's writes before it commits, and see its own inside it", async () => {
    let inserted!: () => void;
    const written = new Promise<void>((r) => (inserted = r));
    let rollBack!: () => void;
    const ended = new Promise<void>((r) => (rollBack = r));
    const transaction = store.db
      .transaction()
      .execute(async (tx) => {
        await tx.insertInto('developers').values(developerRow('dev_9', 'Linus')).execute();
        expect(await byName.all(tx, 'Linus')).toEqual([{ id: 'dev_9', name: 'Linus', status: 'active' }]);
        inserted();
        await ended;
        throw new Error('rolled back');
      })
      .catch((error: Error) => error.message);
    await written;
    // Asked while the transaction is open (SQLite: it holds the one connection; PostgreSQL: it is uncommitted).
    const outside = byName.all(store.db, 'Linus');
    rollBack();
    expect(await transaction).toBe('rolled back');
    expect(await outside).toEqual([]);
    expect(await byName.all(store.db, 'Linus')).toEqual([]);
  });

  it.runIf(testStore.kind === 'sqlite')(
    'name the columns of `*` as the table has them after another connection rebuilt it, and named ones as named',
    async () => {
      type T = { t: { a: string; b: string; c: string } };
      const star = prepared((db: Db, a: string) =>
        (db as unknown as Kysely<T>).selectFrom('t').selectAll().where('a', '=', a),
      );
      const named = prepared((db: Db, a: string) =>
        (db as unknown as Kysely<T>).selectFrom('t').select(['a', 'b', 'c']).where('a', '=', a),
      );
      await sql`create table t (a text, b text, c text)`.execute(store.db);
      await sql`insert into t values ('1', '2', '3')`.execute(store.db);
      expect(await star.all(store.db, '1')).toEqual([{ a: '1', b: '2', c: '3' }]);
      expect(await named.all(store.db, '1')).toEqual([{ a: '1', b: '2', c: '3' }]);
      // As a migration of another process would: the same table, its columns in another order.
      const other = new Database(path.join(dataDir, 'connected-cloud.db'));
      other.exec(`alter table t rename to t_old; create table t (c text, b text, a text);
        insert into t select c, b, a from t_old; drop table t_old;`);
      other.close();
      // A turn reads one snapshot (turn-reads.ts): the next one sees the rebuilt table.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await star.all(store.db, '1')).toEqual([{ a: '1', b: '2', c: '3' }]);
      expect(await named.all(store.db, '1')).toEqual([{ a: '1', b: '2', c: '3' }]);
    },
  );

  it.runIf(testStore.kind === 'sqlite')(
    'keep SQLite statements by their SQL, the least recently used leaving past 1,000',
    () => {
      const { database } = store.driver as { database: SQLite.Database };
      const hot = database.prepare('select 1 as hot');
      const cold = database.prepare('select 2 as cold');
      for (let i = 0; i < 1500; i++) {
        database.prepare(`select ${i + 10} as n`); // a client's own limits make texts like these
        if (i % 100 === 0) expect(database.prepare('select 1 as hot')).toBe(hot);
      }
      expect(database.prepare('select 1 as hot')).toBe(hot);
      expect(database.prepare('select 2 as cold')).not.toBe(cold);
    },
  );
});
