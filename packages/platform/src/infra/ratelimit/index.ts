import type { FastifyRequest } from 'fastify';
import {
  RateLimiterPostgres,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible';
import type { Config, RateLimitName } from '../../config.js';
import { ProblemError } from '../http/problem.js';
import type { Store } from '../store/index.js';

const TABLE = 'rate_limits'; // created by the store's migrations, in the library's layout
const SWEEP_MS = 5 * 60_000;

/**
 * Fixed-window rate limits kept in the store (rate-limiter-flexible on the `rate_limits` table), so that they hold
 * across every process on one PostgreSQL; on SQLite they share the store's one connection (a count taken inside
 * another request's transaction is written with it). A limit set to `off` lets everything through.
 */
export class RateLimits {
  readonly #limiters = new Map<RateLimitName, RateLimiterStoreAbstract>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly rules: Config['rateLimits'],
  ) {
    for (const [name, rule] of Object.entries(rules) as [RateLimitName, Config['rateLimits'][RateLimitName]][]) {
      if (!rule) continue;
      const common = {
        keyPrefix: name,
        points: rule.points,
        duration: rule.seconds,
        tableName: TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
      };
      const driver = store.driver;
      this.#limiters.set(
        name,
        driver.dialect === 'postgres'
          ? new RateLimiterPostgres({ ...common, storeClient: driver.pool, storeType: 'pool' })
          : new RateLimiterSQLite({ ...common, storeClient: driver.database, storeType: 'better-sqlite3' }),
      );
    }
    // Expired windows are removed here (the library's own timer would outlive a closed store).
    this.#sweep = setInterval(() => void this.sweep().catch(() => {}), SWEEP_MS).unref();
  }

  /** Counts one request against `name` for `key`; past the limit, throws 429 rate-limited with Retry-After. */
  async consume(name: RateLimitName, key: string, detail?: string): Promise<void> {
    const limiter = this.#limiters.get(name);
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection; // the store failed: a 5xx, not a free pass
      const rule = this.rules[name]!;
      throw new ProblemError(
        429,
        'rate-limited',
        detail ?? `At most ${rule.points} in ${describeWindow(rule.seconds)}: try again later`,
        undefined,
        {
          'retry-after': String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
        },
      );
    }
  }

  /**
   * A guess (a secret): counted before it is checked, so that concurrent guesses cannot overrun the limit, and
   * given back when it was right, so that only wrong guesses use the limit up. Every key must allow the attempt.
   */
  async guess(
    name: RateLimitName,
    keys: string[],
    check: () => boolean | Promise<boolean>,
    detail?: string,
  ): Promise<boolean> {
    const counted: string[] = [];
    try {
      for (const key of keys) {
        await this.consume(name, key, detail ?? 'Too many wrong secrets: try again later');
        counted.push(key);
      }
    } catch (error) {
      await this.#giveBack(name, counted);
      throw error;
    }
    const right = await check();
    if (right) await this.#giveBack(name, counted);
    return right;
  }

  /** Removes windows that have ended. */
  async sweep(): Promise<void> {
    await this.store.db.deleteFrom('rate_limits').where('expire', '<', Date.now()).execute();
  }

  close(): void {
    clearInterval(this.#sweep);
  }

  async #giveBack(name: RateLimitName, keys: string[]): Promise<void> {
    for (const key of keys) await this.#limiters.get(name)?.reward(key);
  }
}

/** The address a request came from (Fastify's request.ip: the peer, or the proxy's X-Forwarded-For when trusted). */
export const clientAddress = (request: FastifyRequest) => request.ip;

function describeWindow(seconds: number): string {
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ] as const) {
    if (seconds % size === 0) return seconds === size ? `one ${unit}` : `${seconds / size} ${unit}s`;
  }
  return `${seconds} seconds`;
}
