import type { Logger } from 'pino';
import type { JobOutcome, JobQueue } from '../../infra/queue/index.js';
import type { Store } from '../../infra/store/index.js';
import { pruneFinalEvents } from '../events/queries.js';
import type { Uploads } from '../uploads/service.js';

export const RETENTION = 'retention';
const EVERY_MS = 3_600_000;

/**
 * Keeps the store from growing without end: every hour, delivered and failed events, dead jobs and finished
 * uploads (with their files) older than RETENTION_DAYS go. One job in the queue carries it, each run adding the
 * next in the transaction that settles it; `schedule()` at start adds the first when none is queued.
 */
export class Retention {
  constructor(private readonly d: { store: Store; queue: JobQueue; uploads: Uploads; days: number; log: Logger }) {}

  async schedule(): Promise<void> {
    const { db } = this.d.store;
    await db.transaction().execute(async (tx) => {
      await this.d.store.lock(tx, RETENTION); // processes starting together add one job, not one each
      const queued = await tx.selectFrom('jobs').select('seq').where('kind', '=', RETENTION).where('status', '=', 'queued').executeTakeFirst();
      if (!queued) await this.d.queue.enqueue(tx, { kind: RETENTION, payload: {}, runAt: new Date(Date.now() + 60_000) });
    });
  }

  /** Removes what is older than the retention period; returns how much. */
  async run(now = new Date()): Promise<{ events: number; jobs: number; uploads: number }> {
    const before = new Date(now.getTime() - this.d.days * 86_400_000).toISOString();
    const removed = {
      events: await pruneFinalEvents(this.d.store.db, before),
      jobs: await this.d.queue.pruneDead(before),
      uploads: await this.d.uploads.prune(before),
    };
    if (removed.events + removed.jobs + removed.uploads > 0) this.d.log.info({ removed, before }, 'retention');
    return removed;
  }

  job = async (): Promise<JobOutcome> => {
    await this.run();
    return { outcome: 'done', record: (tx) => this.d.queue.enqueue(tx, { kind: RETENTION, payload: {}, runAt: new Date(Date.now() + EVERY_MS) }) };
  };
}
