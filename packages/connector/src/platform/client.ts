import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ApiError, Transport, type RequestLog } from '@connected-cloud/client';
import type { Logger } from 'pino';

/** A refusal from the platform: its problem document (the SDK's ApiError: status, code, detail). */
export { ApiError as PlatformError };

export interface CallOptions {
  body?: unknown;
  /** A body to stream; a function, so that a retry sends it afresh. */
  stream?: () => Readable;
  /** Keep trying while the platform is unreachable or busy (background work); else a few tries (a person waits). */
  persistent?: boolean;
  /** The call sets a state, so repeating it is harmless (a progress report): it may be retried like a PUT. */
  idempotent?: boolean;
}

/**
 * The platform's instance routes, with the instance key, over the SDK's one transport: an unreachable platform, a
 * 5xx or a 429 is retried with backoff (honouring Retry-After) where a repeat is safe, for as long as the connector
 * runs when `persistent`; any other refusal is a PlatformError at once.
 */
export class PlatformClient {
  readonly #stop = new AbortController();
  readonly #transport: Transport;
  readonly #headers: Record<string, string>;

  constructor(baseUrl: string, instanceKey: string, log: Logger) {
    this.#headers = { 'x-instance-key': instanceKey, 'accept-encoding': 'identity' };
    this.#transport = new Transport({
      baseUrl,
      userAgent: 'connected-cloud-connector/0.1.0',
      timeoutMs: 60_000, // above the inbox's long poll (30 s)
      retries: 2,
      signal: this.#stop.signal,
      log: (e: RequestLog) => {
        if (e.retryInMs !== undefined) log.warn({ ...e, why: e.error }, 'platform not reachable; trying again');
        else log.debug(e, 'platform call');
      },
    });
  }

  /** Ends every wait and retry: the connector is stopping. */
  stop(): void {
    this.#stop.abort(new Error('the connector is stopping'));
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const text = await (await this.#send(method, path, opts)).text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A response body as a stream (the caller reads it to the end or destroys it). */
  async download(path: string, opts: CallOptions = {}): Promise<Readable> {
    const res = await this.#send('GET', path, opts);
    return res.body ? Readable.fromWeb(res.body as NodeReadableStream) : Readable.from([]);
  }

  #send(method: string, path: string, opts: CallOptions): Promise<Response> {
    const stream = opts.stream;
    return this.#transport.send({
      method,
      path,
      headers: this.#headers,
      ...(opts.body !== undefined ? { json: opts.body } : {}),
      ...(stream ? { body: () => Readable.toWeb(stream()) as ReadableStream<Uint8Array> } : {}),
      ...(opts.persistent !== undefined ? { persistent: opts.persistent } : {}),
      ...(opts.idempotent ? { idempotent: true } : {}),
    });
  }
}
