import type SQLite from 'better-sqlite3';

/**
 * The hot path's reads on SQLite (prepared.ts) share one read transaction per turn of the event loop, instead of
 * one each. In WAL mode a transaction takes and drops a read lock on the WAL index with two fcntl calls, which cost
 * more than the read: a one-row read of `uploads` by key took 12.8 µs on its own and 5.1 µs in an open
 * transaction. Under load a turn answers dozens of requests; they read one snapshot, as if each had read a moment
 * earlier.
 *
 * Nothing else runs inside it. Every other way into the connection (prepare, so Kysely's queries and transactions;
 * exec; pragma; transaction, the rate limiter's) ends it first, so a write or a transaction runs as it would
 * without it, and a read after a write of this process sees the write. It ends with the turn (setImmediate) at the
 * latest, so it never holds back a checkpoint or the view of another process's writes for longer than that.
 */
export class TurnReads {
  #open = false;
  readonly #begin: SQLite.Statement;
  readonly #commit: SQLite.Statement;

  constructor(readonly database: SQLite.Database) {
    this.#begin = this.prepare('begin');
    this.#commit = this.prepare('commit');
    const endFirst =
      <A extends unknown[], R>(f: (...args: A) => R) =>
      (...args: A): R => {
        this.end();
        return f(...args);
      };
    database.prepare = endFirst(database.prepare.bind(database)) as typeof database.prepare;
    database.exec = endFirst(database.exec.bind(database));
    database.pragma = endFirst(database.pragma.bind(database));
    // A transaction function chooses BEGIN or SAVEPOINT when it is called, by whether a transaction is open: each
    // of its forms ends this one first.
    const transaction = database.transaction.bind(database);
    database.transaction = ((fn: (...args: unknown[]) => unknown) => {
      const made = transaction(fn);
      return Object.assign(endFirst(made), {
        default: endFirst(made.default.bind(made)),
        deferred: endFirst(made.deferred.bind(made)),
        immediate: endFirst(made.immediate.bind(made)),
        exclusive: endFirst(made.exclusive.bind(made)),
        database,
      });
    }) as typeof database.transaction;
  }

  /** A statement of the connection's own, outside its statement cache (whose statements Kysely's driver uses). */
  prepare(sql: string): SQLite.Statement {
    return (Object.getPrototypeOf(this.database) as SQLite.Database).prepare.call(this.database, sql);
  }

  /**
   * The rows of `statement` (one of `prepare`'s), read in the turn's transaction; undefined when the connection is
   * inside a transaction of its own, whose reads take Kysely's way.
   */
  all(statement: SQLite.Statement, parameters: unknown[]): unknown[] | undefined {
    if (!this.#open) {
      if (this.database.inTransaction) return undefined;
      this.#begin.run();
      this.#open = true;
      setImmediate(this.end);
    }
    return statement.all(parameters);
  }

  /** Ends the turn's transaction, if open. */
  readonly end = (): void => {
    if (!this.#open) return;
    this.#open = false;
    if (this.database.open) this.#commit.run();
  };
}
