import os from 'node:os';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { processAlive } from '../os.js';
import { randomBase62 } from '../secrets/random.js';
import type { Database, Db, Store } from '../store/index.js';
import type { Job, JobDefinition, JobHandler, JobOutcome, JobRegistration } from './jobs.js';
import type { Static, TSchema } from 'typebox';

export { defineJob, defineRecurring, handler } from './jobs.js';
export type { Job, JobDefinition, JobHandler, JobOutcome, JobRegistration, PayloadOf } from './jobs.js';

type Settlement = { job: Job; outcome: JobOutcome; resolve: () => void };

/** A job this process holds while it does the work the job would undo (JobQueue.hold). */
export interface HeldJob {
  /** Deletes the job in `tx`, which makes the work permanent; throws (so that `tx` rolls back) if it was taken over. */
  end(tx: Db): Promise<void>;
  /**
   * Whether this process still holds the job: not if end(tx) committed (though its caller may have seen an error,
   * a connection lost at commit), nor if it was taken over. Not held: the lease is no longer kept up.
   */
  holds(): Promise<boolean>;
  /** Deletes the job now: the work undid itself. */
  drop(): Promise<void>;
  /** Lets any process run the job now. */
  release(): Promise<void>;
}

export interface QueueOptions {
  /** Jobs run at once by this process. */
  concurrency: number;
  /** How long a claimed job is this process's; after that (a crash) another may take it. */
  leaseMs: number;
  /** The fallback poll, for what no wake-up announced (another SQLite process, a lost notification). */
  pollMs: number;
  /** "Now", for due times, leases and backoff: the system's unless a test moves it. */
  clock?: Clock;
}

const CHANNEL = 'cc_jobs';

/**
 * The platform's one job queue, kept in the store. Jobs survive restarts; a claimed job is leased, so a crashed
 * worker's jobs return when the lease ends. Jobs that share a key run one at a time in order. A job committed by
 * this process starts at once; on PostgreSQL so does one committed by another process (LISTEN/NOTIFY), and
 * several processes share the work without running a job twice (FOR UPDATE SKIP LOCKED). Only the head of each
 * key is `ready`, so that claiming stays one index range however long the queues behind the heads grow.
 */
export class JobQueue {
  readonly #handlers = new Map<string, JobRegistration>();
  readonly #clock: Clock;
  /** Jobs whose handlers run: at most `concurrency`. */
  readonly #running = new Set<Promise<void>>();
  /** Jobs done with their work, waiting for their settle to commit: they hold no slot (see #run). */
  readonly #settles = new Set<Promise<void>>();
  readonly #worker = `${os.hostname()}:${process.pid}:${randomBase62(6)}`;
  #started = false;
  #stopping = false;
  #woken = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #settling: Settlement[] = [];

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: QueueOptions,
  ) {
    this.#clock = opts.clock ?? systemClock;
    this.#clock.onJump(() => this.wake());
  }

  handle<S extends TSchema>(definition: JobDefinition<S>, run: JobHandler<Static<S>>): void {
    this.register({ definition, handler: run });
  }

  /** Registers the jobs a feature defines and handles (each feature lists its own next to its service). */
  register(...registrations: JobRegistration[]): void {
    for (const r of registrations) {
      if (this.#handlers.has(r.definition.kind)) throw new Error(`job kind ${r.definition.kind} is registered twice`);
      this.#handlers.set(r.definition.kind, r);
    }
  }

  /** Adds a job inside the caller's transaction: it exists exactly when the change it belongs to does. */
  async enqueue<S extends TSchema>(
    tx: Db,
    definition: JobDefinition<S>,
    payload: Static<S>,
    opts: { key?: string | null; runAt?: Date } = {},
  ): Promise<void> {
    const now = this.#clock.date().toISOString();
    const key = opts.key ?? null;
    if (key !== null) await this.lockKey(tx, key);
    // Ready unless jobs of the same key are queued ahead of it.
    const ready =
      key === null
        ? sql`1`
        : sql`case when exists (select 1 from jobs where key = ${key} and status = 'queued') then 0 else 1 end`;
    await sql`insert into jobs (kind, key, payload, status, ready, run_at, attempts, created_at)
      values (${definition.kind}, ${key}, ${JSON.stringify(payload)}, 'queued', ${ready}, ${opts.runAt?.toISOString() ?? now}, 0, ${now})`.execute(
      tx,
    );
    await this.store.notify(tx, CHANNEL);
    // After the caller's commit: on SQLite the claim queues behind the transaction on the one connection; on
    // PostgreSQL an early claim may miss the job, and the NOTIFY sent at commit wakes the worker again.
    setImmediate(() => this.wake());
  }

  /**
   * Queues a job that this process holds from the start, for work it does itself outside the queue: the job is what
   * undoes that work should the process die before it is done. Inserted (and committed) already leased to this
   * process, its lease kept up while the work goes on, it is run by no one while this process lives; the work ends
   * it with end(tx) in the transaction that makes it permanent, or with drop() once it undid itself. If the process
   * dies, the lease ends (at once when a process starts again on the same host) and any process runs the job.
   */
  async hold<S extends TSchema>(definition: JobDefinition<S>, payload: Static<S>): Promise<HeldJob> {
    const now = this.#clock.now();
    const row = await this.store.db
      .insertInto('jobs')
      .values({
        kind: definition.kind,
        key: null,
        payload: JSON.stringify(payload),
        status: 'queued',
        ready: 1,
        run_at: new Date(now).toISOString(),
        attempts: 0,
        locked_by: this.#worker,
        locked_until: new Date(now + this.opts.leaseMs).toISOString(),
        created_at: new Date(now).toISOString(),
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    const job = { seq: Number(row.seq), kind: definition.kind };
    const heartbeat = setInterval(() => void this.#extendLease(job), this.opts.leaseMs / 3);
    heartbeat.unref();
    const mine = (db: Db) =>
      db.deleteFrom('jobs').where('seq', '=', job.seq).where('locked_by', '=', this.#worker).executeTakeFirst();
    return {
      end: async (tx) => {
        clearInterval(heartbeat);
        if (Number((await mine(tx)).numDeletedRows) === 0)
          throw new Error(`held job ${job.seq} (${job.kind}) was taken over when its lease ended`);
      },
      holds: async () => {
        const row = await this.store.db
          .selectFrom('jobs')
          .select('seq')
          .where('seq', '=', job.seq)
          .where('locked_by', '=', this.#worker)
          .executeTakeFirst();
        if (!row) clearInterval(heartbeat);
        return row !== undefined;
      },
      drop: async () => {
        clearInterval(heartbeat);
        await mine(this.store.db);
      },
      release: async () => {
        clearInterval(heartbeat);
        await this.store.db
          .updateTable('jobs')
          .set({ locked_by: null, locked_until: null })
          .where('seq', '=', job.seq)
          .where('locked_by', '=', this.#worker)
          .execute();
        this.wake();
      },
    };
  }

  /**
   * Serialises, until the end of `tx`, the transactions that queue jobs of `key` (enqueue takes it too): what a
   * caller does after it happens in the order of the key's jobs, whichever process does it.
   */
  async lockKey(tx: Db, key: string): Promise<void> {
    await this.store.lock(tx, `job-key:${key}`);
  }

  /**
   * Makes sure a recurring job is queued (see defineRecurring): under a lock, so that processes starting together
   * add one, not one each. Jobs of a recurring kind share the kind as their key, and so never run two at once.
   */
  async schedule(definition: JobDefinition): Promise<void> {
    const every = definition.recurring;
    if (!every) throw new Error(`job kind ${definition.kind} is not recurring`);
    await this.store.db.transaction().execute(async (tx) => {
      await this.store.lock(tx, `job-key:${definition.kind}`);
      const queued = await tx
        .selectFrom('jobs')
        .select('seq')
        .where('kind', '=', definition.kind)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (!queued)
        await this.enqueue(
          tx,
          definition,
          {},
          { key: definition.kind, runAt: new Date(this.#clock.now() + every.firstAfterMs) },
        );
    });
  }

  /** Removes dead jobs created before `before` (kept till then for an operator to look at). */
  async pruneDead(before: string): Promise<number> {
    const deleted = await this.store.db
      .deleteFrom('jobs')
      .where('status', '=', 'dead')
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  /** Jobs by kind and status (queued or dead), for the cc_jobs gauge. */
  async counts(): Promise<Array<{ labels: { kind: string; status: string }; value: number }>> {
    const rows = await this.store.db
      .selectFrom('jobs')
      .select(['kind', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['kind', 'status'])
      .execute();
    return rows.map((r) => ({ labels: { kind: r.kind, status: r.status }, value: Number(r.n) }));
  }

  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#releaseDeadWorkers();
    for (const { definition } of this.#handlers.values()) if (definition.recurring) await this.schedule(definition);
    this.#unlisten = await this.store.listen(CHANNEL, () => this.wake());
    this.#loop = this.#run();
  }

  /** Stops claiming and waits for the jobs in hand; their leases end with them. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.wake();
    await this.#loop;
    await Promise.allSettled([...this.#running]);
    await Promise.allSettled([...this.#settles]);
    await this.#unlisten?.();
  }

  /**
   * Hands back at once every job this process holds (claimed or held), for another process to take: the process is
   * about to exit without finishing them (its stop took too long). Without it they would wait for their leases.
   */
  async abandon(): Promise<number> {
    this.#stopping = true;
    const released = await this.store.db
      .updateTable('jobs')
      .set({ locked_by: null, locked_until: null })
      .where('locked_by', '=', this.#worker)
      .executeTakeFirst();
    return Number(released.numUpdatedRows);
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      await new Promise((r) => setImmediate(r)); // wake-ups of one tick make one claim
      if (this.#stopping) break; // a stop in that tick: `#woken` is reset below, and would be lost
      if (this.#running.size > this.opts.concurrency / 2) {
        // Busy: let a few more slots free up, so that one claim fills many (at most 2 ms later).
        await new Promise((r) => setTimeout(r, 2));
      }
      this.#woken = false;
      // A job frees its slot when its work ends, not when its settle commits: settling (a few round trips, behind
      // other settles) would otherwise hold the slots for longer than the work, and bound throughput by latency.
      // Jobs awaiting their settle are bounded too: no claim while `concurrency` of them wait.
      const free = this.#settles.size >= this.opts.concurrency ? 0 : this.opts.concurrency - this.#running.size;
      let claimed: Job[] = [];
      if (free > 0) {
        try {
          claimed = await this.#claim(free);
        } catch (error) {
          if (this.#stopping) break;
          this.log.error({ err: error }, 'job claim failed');
        }
      }
      for (const job of claimed) {
        const run = this.#work(job)
          .then((outcome) => {
            const settled = this.#settle(job, outcome).finally(() => {
              this.#settles.delete(settled);
              this.wake(); // the job's successor under the same key may now run
            });
            this.#settles.add(settled);
          })
          .finally(() => {
            this.#running.delete(run);
            this.wake(); // a slot is free
          });
        this.#running.add(run);
      }
      if (claimed.length === free && free > 0) continue; // there may be more
      if (this.#woken) continue;
      // All slots busy: a finishing job wakes the loop. Otherwise: until the next job is due, or the poll.
      await this.#sleep(free === 0 ? this.opts.pollMs : await this.#untilNextDue());
    }
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#woken || this.#stopping) return; // woken, or stopped, while the next due time was being read
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
    clearTimeout(this.#timer);
    this.#wake = undefined;
  }

  async #untilNextDue(): Promise<number> {
    try {
      const next = await this.store.db
        .selectFrom('jobs')
        // A leased job is next due when its lease ends: that is how a crashed worker's jobs come back.
        .select(sql<string | null>`min(coalesce(locked_until, run_at))`.as('next'))
        .where('status', '=', 'queued')
        .where('ready', '=', 1)
        .executeTakeFirst();
      if (next?.next) return Math.max(0, Math.min(this.opts.pollMs, Date.parse(next.next) - this.#clock.now()));
    } catch {}
    return this.opts.pollMs;
  }

  async #claim(limit: number): Promise<Job[]> {
    const now = this.#clock.date();
    const until = new Date(now.getTime() + this.opts.leaseMs).toISOString();
    const at = now.toISOString();
    const lock = this.store.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    // The pick is a materialised CTE, run once. As `where seq in (select … limit n for update skip locked)`,
    // PostgreSQL may plan it as the inner side of a nested loop and run it again for each row of jobs; each run
    // skips the rows the update has already changed and picks the next n, so that the update took every due job
    // whatever the limit (seen on a near-empty jobs table, whose statistics make that plan the cheapest).
    const { rows } = await sql<{
      seq: number | string;
      kind: string;
      key: string | null;
      payload: string;
      attempts: number;
    }>`
      with picked as materialized (
        select j.seq from jobs j
        where j.status = 'queued' and j.ready = 1 and j.run_at <= ${at}
          and (j.locked_until is null or j.locked_until < ${at})
        order by j.run_at, j.seq
        limit ${limit}
        ${lock})
      update jobs set locked_by = ${this.#worker}, locked_until = ${until}, attempts = attempts + 1
      where seq in (select seq from picked)
      returning seq, kind, key, payload, attempts`.execute(this.store.db);
    return rows.map((r) => ({ ...r, seq: Number(r.seq), payload: JSON.parse(r.payload) as unknown }));
  }

  /** Runs the job's handler: what it did, and what to record in its settle. */
  async #work(job: Job): Promise<JobOutcome> {
    const registration = this.#handlers.get(job.kind);
    const problems = registration?.definition.problems(job.payload);
    let outcome: JobOutcome;
    // A long job (validating a large upload) keeps its lease while it runs.
    const heartbeat = setInterval(() => void this.#extendLease(job), this.opts.leaseMs / 3);
    try {
      if (!registration) outcome = { outcome: 'dead', error: `no handler for job kind ${job.kind}` };
      else if (problems)
        outcome = { outcome: 'dead', error: `payload of job kind ${job.kind} is not valid: ${problems}` };
      else outcome = (await registration.handler(job.payload as never, job as Job<never>)) ?? { outcome: 'done' };
    } catch (error) {
      this.log.error({ err: error, job: { seq: job.seq, kind: job.kind, attempts: job.attempts } }, 'job failed');
      const message = String((error as Error)?.message ?? error);
      outcome =
        job.attempts >= MAX_ATTEMPTS_ON_ERROR
          ? { outcome: 'dead', error: message }
          : { outcome: 'retry', at: new Date(this.#clock.now() + backoffMs(job.attempts)), error: message };
    } finally {
      clearInterval(heartbeat);
    }
    const every = registration?.definition.recurring;
    if (every && outcome.outcome !== 'retry') outcome = this.#thenNext(registration.definition, every.everyMs, outcome);
    return outcome;
  }

  /** A recurring job queues its next run in the transaction that settles it: never none, never two. */
  #thenNext(definition: JobDefinition, everyMs: number, outcome: JobOutcome): JobOutcome {
    const record = outcome.record;
    return {
      ...outcome,
      record: async (tx) => {
        await record?.(tx);
        await this.enqueue(tx, definition, {}, { key: definition.kind, runAt: new Date(this.#clock.now() + everyMs) });
      },
    };
  }

  async #extendLease(job: Pick<Job, 'seq' | 'kind'>): Promise<void> {
    const until = new Date(this.#clock.now() + this.opts.leaseMs).toISOString();
    await this.store.db
      .updateTable('jobs')
      .set({ locked_until: until })
      .where('seq', '=', job.seq)
      .where('locked_by', '=', this.#worker)
      .execute()
      .catch((error: unknown) =>
        this.log.warn({ err: error, job: { seq: job.seq, kind: job.kind } }, 'job lease not extended'),
      );
  }

  /**
   * Frees at once the jobs that processes of this host which are gone still hold, rather than at the end of their
   * leases: a restart after a crash carries on without waiting. (Other hosts' jobs come back when their leases end.)
   */
  async #releaseDeadWorkers(): Promise<void> {
    const prefix = `${os.hostname()}:`;
    const holders = await this.store.db
      .selectFrom('jobs')
      .select('locked_by')
      .distinct()
      .where('locked_by', 'like', `${prefix}%`)
      .execute();
    for (const { locked_by: holder } of holders) {
      const pid = Number(holder!.slice(prefix.length).split(':')[0]);
      if (holder === this.#worker || processAlive(pid)) continue;
      await this.store.db
        .updateTable('jobs')
        .set({ locked_by: null, locked_until: null })
        .where('locked_by', '=', holder)
        .execute();
      this.log.warn({ worker: holder }, 'took back the jobs of a worker that is gone');
    }
  }

  /**
   * Settles finished jobs, those finished in the same tick in one transaction (group commit): on SQLite, which
   * serialises its writes anyway, and on PostgreSQL, where a transaction per settle capped delivery at ~400/s. A
   * batch that fails is settled again job by job, so one bad record holds back no other.
   */
  #settle(job: Job, outcome: JobOutcome): Promise<void> {
    return new Promise((resolve) => {
      this.#settling.push({ job, outcome, resolve });
      if (this.#settling.length === 1) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#settling.length > 0) {
      const batch = this.#settling.splice(0, 256);
      let alone: typeof batch = [];
      try {
        await this.store.db.transaction().execute(async (tx) => {
          alone = await this.#lockKeys(tx, batch);
          await this.#settleBatch(
            tx,
            batch.filter((b) => !alone.includes(b)),
          );
        });
      } catch (error) {
        alone = batch;
        if (batch.length === 1) {
          this.#unsettled(batch[0]!.job, error);
          alone = [];
        }
      }
      // Jobs whose key another transaction holds (PostgreSQL), and those of a failed batch: one transaction each.
      for (const { job, outcome } of alone) {
        await this.store.db
          .transaction()
          .execute(async (tx) => {
            if (job.key !== null) await this.store.lock(tx, `job-key:${job.key}`);
            await this.#settleBatch(tx, [{ job, outcome }]);
          })
          .catch((e) => this.#unsettled(job, e));
      }
      for (const b of batch) b.resolve();
    }
  }

  /**
   * Takes the key locks of a batch (PostgreSQL) without waiting: a batch that waited while holding other keys'
   * locks could deadlock with a transaction enqueueing several keys in another order. Returns the settlements
   * whose key was busy, for settling alone.
   */
  async #lockKeys(tx: Transaction<Database>, batch: Settlement[]): Promise<Settlement[]> {
    if (this.store.dialect !== 'postgres') return [];
    const keys = [
      ...new Set(batch.flatMap((b) => (b.job.key !== null && b.outcome.outcome !== 'retry' ? [b.job.key] : []))),
    ].sort();
    if (keys.length === 0) return [];
    const { rows } = await sql<{ key: string; ok: boolean }>`
      select k as key, pg_try_advisory_xact_lock(hashtextextended('job-key:' || k, 0)) as ok
      from (select k from unnest(${keys}::text[]) as k order by k) s`.execute(tx);
    const busy = new Set(rows.filter((r) => !r.ok).map((r) => r.key));
    return busy.size === 0 ? [] : batch.filter((b) => b.job.key !== null && busy.has(b.job.key));
  }

  /** Settles jobs whose keys' locks are held: their records, then the jobs, in a few statements for all. */
  async #settleBatch(tx: Transaction<Database>, batch: Array<Pick<Settlement, 'job' | 'outcome'>>): Promise<void> {
    if (batch.length === 0) return;
    // Records of kinds with independent records start at once (so that they may merge); the others in turn.
    const independent = (b: (typeof batch)[number]) =>
      this.#handlers.get(b.job.kind)?.definition.independentRecords === true;
    const started = batch.flatMap((b) => (independent(b) && b.outcome.record ? [b.outcome.record(tx)] : []));
    const failed = (await Promise.allSettled(started)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const b of batch) if (!independent(b)) await b.outcome.record?.(tx);
    const seqs = (kind: JobOutcome['outcome']) => batch.filter((b) => b.outcome.outcome === kind).map((b) => b.job.seq);
    for (const { job, outcome } of batch) {
      if (outcome.outcome !== 'retry') continue;
      await tx
        .updateTable('jobs')
        .set({ run_at: outcome.at.toISOString(), locked_by: null, locked_until: null, last_error: outcome.error })
        .where('seq', '=', job.seq)
        .where('locked_by', '=', this.#worker)
        .execute(); // still the head of its key
    }
    // The next job of each key whose head ended becomes its head: one probe of jobs_key (key, seq) per key, the
    // ended head left out (a PostgreSQL statement that deletes it still sees it). On PostgreSQL the done jobs are
    // deleted in the same statement (a round trip fewer per batch); SQLite takes no data-modifying CTE.
    const promoteNext = (ended: RawBuilder<unknown>) => sql`with ended (key, seq) as (${ended})
      update jobs set ready = 1 where seq in (
        select (select min(j.seq) from jobs j where j.key = ended.key and j.status = 'queued' and j.seq <> ended.seq)
        from ended where ended.key is not null)`;
    const ended: Array<{ key: string | null; seq: number | string }> = [];
    const done = seqs('done');
    if (done.length > 0) {
      const remove = sql<{ key: string | null; seq: number | string }>`delete from jobs
        where seq in (${sql.join(done)}) and locked_by = ${this.#worker} returning key, seq`;
      if (this.store.dialect === 'postgres') await promoteNext(remove).execute(tx);
      else ended.push(...(await remove.execute(tx)).rows);
    }
    for (const { job, outcome } of batch) {
      if (outcome.outcome !== 'dead') continue;
      const row = await tx
        .updateTable('jobs')
        .set({ status: 'dead', ready: 0, locked_by: null, locked_until: null, last_error: outcome.error })
        .where('seq', '=', job.seq)
        .where('locked_by', '=', this.#worker)
        .returning(['key', 'seq'])
        .executeTakeFirst();
      if (row) ended.push(row);
    }
    const keyed = ended.filter((r) => r.key !== null);
    if (keyed.length > 0)
      await promoteNext(sql`values ${sql.join(keyed.map((r) => sql`(${r.key}, cast(${r.seq} as bigint))`))}`).execute(
        tx,
      );
  }

  /** The job stays leased; when the lease ends it runs again (at least once). */
  #unsettled(job: Job, error: unknown): void {
    this.log.error({ err: error, job: { seq: job.seq, kind: job.kind } }, 'job could not be settled');
  }
}

/** A handler that throws is retried this many times (about 2.5 hours with the backoff), then the job is dead. */
const MAX_ATTEMPTS_ON_ERROR = 20;

/** For handlers that throw: 1 s, 2 s, 4 s … capped at 10 min. */
function backoffMs(attempts: number): number {
  return Math.min(600_000, 1000 * 2 ** Math.max(0, attempts - 1));
}
