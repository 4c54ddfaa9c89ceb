import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, SqliteDialect, sql, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { migrationsFor } from './migrations.js';
import { InlineLimits } from './limits.js';
import { postgresRoots, preparedStatementNames, sqliteReads } from './prepared.js';
import type { Database } from './schema.js';
import { TurnReads } from './turn-reads.js';

export type { Database } from './schema.js';
export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** The driver under Kysely, for libraries that speak to it themselves (rate limits): one connection or the pool. */
  driver: { dialect: 'sqlite'; database: SQLite.Database } | { dialect: 'postgres'; pool: pg.Pool };
  ping(): Promise<void>;
  /**
   * Tells every process on this store that `channel` has news, when the transaction `db` commits (PostgreSQL
   * NOTIFY). On SQLite there is no other process to tell: a no-op.
   */
  notify(db: Db, channel: string): Promise<void>;
  /**
   * Serialises the transactions `db` that take the same lock, until they end (a PostgreSQL advisory lock). On
   * SQLite every write transaction is serialised already: a no-op.
   */
  lock(db: Db, name: string): Promise<void>;
  /**
   * Calls `onNotify` for each notify() on `channel` from any process, and once each time it starts listening;
   * `onDown` when the connection is lost (notifications may be missed until the next `onNotify`). Returns the
   * way to stop listening.
   */
  listen(channel: string, onNotify: () => void, onDown?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The dialect of `db`, for a query whose SQL one of them spells better (also for its transactions). */
export function dialectOf(db: Db): Store['dialect'] {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Whether `tx` has not yet done `what`, noting that it now has. A transaction holds an advisory lock, and PostgreSQL
 * sends one notification per channel and payload, until it ends: taking or sending them again is a round trip for
 * nothing (recording an event took six, two of them such repeats). Outside a transaction every call counts. (No
 * code here uses savepoints: rolling back to one would release the lock and drop the notification.)
 */
const doneIn = new WeakMap<Db, Set<string>>();
function firstTimeIn(tx: Db, what: string): boolean {
  if (!tx.isTransaction) return true;
  let done = doneIn.get(tx);
  if (!done) doneIn.set(tx, (done = new Set()));
  if (done.has(what)) return false;
  done.add(what);
  return true;
}

/** PostgreSQL when a URL is given, else SQLite (WAL) at DATA_DIR/connected-cloud.db; migrations applied. */
export async function openStore(opts: { databaseUrl?: string | undefined; dataDir: string }): Promise<Store> {
  const { databaseUrl } = opts;
  const { db, driver } = databaseUrl ? postgres(databaseUrl) : sqlite(opts.dataDir);
  const store: Store = {
    db,
    dialect: driver.dialect,
    driver,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async notify(tx, channel) {
      if (databaseUrl && firstTimeIn(tx, `notify:${channel}`)) await sql`select pg_notify(${channel}, '')`.execute(tx);
    },
    async lock(tx, name) {
      if (databaseUrl && firstTimeIn(tx, `lock:${name}`))
        await sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(tx);
    },
    async listen(channel, onNotify, onDown) {
      if (!databaseUrl) return async () => {};
      return listenPostgres(databaseUrl, channel, onNotify, onDown);
    },
    async close() {
      await db.destroy();
    },
  };
  try {
    await migrate(db, store.dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return store;
}

function sqlite(dataDir: string): { db: Db; driver: Store['driver'] } {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'connected-cloud.db');
  // 0600 before SQLite opens it (its -wal and -shm files take the database's mode), and for one made before.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL'); // durable across process crashes in WAL mode
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // Kysely prepares every query anew; keeping prepared statements by their SQL saves that on the hot paths. The
  // least recently used goes past 1,000 (a client's own limits are written into the SQL, limits.ts: many texts).
  const statements = new Map<string, SQLite.Statement>();
  const prepare = database.prepare.bind(database);
  database.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (statement) statements.delete(source);
    else {
      statement = prepare(source);
      if (statements.size >= 1000) statements.delete(statements.keys().next().value!);
    }
    statements.set(source, statement);
    return statement;
  }) as typeof database.prepare;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), plugins: [new InlineLimits()] });
  sqliteReads.set(db, new TurnReads(database));
  return { db, driver: { dialect: 'sqlite', database } };
}

function postgres(url: string): { db: Db; driver: Store['driver'] } {
  // int8 (bigint, bigserial) as a number, as SQLite gives it: counts and sizes stay far below 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, Number);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {}); // an idle client's error is reported to the query that next uses the pool
  pool.on('connect', (client) => {
    // Kysely sends (sql, parameters) unnamed: parsed and planned on every call. The hot path's prepared queries
    // (prepared.ts) go as named statements instead, parsed once per connection.
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const name = args.length === 2 && typeof args[0] === 'string' ? preparedStatementNames.get(args[0]) : undefined;
      return name ? query({ name, text: args[0], values: args[1] }) : query(...args);
    }) as typeof client.query;
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  postgresRoots.add(db);
  return { db, driver: { dialect: 'postgres', pool } };
}

/**
 * A dedicated connection that LISTENs on a channel, reconnecting after a failure. Notifications lost while it is
 * down are covered by the listeners' own polling.
 */
async function listenPostgres(
  url: string,
  channel: string,
  onNotify: () => void,
  onDown?: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const reconnect = () => {
    onDown?.();
    client?.end().catch(() => {});
    client = undefined;
    if (!stopped) retry = setTimeout(() => connect().catch(reconnect), 1000);
  };
  const connect = async () => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', onNotify);
    c.on('error', reconnect);
    client = c;
    await c.connect();
    await c.query(`LISTEN "${channel.replace(/"/g, '')}"`);
    onNotify(); // whatever was sent while not listening is looked for now
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

async function migrate(db: Db, dialect: Store['dialect']): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}
