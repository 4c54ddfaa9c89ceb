import type { Db, Store } from '../store/index.js';

const CHANNEL = 'cc_credentials';

/**
 * The rows that API keys and instance keys resolve to, kept for a few seconds so that an authenticated request
 * costs no store round trip. What may change a credential's answer is never read from the cache alone:
 * - expiry is checked against the clock on every request (the rows carry their dates);
 * - a revocation, a rotation or a deleted instance calls `changing(tx)` inside its transaction and `forget()`
 *   once it committed: this process forgets everything at once, and every other process on the same PostgreSQL
 *   is told by NOTIFY at commit and forgets on receipt;
 * - a look-up that was under way while a change happened is not kept (generation check), so a row read before
 *   a commit cannot outlive it;
 * - while the LISTEN connection is down (PostgreSQL), nothing is served from the cache or kept in it.
 * Unknown keys are not cached: a key minted a moment later must work at once.
 */
export class CredentialCache {
  readonly #entries = new Map<string, { value: unknown; until: number }>();
  #generation = 0;
  #trusted: boolean;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: { ttlMs: number; maxEntries: number } = { ttlMs: 10_000, maxEntries: 10_000 },
  ) {
    this.#trusted = store.dialect === 'sqlite'; // one process: nobody else can change a credential
  }

  /** Listens for the changes of other processes (PostgreSQL); until then nothing is cached. */
  async start(): Promise<void> {
    if (this.store.dialect === 'sqlite') return;
    this.#unlisten = await this.store.listen(
      CHANNEL,
      () => {
        this.forget();
        this.#trusted = true; // also called once listening (again): whatever was missed is forgotten now
      },
      () => {
        this.#trusted = false;
        this.forget();
      },
    );
  }

  async stop(): Promise<void> {
    this.#trusted = this.store.dialect === 'sqlite';
    this.forget();
    await this.#unlisten?.();
  }

  async get<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.#entries.get(key);
    const now = Date.now();
    if (hit && this.#trusted && hit.until > now) return hit.value as T;
    const generation = this.#generation;
    const value = await load();
    if (value !== undefined && this.#trusted && generation === this.#generation) {
      if (this.#entries.size >= this.opts.maxEntries) this.#entries.clear();
      this.#entries.set(key, { value, until: now + this.opts.ttlMs });
    }
    return value;
  }

  /** Inside a transaction that revokes or replaces a credential: other processes forget at its commit. */
  async changing(tx: Db): Promise<void> {
    this.forget();
    await this.store.notify(tx, CHANNEL);
  }

  /** Forgets every entry, and every look-up under way. */
  forget(): void {
    this.#generation++;
    this.#entries.clear();
  }
}
