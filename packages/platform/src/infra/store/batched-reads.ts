import { setImmediate } from 'node:timers';
import DataLoader from 'dataloader';

/** A prepared read's SQL ($1, $2…), and its parameters: the position of a call's argument, or a constant. */
export interface ReadPlan {
  sql: string;
  slots: (number | { value: unknown })[];
}

type Rows = Record<string, unknown>[];

/** What a batch needs of the database: to run SQL, to name it, and to tell the types of a statement's parameters. */
export interface BatchDatabase {
  run(sql: string, parameters: unknown[]): Promise<Rows>;
  /** Called before a batched SQL is first sent, so that it goes as a named statement. */
  named(sql: string): void;
  /** PostgreSQL's types of the statement's parameters, as it infers them: `text`, `bigint`… */
  parameterTypes(sql: string): Promise<string[]>;
}

/** The column that says which call of a batch a row answers (1-based); no table of the schema has it. */
const CALL = 'cc_batch_call';

/** A value an array parameter carries as the call alone would send it: no NUL (which PostgreSQL's text refuses). */
const carried = (v: unknown) =>
  v === null ||
  v === undefined ||
  typeof v === 'number' ||
  typeof v === 'boolean' ||
  typeof v === 'bigint' ||
  (typeof v === 'string' && !v.includes('\0'));

/** One call's parameters: its arguments in their slots, the constants in theirs. */
export function bind(slots: ReadPlan['slots'], args: readonly unknown[]): unknown[] {
  return slots.map((s) => (typeof s === 'number' ? args[s] : s.value));
}

/** A read rewritten for batches: its arguments' `$n` made the batch's columns, its constants renumbered. */
export interface BatchRead {
  inner: string;
  /** The constants' values, in the order the SQL first uses each: $arity+1, $arity+2… */
  constants: unknown[];
}

/**
 * The read with each argument's `$n` made `cc_batch.aK`, and each constant numbered once, after the arrays;
 * undefined when its `$n` cannot all be told for parameters: one inside a literal or a quoted name (where a `$1` is
 * text), or past the parameters. A read without arguments has nothing to batch.
 */
export function rewriteForBatch(plan: ReadPlan, arity: number): BatchRead | undefined {
  const quoted = plan.sql.match(/"(?:[^"]|"")*"/g) ?? [];
  if (arity === 0 || plan.sql.includes("'") || quoted.some((name) => name.includes('$'))) return undefined;
  const numbers = new Map<number, number>();
  const constants: unknown[] = [];
  let told = true;
  const inner = plan.sql.replace(/\$(\d+)/g, (match, n: string) => {
    const slot = plan.slots[Number(n) - 1];
    if (slot === undefined) {
      told = false;
      return match;
    }
    if (typeof slot === 'number') return `cc_batch.a${slot}`;
    let number = numbers.get(Number(n));
    if (number === undefined) numbers.set(Number(n), (number = arity + constants.push(slot.value)));
    return `$${number}`;
  });
  return told ? { inner, constants } : undefined;
}

/**
 * The SQL of a batch: the read made LATERAL to a row of arguments for each call, the rows numbered. Each argument
 * goes as one array of the type PostgreSQL gives its parameter in the read ($1..$n); the constants follow.
 */
export function batchedSql(read: BatchRead, types: string[]): string {
  const args = types.map((type, a) => `$${a + 1}::${type}[]`).join(', ');
  const names = types.map((_, a) => `a${a}`).join(', ');
  return `select cc_batch.n as ${CALL}, cc_read.* from unnest(${args}) with ordinality as cc_batch(${names}, n) cross join lateral (${read.inner}) as cc_read`;
}

/** PostgreSQL's class 42 (syntax error or access rule violation): the SQL itself, not the moment. */
const isPlanError = (error: unknown) =>
  (error as { code?: unknown } | null | undefined)?.code?.toString().startsWith('42') === true;

/** Failed batches in a row whose calls all then succeeded alone, after which a read is not batched any more. */
const FAILURES_BEFORE_ALONE = 3;

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * On PostgreSQL, the calls of one prepared read made in one turn of the event loop (the reads of the requests that
 * turn answers) go to the database as one query instead of one each. A round trip costs the platform more than the
 * read (pg's messages, a write and a read on the socket, a wake-up of the database's process on another core), and
 * the database's CPU is the same machine's. The read is joined LATERAL to the calls' arguments, each argument an
 * array of the type PostgreSQL infers for its parameter in the read (asked once), so that each compares as it would
 * alone; its rows are told apart by the call's number, and keep the read's order (a nested loop, call by call).
 *
 * A call alone runs the read itself, and so does a call with an argument an array cannot carry. A batch that fails
 * runs each of its calls alone, so that each meets its own answer or error. A batch PostgreSQL cannot plan (class
 * 42), or a few in a row that fail while their calls succeed alone, turn batching off for the read; so do an
 * argument of two types in the read, and SQL whose `$n` cannot all be told for parameters. Only the root store reads
 * this way (prepared.ts): a transaction's reads are its own. The reads of one batch see one snapshot, taken after
 * each of them was asked for.
 */
export class BatchedReads<A extends unknown[]> {
  readonly #loader: DataLoader<A, Rows>;
  #types: Promise<string[] | undefined> | undefined;
  #sql: string | undefined;
  #batching: boolean;
  #failures = 0;
  readonly #read: BatchRead | undefined;

  constructor(
    private readonly plan: ReadPlan,
    private readonly arity: number,
    private readonly database: BatchDatabase,
  ) {
    this.#read = rewriteForBatch(plan, arity);
    this.#batching = this.#read !== undefined;
    this.#loader = new DataLoader((calls) => this.#batch(calls), {
      cache: false,
      maxBatchSize: 100,
      batchScheduleFn: (callback) => setImmediate(callback),
    });
  }

  load(args: A): Promise<Rows> {
    return this.#loader.load(args);
  }

  async #batch(calls: readonly A[]): Promise<(Rows | Error)[]> {
    const together = calls.flatMap((args, i) => (args.every(carried) ? [i] : []));
    const sql = together.length > 1 && this.#batching ? await this.#batchedSql() : undefined;
    if (!sql) return Promise.all(calls.map((args) => this.#alone(args)));
    const position = new Map(together.map((call, j) => [call, j]));
    const lone = calls.map((args, i) => (position.has(i) ? undefined : this.#alone(args)));
    const columns = Array.from({ length: this.arity }, (_, a) => together.map((i) => calls[i]![a]));
    const rows = await this.#together(sql, columns, together.length).catch((error: unknown) => {
      // A read this rewriting does not suit (a name or type it cannot resolve) runs alone from now on.
      if (isPlanError(error)) this.#batching = false;
      return undefined;
    });
    const answers = await Promise.all(
      calls.map(async (args, i) => lone[i] ?? (rows ? rows[position.get(i)!]! : this.#alone(args))),
    );
    // A batch that failed while each of its calls succeeds alone failed for being a batch: after a few in a row,
    // the read runs alone. (A bad argument, or the database gone, fails a call alone too.)
    if (rows) this.#failures = 0;
    else if (together.every((i) => !(answers[i] instanceof Error)) && ++this.#failures >= FAILURES_BEFORE_ALONE)
      this.#batching = false;
    return answers;
  }

  async #together(sql: string, columns: unknown[][], count: number): Promise<Rows[]> {
    const rows = await this.database.run(sql, [...columns, ...this.#read!.constants]);
    const answers = Array.from({ length: count }, (): Rows => []);
    for (const { [CALL]: n, ...row } of rows) {
      const answer = answers[Number(n) - 1];
      if (!answer) throw new Error(`a batched read answered call ${String(n)} of ${count}`);
      answer.push(row);
    }
    return answers;
  }

  #alone(args: A): Promise<Rows | Error> {
    return this.database.run(this.plan.sql, bind(this.plan.slots, args)).catch(asError);
  }

  /** The batched SQL, made once the read's parameter types are known; undefined when they cannot be. */
  async #batchedSql(): Promise<string | undefined> {
    this.#types ??= this.database.parameterTypes(this.plan.sql).catch((error: unknown) => {
      // A read PostgreSQL cannot prepare this way is never batched; otherwise (the connection) a later batch asks again.
      if (isPlanError(error)) this.#batching = false;
      else this.#types = undefined;
      return undefined;
    });
    const all = await this.#types;
    if (!all) return undefined;
    if (!this.#sql) {
      // Each argument's array takes its parameter's type: an argument used where PostgreSQL gives it two types
      // (a char(5) column and a text function) would compare as only one of them, so such a read runs alone.
      const types = Array.from({ length: this.arity }, (_, a) => [
        ...new Set(this.plan.slots.flatMap((slot, k) => (slot === a ? [all[k]] : []))),
      ]);
      if (types.some((t) => t.length !== 1 || !t[0])) {
        this.#batching = false;
        return undefined;
      }
      this.#sql = batchedSql(
        this.#read!,
        types.map((t) => t[0]!),
      );
      this.database.named(this.#sql);
    }
    return this.#sql;
  }
}
