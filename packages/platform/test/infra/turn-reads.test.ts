import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Db, type Store } from '../../src/infra/store/index.js';
import { prepared } from '../../src/infra/store/prepared.js';
import { developerRow } from '../support/stores.js';

const byName = prepared((db: Db, name: string) =>
  db.selectFrom('developers').select(['id', 'name']).where('name', '=', name).orderBy('id'),
);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

// SQLite only: PostgreSQL's reads take the pool's way, one statement each.
describe("the hot path's SQLite reads, one read transaction per turn of the event loop", () => {
  let store: Store;
  let database: SQLite.Database;
  let other: SQLite.Database; // another process's connection to the same file
  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-turn-reads-'));
    store = await openStore({ dataDir });
    database = (store.driver as { database: SQLite.Database }).database;
    other = new Database(path.join(dataDir, 'connected-cloud.db'), { timeout: 0 });
    await store.db.insertInto('developers').values(developerRow('dev_1', 'Ada')).execute();
  });
  afterAll(async () => {
    other?.close();
    await store?.close();
  });

  it('share one transaction within a turn and end it with the turn', async () => {
    await nextTurn();
    expect(await byName.all(store.db, 'Ada')).toEqual([{ id: 'dev_1', name: 'Ada' }]);
    expect(database.inTransaction).toBe(true);
    expect(await byName.all(store.db, 'nobody')).toEqual([]);
    await nextTurn();
    expect(database.inTransaction).toBe(false);
  });

  it("end it before this process's writes, which a read later in the same turn sees", async () => {
    await nextTurn();
    expect(await byName.all(store.db, 'Grace')).toEqual([]);
    expect(database.inTransaction).toBe(true);
    await store.db.insertInto('developers').values(developerRow('dev_2', 'Grace')).execute();
    expect(await byName.all(store.db, 'Grace')).toEqual([{ id: 'dev_2', name: 'Grace' }]);
    // A Kysely transaction, better-sqlite3's (the rate limiter's), exec and pragma, each after a read of the turn,
    // each committed at once: another connection sees it in this same turn.
    const company = (id: string) =>
      (other.prepare('select company from developers where id = ?').get(id) as { company: string | null }).company;
    await byName.all(store.db, 'Grace');
    await store.db.transaction().execute(async (tx) => {
      await tx.insertInto('developers').values(developerRow('dev_3', 'Linus')).execute();
    });
    expect(other.prepare(`select name from developers where id = 'dev_3'`).get()).toEqual({ name: 'Linus' });
    await byName.all(store.db, 'Grace');
    database.transaction(() => database.prepare(`update developers set company = 'ACME' where id = 'dev_3'`).run())();
    expect(company('dev_3')).toBe('ACME');
    // Its forms as better-sqlite3 makes them: each has the others, and `this` reaches the function.
    const marker = { marker: true };
    const echo = database.transaction(function (this: unknown) {
      return this;
    });
    expect(echo.call(marker)).toBe(marker);
    expect(echo.exclusive.call(marker)).toBe(marker);
    expect((Reflect.get(echo.deferred, 'immediate') as typeof echo).call(marker)).toBe(marker);
    expect(Reflect.get(echo, 'database')).toBe(database);
    await byName.all(store.db, 'Grace');
    database.exec(`update developers set company = 'Initech' where id = 'dev_2'`);
    expect(company('dev_2')).toBe('Initech');
    await byName.all(store.db, 'Grace');
    expect(database.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(database.inTransaction).toBe(false);
    expect(await byName.all(store.db, 'Linus')).toEqual([{ id: 'dev_3', name: 'Linus' }]);
  });

  it("see another process's writes from the next turn, and hold back its checkpoint no longer than a turn", async () => {
    await nextTurn();
    expect(await byName.all(store.db, 'Barbara')).toEqual([]);
    other
      .prepare(`insert into developers (id, name, email, status, created_at) values (?, ?, ?, ?, ?)`)
      .run('dev_4', 'Barbara', 'dev_4@example.com', 'active', '2026-12-01T00:00:00.000Z');
    // The turn reads its snapshot; a checkpoint cannot yet reset the log past it.
    expect(await byName.all(store.db, 'Barbara')).toEqual([]);
    expect(other.pragma('wal_checkpoint(TRUNCATE)')).toEqual([expect.objectContaining({ busy: 1 })]);
    await nextTurn();
    expect(other.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
    expect(await byName.all(store.db, 'Barbara')).toEqual([{ id: 'dev_4', name: 'Barbara' }]);
  });
  it('read beside an open iterator, and stay open, never thrown from the timer, while one keeps the connection busy', async () => {
    await nextTurn();
    // As a streamed query would: an iterator open across reads and across the end of the turn.
    const listing = database.prepare('select id from developers order by id');
    let rows = listing.iterate();
    rows.next();
    expect(await byName.all(store.db, 'Ada')).toEqual([{ id: 'dev_1', name: 'Ada' }]);
    rows.return!();
    await nextTurn();
    expect(database.inTransaction).toBe(false);

    expect(await byName.all(store.db, 'Ada')).toEqual([{ id: 'dev_1', name: 'Ada' }]);
    rows = listing.iterate();
    rows.next();
    await nextTurn(); // its COMMIT refused: tried again a turn later
    await nextTurn();
    expect(database.inTransaction).toBe(true);
    // A write cannot end it now: refused, rather than run inside it.
    await expect(store.db.insertInto('developers').values(developerRow('dev_5', 'Edsger')).execute()).rejects.toThrow(
      /busy/,
    );
    rows.return!();
    await nextTurn();
    expect(database.inTransaction).toBe(false);
    await store.db.insertInto('developers').values(developerRow('dev_5', 'Edsger')).execute();
    expect(other.prepare(`select name from developers where id = 'dev_5'`).get()).toEqual({ name: 'Edsger' });
  });
});
