import { routes, type OperationId, type RouteDefinition, type Routes } from '@connected-cloud/contract';

// The one HTTP transport of every Connected Cloud client (the SDK, the CLI, the connector): the Fetch API only, so
// that it runs wherever `fetch` exists (Node 20, Deno, Bun, edge runtimes).

export const SDK_VERSION = '0.1.0';

/** A problem document (RFC 9457) as the platform sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: Array<{ pointer: string; message: string }>;
  errorCount?: number;
  [member: string]: unknown;
}

/** A refusal of the platform: its problem document, with `code` as the contract names it. */
export class ApiError extends Error {
  readonly code: string;
  readonly detail: string;
  /** Milliseconds the platform asked to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly headers: Headers,
    readonly requestId: string,
  ) {
    const code = problem.code ?? (status === 404 ? 'not-found' : 'unknown');
    const detail = problem.detail ?? problem.title ?? `HTTP ${status}`;
    super(`${status} ${code}: ${detail}`);
    this.name = 'ApiError';
    this.code = code;
    this.detail = detail;
    this.retryAfterMs = parseRetryAfter(headers.get('retry-after'));
  }
}

/** The platform could not be reached, or did not answer in time: nothing was (or may have been) done. */
export class ConnectionError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      timedOut ? `no answer from ${url} in time (${reason})` : `cannot reach the platform at ${url} (${reason})`,
      options,
    );
    this.name = 'ConnectionError';
  }
}

/** One line of the transport's log: every attempt, with the request id the platform logs too. */
export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  attempt: number;
  status?: number;
  durationMs: number;
  error?: string;
  /** Set when the transport will try again, after this many milliseconds. */
  retryInMs?: number;
}

export interface TransportOptions {
  /** The platform, e.g. https://cloud.example.com */
  baseUrl: string;
  /** A fetch of your own (a proxy, a test double, an edge runtime's); the global one by default. */
  fetch?: typeof globalThis.fetch;
  /** Put before the SDK's own User-Agent, e.g. `my-shop/2.1`. */
  userAgent?: string;
  /** Milliseconds to wait for the response's headers, per attempt (default 30 s). */
  timeoutMs?: number;
  /** Tries after the first, for calls safe to repeat (default 3). */
  retries?: number;
  /** Keep retrying (network errors, 5xx, 429) for as long as `signal` is not aborted: for background work. */
  persistent?: boolean;
  /** The longest wait between tries, Retry-After included (default 30 s). */
  maxDelayMs?: number;
  /** The first backoff step (default 250 ms), doubled at each try, with jitter. */
  baseDelayMs?: number;
  /** Ends every call and wait (a stopping process). */
  signal?: AbortSignal;
  /** Receives one entry per attempt. */
  log?: (entry: RequestLog) => void;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface Call {
  method: string;
  path: string;
  query?: Query;
  /** A JSON body (serialised here). */
  json?: unknown;
  /**
   * A raw body. A Blob or a string can be sent again; a stream only by a function that makes it afresh.
   */
  body?: BodyInit | (() => BodyInit);
  headers?: Record<string, string>;
  /** The caller knows a repeat is harmless (it sets a state, like a progress report): retried like a PUT. */
  idempotent?: boolean;
  /** Overrides the transport's, e.g. for a long poll. */
  timeoutMs?: number;
  persistent?: boolean;
  signal?: AbortSignal;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
// Errors of a connection that was never made: the request did not reach the platform, so any method is safe to send.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * Timeouts; retries with exponential backoff and jitter on network errors, 5xx and 429, honouring Retry-After; only
 * for calls safe to repeat (idempotent methods, or an Idempotency-Key sent; a connection never made is always safe);
 * a User-Agent and an `X-Request-Id` per call; refusals as ApiError.
 */
export class Transport {
  readonly baseUrl: string;
  readonly #opts: TransportOptions;
  readonly #fetch: typeof globalThis.fetch;
  readonly #userAgent: string;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const runtime =
      typeof process !== 'undefined' && process.versions?.node ? `node/${process.versions.node}` : 'fetch';
    this.#userAgent = [opts.userAgent, `connected-cloud-sdk/${SDK_VERSION}`, runtime].filter(Boolean).join(' ');
  }

  /** The response of a call (status below 400, body unread); a refusal is thrown as ApiError. */
  async send(call: Call): Promise<Response> {
    const url = this.url(call.path, call.query);
    const requestId = `req_${randomId()}`;
    const headers = new Headers({
      accept: 'application/json',
      'user-agent': this.#userAgent,
      'x-request-id': requestId,
      ...call.headers,
    });
    if (call.json !== undefined || call.body !== undefined)
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    const replayable =
      call.json !== undefined ||
      call.body === undefined ||
      typeof call.body === 'function' ||
      typeof call.body === 'string' ||
      isBlob(call.body);
    const safe =
      replayable &&
      (call.idempotent === true || IDEMPOTENT.has(call.method.toUpperCase()) || headers.has('idempotency-key'));
    const persistent = call.persistent ?? this.#opts.persistent ?? false;
    const retries = persistent ? Infinity : (this.#opts.retries ?? 3);
    const signals = [call.signal, this.#opts.signal].filter((s): s is AbortSignal => s !== undefined);

    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const entry: RequestLog = { requestId, method: call.method, path: call.path, attempt, durationMs: 0 };
      const timeout = new AbortController();
      const timeoutMs = call.timeoutMs ?? this.#opts.timeoutMs ?? 30_000;
      const timer = setTimeout(() => timeout.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      let retryable: boolean;
      let waitMs: number | undefined;
      let failure: Error;
      try {
        const body =
          call.json !== undefined
            ? JSON.stringify(call.json)
            : typeof call.body === 'function'
              ? call.body()
              : call.body;
        const init: RequestInit & { duplex?: 'half' } = {
          method: call.method,
          headers,
          signal: AbortSignal.any([timeout.signal, ...signals]),
        };
        if (body !== undefined) init.body = body;
        if (body !== undefined && !(typeof body === 'string' || isBlob(body))) init.duplex = 'half'; // a stream
        const res = await this.#fetch(url, init);
        clearTimeout(timer);
        entry.status = res.status;
        entry.durationMs = Date.now() - started;
        if (res.status < 400) {
          this.#opts.log?.(entry);
          return res;
        }
        const error = new ApiError(res.status, await problemOf(res), res.headers, requestId);
        failure = error;
        retryable = safe && (res.status >= 500 || res.status === 429);
        waitMs = error.retryAfterMs;
      } catch (error) {
        clearTimeout(timer);
        entry.durationMs = Date.now() - started;
        if (signals.some((s) => s.aborted)) throw error; // stopped by the caller: no retry, no wrapping
        const timedOut = timeout.signal.aborted;
        const code = causeCode(error);
        failure = new ConnectionError(
          this.baseUrl,
          timedOut ? `timed out after ${timeoutMs} ms` : (code ?? (error as Error).message),
          timedOut,
          { cause: error },
        );
        retryable = safe || (code !== undefined && NOT_CONNECTED.has(code));
      }
      entry.error = failure.message;
      if (!retryable || attempt > retries) {
        this.#opts.log?.(entry);
        throw failure;
      }
      entry.retryInMs = this.#delay(attempt, waitMs);
      this.#opts.log?.(entry);
      await sleep(entry.retryInMs, signals);
    }
  }

  /** A call's JSON answer (undefined for an empty body). */
  async json<T>(call: Call): Promise<T> {
    const text = await (await this.send(call)).text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  #delay(attempt: number, retryAfterMs: number | undefined): number {
    const max = this.#opts.maxDelayMs ?? 30_000;
    if (retryAfterMs !== undefined) return Math.min(max, retryAfterMs);
    const step = (this.#opts.baseDelayMs ?? 250) * 2 ** Math.min(attempt - 1, 10);
    return Math.min(max, step / 2 + Math.random() * (step / 2));
  }
}

/**
 * Retry-After as milliseconds: either delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or
 * not understood. The one parser every client uses.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = /^[A-Za-z]{3}, /.test(text) ? Date.parse(text) : NaN; // an IMF-fixdate; never a bare number
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Problem;
  } catch {}
  return { status: res.status, detail: text.slice(0, 200) || res.statusText };
}

function causeCode(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

function isBlob(body: unknown): body is Blob {
  return typeof Blob !== 'undefined' && body instanceof Blob;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function sleep(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const signal = AbortSignal.any(signals);
    const reason = () =>
      signal.reason instanceof Error ? signal.reason : new Error('aborted', { cause: signal.reason });
    if (signal.aborted) return reject(reason());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(reason());
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

// --- calls derived from the contract's route table: the one place where a method and a path are written ---

/** The `{name}` parameters of a path template, e.g. `/api/files/{fileId}` → `{ fileId: string }`. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name]: string } & PathParams<Rest>
  : unknown;

/** The call of an operation of the route table: its method and path, with the path's parameters filled in. */
export function operation<O extends OperationId>(id: O, ...[params, extra]: OperationArgs<O>): Call {
  const route = routes[id] as RouteDefinition;
  const values = (params ?? {}) as Record<string, string>;
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]!));
  return { method: route.method, path, ...extra };
}
/* eslint-disable @typescript-eslint/no-empty-object-type -- "a path with no parameters" is spelt {} */
type OperationArgs<O extends OperationId> =
  {} extends PathParams<Routes[O]['path']>
    ? [params?: undefined, extra?: Omit<Call, 'method' | 'path'>]
    : [params: PathParams<Routes[O]['path']>, extra?: Omit<Call, 'method' | 'path'>];
/* eslint-enable @typescript-eslint/no-empty-object-type */
