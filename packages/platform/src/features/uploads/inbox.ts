import type { Db, Store } from '../../infra/store/index.js';

const CHANNEL = 'cc_inbox';

/**
 * What the inbox's long polls wait on: a word that some upload became pending, from this process or, on
 * PostgreSQL, from any other (LISTEN/NOTIFY). A woken poll looks again; the word carries no detail.
 */
export class InboxSignal {
  readonly #waiters = new Set<() => void>();
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(private readonly store: Store) {}

  async start(): Promise<void> {
    this.#unlisten = await this.store.listen(CHANNEL, () => this.#wakeAll());
  }

  /** Ends every wait at once (the platform is stopping). */
  async stop(): Promise<void> {
    this.#closed = true;
    this.#wakeAll();
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.();
  }

  /** Called in the transaction that makes an upload pending. */
  async announce(tx: Db): Promise<void> {
    await this.store.notify(tx, CHANNEL);
    // After the commit: on SQLite a look queues behind the transaction on the one connection.
    setImmediate(() => this.#wakeAll());
  }

  /** A promise that settles at the next word, or after `ms`: taken before looking, so that no word is missed. */
  next(ms: number): { woken: Promise<void>; cancel(): void } {
    if (this.#closed) return { woken: Promise.resolve(), cancel() {} };
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(() => wake(), ms);
    const waiter = () => wake();
    this.#waiters.add(waiter);
    void woken.then(() => {
      clearTimeout(timer);
      this.#waiters.delete(waiter);
    });
    return { woken, cancel: waiter };
  }

  get closed(): boolean {
    return this.#closed;
  }

  #wakeAll(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
