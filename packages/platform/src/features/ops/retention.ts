import type { Logger } from 'pino';
import type { Clock } from '../../infra/clock.js';
import { defineRecurring, handler, type JobQueue } from '../../infra/queue/index.js';
import type { Store } from '../../infra/store/index.js';
import { pruneFinalEvents } from '../events/queries.js';
import type { Uploads } from '../uploads/service.js';

/** Every hour, the first a minute after a start with none queued; the queue keeps exactly one queued. */
export const RETENTION = defineRecurring('retention', { everyMs: 3_600_000, firstAfterMs: 60_000 });

/**
 * Keeps the store from growing without end: delivered and failed events, dead jobs and finished uploads (with
 * their files) older than RETENTION_DAYS go.
 */
export class Retention {
  constructor(
    private readonly d: { store: Store; queue: JobQueue; uploads: Uploads; clock: Clock; days: number; log: Logger },
  ) {}

  readonly jobs = [handler(RETENTION, async () => void (await this.run()))];

  /** Removes what is older than the retention period; returns how much. */
  async run(now = this.d.clock.date()): Promise<{ events: number; jobs: number; uploads: number }> {
    const before = new Date(now.getTime() - this.d.days * 86_400_000).toISOString();
    const removed = {
      events: await pruneFinalEvents(this.d.store.db, before),
      jobs: await this.d.queue.pruneDead(before),
      uploads: await this.d.uploads.prune(before),
    };
    if (removed.events + removed.jobs + removed.uploads > 0) this.d.log.info({ removed, before }, 'retention');
    return removed;
  }
}
