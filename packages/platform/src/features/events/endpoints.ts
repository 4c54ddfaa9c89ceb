/**
 * Fair delivery: an endpoint (the host of a notificationUrl) has its own concurrency, and a circuit breaker that
 * opens after repeated timeouts (as Svix does), so that a slow or hanging endpoint waits on itself alone rather
 * than holding the queue's slots that every other application's events need. A delivery the gate holds back is
 * put off without an attempt being counted. The state is this process's: each process protects its own slots.
 */
export class EndpointGate {
  readonly #endpoints = new Map<string, Endpoint>();

  constructor(
    private readonly opts: {
      /** Deliveries in flight to one endpoint. */
      concurrency: number;
      /** Consecutive timeouts that open the breaker. */
      threshold: number;
      /** How long the breaker first stays open; doubled each time it opens again, up to maxOpenMs. */
      openMs: number;
      maxOpenMs: number;
      /** When a busy endpoint's delivery is tried again. */
      busyDelayMs: number;
    },
  ) {}

  /** A slot for a delivery to `url`, or when to try again. */
  enter(
    url: string,
    now = Date.now(),
  ): { leave(outcome: 'ok' | 'timeout' | 'other'): void } | { retryAt: Date; reason: string } {
    const key = endpointOf(url);
    let e = this.#endpoints.get(key);
    if (!e) {
      if (this.#endpoints.size >= 10_000) this.#forgetIdle();
      e = { inFlight: 0, timeouts: 0, openUntil: 0, opened: 0, probing: false };
      this.#endpoints.set(key, e);
    }
    if (e.openUntil > now)
      return {
        retryAt: new Date(e.openUntil),
        reason: `endpoint ${key} timed out ${e.timeouts} times in a row: paused`,
      };
    const halfOpen = e.opened > 0 && e.timeouts >= this.opts.threshold;
    if (halfOpen && e.probing)
      return { retryAt: new Date(now + this.opts.busyDelayMs), reason: `endpoint ${key} is being probed` };
    if (e.inFlight >= this.opts.concurrency)
      return {
        retryAt: new Date(now + this.opts.busyDelayMs),
        reason: `endpoint ${key} has ${e.inFlight} deliveries in flight`,
      };
    e.inFlight++;
    if (halfOpen) e.probing = true; // one delivery tries the endpoint out; the rest wait for its outcome
    const endpoint = e;
    return {
      leave: (outcome) => {
        endpoint.inFlight--;
        endpoint.probing = false;
        if (outcome === 'timeout') {
          endpoint.timeouts++;
          if (endpoint.timeouts >= this.opts.threshold) {
            endpoint.openUntil = Date.now() + Math.min(this.opts.maxOpenMs, this.opts.openMs * 2 ** endpoint.opened);
            endpoint.opened++;
          }
        } else if (outcome === 'ok') {
          endpoint.timeouts = 0;
          endpoint.opened = 0;
        }
      },
    };
  }

  #forgetIdle(): void {
    const now = Date.now();
    for (const [key, e] of this.#endpoints) if (e.inFlight === 0 && e.openUntil < now) this.#endpoints.delete(key);
  }
}

interface Endpoint {
  inFlight: number;
  /** Consecutive timeouts. */
  timeouts: number;
  openUntil: number;
  /** Times the breaker opened since the endpoint last answered. */
  opened: number;
  /** A half-open breaker lets one delivery through. */
  probing: boolean;
}

/** The host a URL points at: receivers of one host share their machine, and so their slots. */
function endpointOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.+$/, '');
  } catch {
    return url;
  }
}
