import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { request } from 'undici';

/** A refusal from the platform: an RFC 9457 problem. */
export class PlatformError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly retryAfter?: number,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export interface CallOptions {
  body?: unknown;
  /** A body to stream; a function, so that a retry sends it afresh. */
  stream?: () => Readable;
  /** Keep trying while the platform is unreachable or busy (background work); else a few tries (a person waits). */
  persistent?: boolean;
}

const MAX_DELAY_MS = 30_000;

/**
 * The platform's instance routes, over HTTP with the instance key. An unreachable platform, a 5xx or a 429 is
 * retried with exponential backoff (honouring Retry-After), for as long as the connector runs when `persistent`;
 * any other refusal is a PlatformError at once.
 */
export class PlatformClient {
  #stopped = false;
  readonly #stop = new AbortController();

  constructor(
    private readonly baseUrl: string,
    private readonly instanceKey: string,
    private readonly log: Logger,
  ) {}

  /** Ends every wait and retry: the connector is stopping. */
  stop(): void {
    this.#stopped = true;
    this.#stop.abort();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.#send(method, path, opts);
    const text = await res.body.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A response body as a stream (the caller reads it to the end or destroys it). */
  async download(path: string, opts: CallOptions = {}): Promise<Readable> {
    return (await this.#send('GET', path, opts)).body;
  }

  async #send(method: string, path: string, opts: CallOptions) {
    const tries = opts.persistent ? Infinity : 3;
    for (let attempt = 1; ; attempt++) {
      let why: string;
      let retryAfter: number | undefined;
      try {
        const headers: Record<string, string> = { 'x-instance-key': this.instanceKey, 'accept-encoding': 'identity' };
        let body: string | Readable | undefined;
        if (opts.stream) body = opts.stream();
        else if (opts.body !== undefined) body = JSON.stringify(opts.body);
        if (body !== undefined) headers['content-type'] = 'application/json';
        const res = await request(this.baseUrl + path, { method: method as 'GET', headers, body, signal: this.#stop.signal });
        if (res.statusCode < 400) return res;
        const error = problemOf(res.statusCode, res.headers['retry-after'], await res.body.text());
        // A refusal is final; a busy or failing platform is asked again.
        if ((error.status < 500 && error.status !== 429) || attempt >= tries) throw error;
        why = error.message;
        retryAfter = error.retryAfter;
      } catch (error) {
        if (error instanceof PlatformError || this.#stopped || attempt >= tries) throw error;
        why = (error as Error).message; // not reachable
      }
      const delay = Math.min(MAX_DELAY_MS, retryAfter !== undefined ? retryAfter * 1000 : 500 * 2 ** Math.min(attempt - 1, 6));
      this.log.warn({ method, path, attempt, delayMs: delay, why }, 'platform not reachable; trying again');
      try {
        await sleep(delay, undefined, { signal: this.#stop.signal });
      } catch {
        throw new Error('the connector is stopping');
      }
    }
  }
}

function problemOf(status: number, retryAfterHeader: string | string[] | undefined, text: string): PlatformError {
  let problem: { code?: string; detail?: string } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {}
  return new PlatformError(status, problem.code ?? 'unknown', problem.detail ?? text.slice(0, 200), Number(retryAfterHeader) || undefined);
}
