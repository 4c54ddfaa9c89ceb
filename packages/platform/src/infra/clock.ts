/**
 * The platform's one source of "now". Services take it from the composition root, so that tests move time
 * (TTLs, leases, grace periods, retention, backoff) instead of waiting for it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  date(): Date;
  /** Called after time jumps (a test clock moved): the queue looks again at what is due. */
  onJump(listener: () => void): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  onJump: () => {},
};

/** Real time plus an offset that tests move forward: everything still runs, only sooner. */
export class TestClock implements Clock {
  #offset = 0;
  readonly #listeners: Array<() => void> = [];

  now(): number {
    return Date.now() + this.#offset;
  }

  date(): Date {
    return new Date(this.now());
  }

  onJump(listener: () => void): void {
    this.#listeners.push(listener);
  }

  advance(ms: number): void {
    this.#offset += ms;
    for (const listener of this.#listeners) listener();
  }
}
