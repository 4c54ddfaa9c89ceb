import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The platform's Prometheus metrics (`GET /metrics`), in a registry of its own: the process (memory, event loop,
 * GC), HTTP requests by route, webhook delivery attempts by outcome, and the gauges features add (the job
 * queue, the uploads by status), read at each scrape.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #duration: Histogram<'method' | 'route'>;
  readonly #webhooks: Counter<'outcome'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({
      name: 'cc_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'cc_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.#webhooks = new Counter({
      name: 'cc_webhook_attempts_total',
      help: 'Webhook delivery attempts, by outcome: delivered, retry, failed, gone',
      labelNames: ['outcome'],
      registers,
    });
  }

  /**
   * A gauge read at each scrape from the feature that owns the numbers (the queue its jobs, uploads theirs), so
   * that metrics read no table themselves.
   */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: () => Promise<Array<{ labels: Record<L, string>; value: number }>>,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { labels, value } of await read()) this.set(labels, value);
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
