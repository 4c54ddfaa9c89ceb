import type { Config } from '../../config.js';
import { systemClock, type Clock } from '../../infra/clock.js';

/**
 * Fair delivery: an endpoint (the host of a notificationUrl) has its own concurrency, and a circuit breaker that
 * opens after repeated timeouts (as Svix does), so that a slow or hanging endpoint waits on itself alone rather
 * than holding the queue's slots that every other application's events need. A delivery the gate holds back is
 * put off without an attempt being counted. The state is this process's: each process protects its own slots.
 *
 * A busy endpoint that is answering (a delivery to it ended within `busyWaitMs`) has a short line instead: up to
 * `concurrency` deliveries wait for its next free slot, for `busyWaitMs` at most. Putting a delivery off costs a
 * write and a later claim, more than a fast receiver's answer: one application's many integrations, all posting to
 * one host, would otherwise be held to the rate of put-offs. A hanging endpoint has no line, so it holds no more
 * of the queue's slots than its concurrency.
 */
export class EndpointGate {
  readonly #endpoints = new Map<string, Endpoint>();

  /** `clock` dates the pauses the queue schedules by; the line's wait (busyWaitMs) is a real one. */
  constructor(
    private readonly opts: Config['webhookEndpoints'],
    private readonly clock: Clock = systemClock,
  ) {}

  /** A slot for a delivery to `url`, or when to try again. */
  async enter(url: string): Promise<Slot | { retryAt: Date; reason: string }> {
    const now = this.clock.now();
    const key = endpointOf(url);
    let e = this.#endpoints.get(key);
    if (!e) {
      if (this.#endpoints.size >= 10_000) this.#forgetIdle();
      e = { inFlight: 0, timeouts: 0, openUntil: 0, opened: 0, probing: false, answeredAt: 0, line: [] };
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
    if (e.inFlight >= this.opts.concurrency) {
      const busy = {
        retryAt: new Date(now + this.opts.busyDelayMs),
        reason: `endpoint ${key} has ${e.inFlight} deliveries in flight`,
      };
      const answering = now - e.answeredAt < this.opts.busyWaitMs;
      if (halfOpen || !answering || e.line.length >= this.opts.concurrency) return busy;
      const endpoint = e;
      const handedOver = await new Promise<boolean>((resolve) => {
        const turn = (granted: boolean) => {
          clearTimeout(timer);
          resolve(granted);
        };
        const timer = setTimeout(() => {
          const at = endpoint.line.indexOf(turn);
          if (at >= 0) endpoint.line.splice(at, 1);
          resolve(false);
        }, this.opts.busyWaitMs);
        endpoint.line.push(turn);
      });
      return handedOver
        ? this.#slot(endpoint)
        : { ...busy, retryAt: new Date(this.clock.now() + this.opts.busyDelayMs) };
    }
    e.inFlight++;
    if (halfOpen) e.probing = true; // one delivery tries the endpoint out; the rest wait for its outcome
    return this.#slot(e);
  }

  /** A slot already counted in `e.inFlight`: leaving it frees it, or hands it to the next in the line. */
  #slot(e: Endpoint): Slot {
    return {
      leave: (outcome) => {
        e.probing = false;
        if (outcome === 'timeout') {
          e.timeouts++;
          if (e.timeouts >= this.opts.threshold) {
            e.openUntil = this.clock.now() + Math.min(this.opts.maxOpenMs, this.opts.openMs * 2 ** e.opened);
            e.opened++;
            for (const turn of e.line.splice(0)) turn(false); // paused: the line is put off too
          }
        } else {
          e.answeredAt = this.clock.now();
          if (outcome === 'ok') {
            e.timeouts = 0;
            e.opened = 0;
          }
        }
        // The slot passes to the next in the line, still counted, or is freed.
        const next = e.line.shift();
        if (next) next(true);
        else e.inFlight--;
      },
    };
  }

  #forgetIdle(): void {
    const now = this.clock.now();
    for (const [key, e] of this.#endpoints) if (e.inFlight === 0 && e.openUntil < now) this.#endpoints.delete(key);
  }
}

interface Slot {
  leave(outcome: 'ok' | 'timeout' | 'other'): void;
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
  /** When a delivery to it last ended with an answer or a quick failure (not a timeout). */
  answeredAt: number;
  /** Deliveries waiting for a slot, first come first served: each is called with whether it got one. */
  line: Array<(granted: boolean) => void>;
}

/** The host a URL points at: receivers of one host share their machine, and so their slots. */
function endpointOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.+$/, '');
  } catch {
    return url;
  }
}
