import type SQLite from 'better-sqlite3';

const FORMS = ['default', 'deferred', 'immediate', 'exclusive'] as const;

/** `f`, calling `end` first; `this` passed through. */
function endingFirst<F extends (...args: never[]) => unknown>(end: () => void, f: F): F {
  return function (this: unknown, ...args: Parameters<F>) {
    end();
    return Reflect.apply(f, this, args) as ReturnType<F>;
  } as F;
}

/**
 * The hot path's reads on SQLite (prepared.ts) share one read transaction per turn of the event loop, instead of
 * one each. In WAL mode a transaction takes and drops a read lock on the WAL index with two fcntl calls, which cost
 * more than the read: a one-row read of `uploads` by key took 12.8 µs on its own and 5.1 µs in an open
 * transaction. Under load a turn answers dozens of requests; they read one snapshot, as if each had read a moment
 * earlier.
 *
 * Nothing else runs inside it. Every other way into the connection (prepare, so Kysely's queries and transactions;
 * exec; pragma; transaction, the rate limiter's) ends it first, so a write or a transaction runs as it would
 * without it, and a read after a write of this process sees the write. Otherwise it ends at the next check phase
 * (setImmediate): it holds back a checkpoint, or the view of another process's writes, for a turn or two at most.
 */
export class TurnReads {
  #open = false;
  readonly #begin: SQLite.Statement;
  readonly #commit: SQLite.Statement;

  constructor(readonly database: SQLite.Database) {
    this.#begin = this.prepare('begin');
    this.#commit = this.prepare('commit');
    const end = () => this.end();
    database.prepare = endingFirst<typeof database.prepare>(end, database.prepare.bind(database));
    database.exec = endingFirst(end, database.exec.bind(database));
    database.pragma = endingFirst(end, database.pragma.bind(database));
    // A transaction function chooses BEGIN or SAVEPOINT when it is called, by whether a transaction is open: each
    // of its forms ends this one first, and has the others as properties, as better-sqlite3's do.
    const transaction = database.transaction.bind(database);
    database.transaction = ((fn: (...args: unknown[]) => unknown) => {
      const made = transaction(fn);
      const forms = FORMS.map((form) => endingFirst(end, Reflect.get(made, form) as typeof made));
      const properties = Object.fromEntries([
        ...FORMS.map((form, i) => [form, { value: forms[i] }]),
        ['database', { value: database, enumerable: true }],
      ]) as PropertyDescriptorMap;
      for (const form of forms) Object.defineProperties(form, properties);
      return forms[0];
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
      try {
        this.#begin.run();
      } catch {
        // A connection busy with an iterator (a streamed query) runs no BEGIN; a read still runs, on its own.
        return statement.all(parameters);
      }
      this.#open = true;
      setImmediate(this.#endOfTurn);
    }
    return statement.all(parameters);
  }

  /**
   * Ends the turn's transaction, if open. Where it cannot (a connection busy with an iterator), it throws and stays
   * open: the caller's statement must not run inside it.
   */
  end(): void {
    if (!this.#open) return;
    if (this.database.open && this.database.inTransaction) this.#commit.run();
    this.#open = false;
  }

  /** At the end of the turn; what cannot end now is tried again a turn later, never thrown from the timer. */
  readonly #endOfTurn = (): void => {
    try {
      this.end();
    } catch {
      setImmediate(this.#endOfTurn);
    }
  };
}
