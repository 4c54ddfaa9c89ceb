import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Compilable, type Kysely, type RootOperationNode } from 'kysely';
import { BatchedReads, bind, type BatchDatabase } from './batched-reads.js';
import type { Database } from './schema.js';
import type { TurnReads } from './turn-reads.js';

/** Kysely<Database> (index.ts's Db), named here so that index.ts, which imports this file, is not imported back. */
type Db = Kysely<Database>;

/** The SQL of every prepared query, by text: PostgreSQL connections prepare these by name, once each. */
export const preparedStatementNames = new Map<string, string>();

function nameStatement(sql: string): void {
  if (!preparedStatementNames.has(sql)) preparedStatementNames.set(sql, `cc_${preparedStatementNames.size}`);
}

const MARK = '\u0000cc-param:';

/** The reads of the SQLite connection behind a store's root Kysely instance (index.ts registers them). */
export const sqliteReads: WeakMap<Db, TurnReads> = new WeakMap();

/** The root Kysely instance of a PostgreSQL store (index.ts registers it): its reads are batched per turn. */
export const postgresRoots: WeakSet<Db> = new WeakSet();

/**
 * A query of the hot path, built and compiled once per dialect: each call binds its parameters to the SQL
 * compiled the first time, skipping Kysely's building and compiling (a fifth of a request's CPU when done each
 * time). `build` names its parameters; each must be a plain value bound once (not a list, not used in arithmetic,
 * not a LIMIT: a constant limit is written into the SQL on SQLite, see limits.ts), and the shape of the query must
 * not depend on them.
 */
export function prepared<A extends unknown[], R>(build: (db: Db, ...args: A) => Compilable<R>) {
  const byAdapter = new WeakMap<
    object,
    { compiled: CompiledQuery<R>; slots: (number | { value: unknown })[]; arrays: boolean }
  >();
  const compile = (db: Db) => {
    const adapter = db.getExecutor().adapter; // one per dialect, shared by its transactions
    let entry = byAdapter.get(adapter);
    if (!entry) {
      const marks = Array.from({ length: build.length - 1 }, (_, i) => `${MARK}${i}`) as A;
      const compiled = build(db, ...marks).compile();
      const slots = compiled.parameters.map((p) =>
        typeof p === 'string' && p.startsWith(MARK) ? Number(p.slice(MARK.length)) : { value: p },
      );
      entry = { compiled, slots, arrays: namesItsColumns(compiled.query) };
      byAdapter.set(adapter, entry);
      nameStatement(compiled.sql);
    }
    return entry;
  };
  const statements = new WeakMap<TurnReads, { statement: SQLite.Statement; row: (values: unknown[]) => R }>();
  const batches = new WeakMap<Db, BatchedReads<A>>();
  const run = async (db: Db, args: A): Promise<R[]> => {
    const { compiled, slots, arrays } = compile(db);
    // On SQLite, a SELECT outside any transaction goes to the connection itself, in the turn's read transaction
    // (turn-reads.ts), without queueing for the connection as Kysely's driver would: statements run whole and
    // synchronously, so only an open transaction (whose writes it must not see) holds the connection between them.
    // A transaction's own reads (db is then its Transaction) and every write (even one RETURNING rows) take
    // Kysely's way. No plugin of the SQLite store transforms results.
    const reads = sqliteReads.get(db);
    if (reads && compiled.query.kind === 'SelectQueryNode') {
      let direct = statements.get(reads);
      if (!direct) {
        direct = directStatement<R>(reads, compiled.sql, arrays);
        statements.set(reads, direct);
      }
      const rows = reads.all(direct.statement, bind(slots, args));
      if (rows) return rows.map((values) => direct.row(values as unknown[]));
    }
    // On PostgreSQL, the root store's SELECTs of one turn go together (batched-reads.ts).
    if (compiled.query.kind === 'SelectQueryNode' && postgresRoots.has(db)) {
      let batched = batches.get(db);
      if (!batched) {
        batched = new BatchedReads<A>({ sql: compiled.sql, slots }, build.length - 1, batchDatabase(db, compiled));
        batches.set(db, batched);
      }
      return (await batched.load(args)) as R[];
    }
    return (await db.executeQuery<R>({ ...compiled, parameters: bind(slots, args) })).rows;
  };
  return {
    all: (db: Db, ...args: A): Promise<R[]> => run(db, args),
    first: async (db: Db, ...args: A): Promise<R | undefined> => (await run(db, args))[0],
  };
}

let described = 0;

/** The root PostgreSQL store as batched-reads.ts uses it: Kysely's connections, and named statements. */
function batchDatabase(db: Db, compiled: CompiledQuery): BatchDatabase {
  const raw = (sql: string) => CompiledQuery.raw(sql);
  return {
    run: async (sql, parameters) =>
      (await db.executeQuery<Record<string, unknown>>({ ...compiled, sql, parameters })).rows,
    named: nameStatement,
    // PREPARE infers the parameters' types as the protocol's Parse does; the view tells them, named by pg_type
    // (bpchar, not `character`, which as a cast means char(1)). A name of its own each time: one left behind by a
    // failed DEALLOCATE cannot stand in the way of the next.
    parameterTypes: (sql) =>
      db.connection().execute(async (c) => {
        const name = `cc_describe_${++described}`;
        await c.executeQuery(raw(`prepare ${name} as ${sql}`));
        try {
          const types = raw(`select array(
              select quote_ident(n.nspname) || '.' || quote_ident(t.typname)
              from unnest(p.parameter_types) with ordinality as u(type, i)
              join pg_type t on t.oid = u.type join pg_namespace n on n.oid = t.typnamespace order by u.i) as types
            from pg_prepared_statements p where p.name = '${name}'`);
          return (await c.executeQuery<{ types: string[] }>(types)).rows[0]!.types;
        } finally {
          await c.executeQuery(raw(`deallocate ${name}`));
        }
      }),
  };
}

/**
 * Whether a query's rows can be read as arrays and named by position: it names each column it selects. `*` stands
 * for the table's columns when SQLite (re)prepares the statement, which a schema change made by another
 * connection makes it do by itself: names fixed beforehand would then be put on the wrong values.
 */
function namesItsColumns(query: RootOperationNode): boolean {
  if (query.kind !== 'SelectQueryNode') return false;
  return (query.selections ?? []).every(({ selection }) =>
    selection.kind === 'ReferenceNode' ? selection.column.kind !== 'SelectAllNode' : selection.kind !== 'SelectAllNode',
  );
}

/**
 * Every column of a table, checked complete by the compiler: a hot path's prepared query selects these instead of
 * `selectAll()`, so that its rows can be read as arrays (a query with `*` still works, as objects).
 */
export function allColumns<T>(all: { [K in keyof T]-?: true }): (keyof T & string)[] {
  return Object.keys(all) as (keyof T & string)[];
}

/**
 * A statement of its own (not the connection's shared cache, which Kysely's driver reads as objects), and a function
 * that makes each of its rows the query's row. A query that names its columns is read as arrays, each made an
 * object with the statement's column names: better-sqlite3 makes a row object by looking up each column's name in
 * V8's string table, a third of a one-row read of `uploads`; an object literal of fixed shape costs next to
 * nothing. The names are the query's own, each a quoted key; a later column of the same name wins, as in
 * better-sqlite3's own rows.
 */
function directStatement<R>(reads: TurnReads, sql: string, arrays: boolean) {
  const statement = reads.prepare(sql);
  if (!arrays) return { statement, row: (row: unknown) => row as R };
  statement.raw(true);
  const fields = statement.columns().map((c, i) => `[${JSON.stringify(c.name)}]: values[${i}]`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- built from the statement's own column names
  const row = new Function('values', `return { ${fields.join(', ')} };`) as (values: unknown[]) => R;
  return { statement, row };
}
