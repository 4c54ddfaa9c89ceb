import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './store/index.js';

/**
 * The platform's Prometheus metrics (`GET /metrics`), in a registry of its own: the process (memory, event loop,
 * GC), HTTP requests by route, webhook delivery attempts by outcome, and, read from the store at each scrape,
 * the job queue and the uploads by status.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #duration: Histogram<'method' | 'route'>;
  readonly #webhooks: Counter<'outcome'>;

  constructor(db: Db) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({ name: 'cc_http_requests_total', help: 'HTTP requests answered, by route and status', labelNames: ['method', 'route', 'status'], registers });
    this.#duration = new Histogram({
      name: 'cc_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.#webhooks = new Counter({ name: 'cc_webhook_attempts_total', help: 'Webhook delivery attempts, by outcome: delivered, retry, failed, gone', labelNames: ['outcome'], registers });
    new Gauge({
      name: 'cc_jobs',
      help: 'Jobs in the queue, by kind and status (queued or dead)',
      labelNames: ['kind', 'status'],
      registers,
      async collect() {
        this.reset();
        const rows = await db.selectFrom('jobs').select(['kind', 'status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['kind', 'status']).execute();
        for (const r of rows) this.set({ kind: r.kind, status: r.status }, Number(r.n));
      },
    });
    new Gauge({
      name: 'cc_uploads',
      help: 'Uploads, by status',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const rows = await db.selectFrom('uploads').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
        for (const r of rows) this.set({ status: r.status }, Number(r.n));
      },
    });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#duration.observe({ method, route }, seconds);
  }

  webhookAttempt(outcome: 'delivered' | 'retry' | 'failed' | 'gone'): void {
    this.#webhooks.inc({ outcome });
  }
}
