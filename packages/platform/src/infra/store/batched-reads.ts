import DataLoader from 'dataloader';

/** A prepared read's SQL ($1, $2…), and its parameters: the position of a call's argument, or a constant. */
export interface ReadPlan {
  sql: string;
  slots: (number | { value: unknown })[];
}

type Run = (sql: string, parameters: unknown[]) => Promise<Record<string, unknown>[]>;

/** The column that says which call of a batch a row answers (1-based); no table of the schema has it. */
const CALL = 'cc_batch_call';

/** PostgreSQL's type for an array of one argument across a batch, from the values' own: undefined if mixed. */
function arrayType(values: unknown[]): string | undefined {
  let type: string | undefined;
  for (const v of values) {
    const t =
      v === null || v === undefined
        ? undefined
        : typeof v === 'string'
          ? 'text'
          : typeof v === 'boolean'
            ? 'bool'
            : Number.isSafeInteger(v)
              ? 'int8'
              : 'other';
    if (t === 'other' || (t && type && t !== type)) return undefined;
    type ??= t;
  }
  return type ?? 'text';
}

/**
 * The SQL of a batch: the read made LATERAL to a row of arguments for each call, each row numbered. Each argument
 * goes as one array ($1..$n); the read's constants follow as they are.
 */
export function batchedSql(plan: ReadPlan, arity: number, types: string[]): string {
  const constants: number[] = [];
  const inner = plan.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const slot = plan.slots[Number(n) - 1]!;
    if (typeof slot === 'number') return `cc_batch.a${slot}`;
    constants.push(Number(n));
    return `$${arity + constants.length}`;
  });
  const args = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  const names = types.map((_, i) => `a${i}`).join(', ');
  return `select cc_batch.n as ${CALL}, cc_read.* from unnest(${args}) with ordinality as cc_batch(${names}, n) cross join lateral (${inner}) as cc_read`;
}

/**
 * On PostgreSQL, the calls of one prepared read made in one turn of the event loop (the reads of the requests that
 * turn answers) go to the database as one query instead of one each. A round trip costs the platform more than the
 * read (pg's messages, a write and a read on the socket, a wake-up of the database's process on another core), and
 * the database's own CPU is the same machine's. Each call gets exactly its own rows, in the read's order: the read
 * is joined LATERAL to the calls' arguments (a nested loop, row by row), and its rows are told apart by the call's
 * number. A call alone, or a batch whose arguments PostgreSQL's arrays cannot carry, runs as the read itself.
 *
 * Only the root store reads this way (index.ts): a transaction's reads are its own. The reads of one batch see one
 * snapshot, as if each had read a moment earlier; a failure fails the whole batch (so the requests that shared it).
 */
export class BatchedReads<A extends unknown[]> {
  readonly #loader: DataLoader<A, Record<string, unknown>[]>;
  readonly #sql = new Map<string, string>();
  #batching: boolean;

  constructor(
    private readonly plan: ReadPlan,
    private readonly arity: number,
    private readonly run: Run,
    /** A batched SQL is named (index.ts's preparedStatementNames) before it is first sent. */
    private readonly named: (sql: string) => void,
  ) {
    this.#batching = arity > 0 && !/'/.test(plan.sql); // no literals in which a "$1" could stand
    this.#loader = new DataLoader((calls) => this.#batch(calls), {
      cache: false,
      maxBatchSize: 100,
      batchScheduleFn: (callback) => setImmediate(callback),
    });
  }

  load(args: A): Promise<Record<string, unknown>[]> {
    return this.#loader.load(args);
  }

  #single(args: A): Promise<Record<string, unknown>[]> {
    return this.run(
      this.plan.sql,
      this.plan.slots.map((s) => (typeof s === 'number' ? args[s] : s.value)),
    );
  }

  async #batch(calls: readonly A[]): Promise<(Record<string, unknown>[] | Error)[]> {
    const columns = Array.from({ length: this.arity }, (_, i) => calls.map((args) => args[i]));
    const types = columns.map(arrayType);
    if (calls.length === 1 || !this.#batching || types.includes(undefined)) return this.#eachAlone(calls);
    const signature = types.join(',');
    let sql = this.#sql.get(signature);
    if (!sql) {
      sql = batchedSql(this.plan, this.arity, types as string[]);
      this.#sql.set(signature, sql);
      this.named(sql);
    }
    const constants = this.plan.slots.filter((s) => typeof s !== 'number').map((s) => s.value);
    let rows: Record<string, unknown>[];
    try {
      rows = await this.run(sql, [...columns, ...constants]);
    } catch (error) {
      // A read this rewriting does not suit (PostgreSQL's class 42: a type or a name it cannot resolve) runs alone
      // from now on; any other failure (the connection) is each call's own to meet.
      if ((error as { code?: string }).code?.startsWith('42')) this.#batching = false;
      return this.#eachAlone(calls);
    }
    const answers = calls.map((): Record<string, unknown>[] => []);
    for (const { [CALL]: n, ...row } of rows) answers[Number(n) - 1]!.push(row);
    return answers;
  }

  #eachAlone(calls: readonly A[]) {
    return Promise.all(calls.map((args) => this.#single(args).catch((error: Error) => error)));
  }
}
