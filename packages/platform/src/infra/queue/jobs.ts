import type { Transaction } from 'kysely';
import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Database } from '../store/index.js';

/**
 * A kind of job: its name in the `jobs` table and the schema of its payload. `enqueue` and `handle` both take the
 * definition, so the payload a feature queues is the payload its handler gets; the queue checks it again when it
 * claims the job (a row written by an older version, or by hand, dies with a clear error instead of a TypeError).
 */
export interface JobDefinition<S extends TSchema = TSchema> {
  readonly kind: string;
  readonly schema: S;
  /** Set for a recurring job: the queue keeps exactly one of it queued (see defineRecurring). */
  readonly recurring?: { everyMs: number; firstAfterMs: number };
  /**
   * Each job's `record` writes only rows of its own (or writes that give the same result in any order, such as
   * marking an application's URL gone), so that the records of jobs settled together may run at once and be merged
   * into one statement (store/together.ts). Otherwise they run one after another.
   */
  readonly independentRecords?: boolean;
  /** The payload's problems, or undefined when it matches the schema. */
  problems(payload: unknown): string | undefined;
}

export type PayloadOf<D extends JobDefinition> = D extends JobDefinition<infer S> ? Static<S> : never;

/** What a handler decided; `record` runs in the same transaction that settles the job. */
export type JobOutcome =
  | { outcome: 'done'; record?: (tx: Transaction<Database>) => Promise<void> }
  | { outcome: 'retry'; at: Date; error: string; record?: (tx: Transaction<Database>) => Promise<void> }
  | { outcome: 'dead'; error: string; record?: (tx: Transaction<Database>) => Promise<void> };

export interface Job<P = unknown> {
  seq: number;
  kind: string;
  key: string | null;
  payload: P;
  attempts: number;
}

/** A handler returns an outcome, or nothing for done; one that throws is retried with backoff. */
export type JobHandler<P = unknown> = (payload: P, job: Job<P>) => Promise<JobOutcome | void>;

/** A definition with its handler, as a feature hands it to the queue. */
export interface JobRegistration {
  definition: JobDefinition;
  handler: JobHandler<never>;
}

export function defineJob<S extends TSchema>(
  kind: string,
  schema: S,
  opts: { independentRecords?: boolean } = {},
): JobDefinition<S> {
  const validator = Compile(schema);
  return {
    kind,
    schema,
    ...opts,
    problems: (payload) =>
      validator.Check(payload)
        ? undefined
        : validator
            .Errors(payload)
            .slice(0, 3)
            .map((e) => `${e.instancePath || '/'} ${e.message}`)
            .join('; '),
  };
}

/**
 * A job that runs every `everyMs`, the first time `firstAfterMs` after the queue starts with none queued. The
 * queue keeps one queued: each run queues the next in the transaction that settles it, and a start adds one only
 * when none is there (under a lock), so restarts neither skip nor double a run and several processes share one.
 */
/* eslint-disable @typescript-eslint/no-empty-object-type -- TypeObject<{}> is TypeBox's type of Type.Object({}) */
export function defineRecurring(
  kind: string,
  opts: { everyMs: number; firstAfterMs?: number },
): JobDefinition<TObject<{}>> {
  return {
    ...defineJob(kind, Type.Object({})),
    recurring: { everyMs: opts.everyMs, firstAfterMs: opts.firstAfterMs ?? opts.everyMs },
  };
}
/* eslint-enable @typescript-eslint/no-empty-object-type */

/** Pairs a definition with its handler, typed together. */
export function handler<S extends TSchema>(definition: JobDefinition<S>, run: JobHandler<Static<S>>): JobRegistration {
  return { definition, handler: run };
}
