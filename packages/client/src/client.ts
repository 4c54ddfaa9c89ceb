import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ApiKeyIssued,
  ApiKeyRotated,
  Application,
  ApplicationCreated,
  ApplicationInput,
  Change,
  DeveloperRegistration,
  EventSummary,
  EventType,
  Integration,
  PasscodeCreated,
  RegistrationAccepted,
  ScopeFile,
  SolutionSummary,
  UploadCreated,
  UploadStatus,
  UploadTracking,
  ValidationReport,
} from '@connected-cloud/contract';
import { FinalUploadStatuses } from '@connected-cloud/contract';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { ApiError, json, send, type Call, type Response } from './http.js';
import { MemoryKeyStore, type KeyStore } from './keys.js';

export interface ClientOptions {
  /** The platform, e.g. https://cloud.example.com */
  baseUrl: string;
  /** The integration's API key; or, instead, where it is kept (a rotated key is written back there). */
  apikey?: string;
  keyStore?: KeyStore;
  /** The secret the passcode was asked with: what rotating the key needs. */
  secret?: string;
}

export interface UploadProgress {
  /** Bytes sent so far, and in all when known (a file). */
  sent: number;
  total: number | undefined;
}

const FINAL: readonly UploadStatus[] = FinalUploadStatuses;

/**
 * The application's side of Connected Cloud (contract §2–§7), typed from the contract's own schemas. A call that
 * meets 401 api-key-expired rotates the key once (`PATCH /api/apikey`; calls at the same time share the one
 * rotation), stores the new key and is sent again.
 */
export class ConnectedCloud {
  readonly baseUrl: string;
  readonly keys: KeyStore;
  #secret: string | undefined;
  #rotation: Promise<string> | undefined;
  #lastRotation: { from: string; to: string } | undefined;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.keys = opts.keyStore ?? new MemoryKeyStore(opts.apikey);
    this.#secret = opts.secret;
  }

  // --- onboarding (no key) ---

  /** Starts a registration: open `registrationUrl` in a browser to finish it (a captcha), then the e-mail follows. */
  register(input: DeveloperRegistration): Promise<RegistrationAccepted> {
    return this.#json({ method: 'POST', path: '/api/developers', json: input });
  }
  application(developerId: string, applicationId: string): Promise<Application> {
    return this.#json({ method: 'GET', path: `/api/developers/${enc(developerId)}/applications/${enc(applicationId)}` });
  }
  createApplication(developerId: string, input: ApplicationInput): Promise<ApplicationCreated> {
    return this.#json({ method: 'POST', path: `/api/developers/${enc(developerId)}/applications`, json: input });
  }
  /** A passcode to show the user; `secret` is this integration's secret, needed later to rotate its key. */
  createPasscode(developerId: string, applicationId: string, secret: string): Promise<PasscodeCreated> {
    return this.#json({ method: 'POST', path: `${appPath(developerId, applicationId)}/passcodes`, json: { secret } });
  }
  /** The polling fallback: undefined while the user has not consented; the key once granted (also kept). */
  async pollApiKey(developerId: string, applicationId: string, passcodeId: string, secret: string): Promise<ApiKeyIssued | undefined> {
    const res = await send(this.baseUrl, { method: 'POST', path: `${appPath(developerId, applicationId)}/passcodes/${enc(passcodeId)}/apikey`, json: { secret } });
    const body = await json<ApiKeyIssued | { status: 'pending' }>(res);
    if (res.statusCode === 202 || !('apikey' in body)) return undefined;
    await this.keys.set(body.apikey);
    this.#secret = secret;
    return body;
  }
  async sendTestEvent(developerId: string, applicationId: string): Promise<{ eventId: string }> {
    return this.#json({ method: 'POST', path: `${appPath(developerId, applicationId)}/events/test` });
  }
  solutions(): Promise<SolutionSummary[]> {
    return this.#json({ method: 'GET', path: '/api/solutions' });
  }
  solution(domain: string): Promise<SolutionSummary> {
    return this.#json({ method: 'GET', path: `/api/solutions/${enc(domain)}` });
  }

  // --- the integration (API key) ---

  integration(): Promise<Integration> {
    return this.#authed({ method: 'GET', path: '/api/integration' }).then(json<Integration>);
  }

  /** Rotates the key now (it is also rotated by itself when it has expired). */
  rotateKey(): Promise<string> {
    this.#rotation ??= (async () => {
      const initialApikey = await this.keys.get();
      if (!initialApikey || !this.#secret) throw new Error('rotating the API key needs the key and the secret the passcode was asked with');
      const rotated = await json<ApiKeyRotated>(await send(this.baseUrl, { method: 'PATCH', path: '/api/apikey', json: { initialApikey, secret: this.#secret } }));
      await this.keys.set(rotated.apikey);
      this.#lastRotation = { from: initialApikey, to: rotated.apikey };
      return rotated.apikey;
    })().finally(() => (this.#rotation = undefined));
    return this.#rotation;
  }

  readonly files = {
    list: (): Promise<ScopeFile[]> => this.#authed({ method: 'GET', path: '/api/files' }).then(json<ScopeFile[]>),
    get: (fileId: string): Promise<ScopeFile> => this.#authed({ method: 'GET', path: `/api/files/${enc(fileId)}` }).then(json<ScopeFile>),
    /** A file's content (or the current file of a scope), streamed. */
    download: async (ref: string | { scope: string }): Promise<Readable> => {
      const path = typeof ref === 'string' ? `/api/files/${enc(ref)}/content` : `/api/scopes/${enc(ref.scope)}/content`;
      return (await this.#authed({ method: 'GET', path, headers: { 'accept-encoding': 'identity' } })).body;
    },
    /** The records of a file (or of a scope's current file), one at a time, never all in memory. */
    records: (ref: string | { scope: string }): AsyncIterable<Record<string, unknown>> => {
      const download = this.files.download(ref);
      return (async function* () {
        yield* parseJsonArray(await download);
      })();
    },
    /** What changed since an older version, one change at a time. */
    changes: async (fileId: string, since: string): Promise<AsyncIterable<Change>> => {
      const res = await this.#authed({ method: 'GET', path: `/api/files/${enc(fileId)}/changes`, query: { since } });
      return ndjson<Change>(res.body);
    },
  };

  readonly uploads = {
    /**
     * Sends a file (a path, a stream or a string holding a JSON array) as an upload of `type`, streamed, with
     * progress as it goes. `validateOnly` answers with the validation report and stores nothing.
     */
    create: async (
      type: string,
      source: string | Readable | { path: string },
      opts: { idempotencyKey?: string; contentDigest?: string; onProgress?: (p: UploadProgress) => void } = {},
    ): Promise<UploadCreated> => {
      const res = await this.#authed(() => ({ method: 'POST', path: '/api/uploads', query: { type }, ...this.#uploadBody(source, opts), headers: uploadHeaders(opts) }));
      return json<UploadCreated>(res);
    },
    validate: async (type: string, source: string | Readable | { path: string }): Promise<ValidationReport> => {
      const res = await this.#authed(() => ({ method: 'POST', path: '/api/uploads', query: { type, validateOnly: true }, ...this.#uploadBody(source, {}) }));
      return json<ValidationReport>(res);
    },
    list: (query: { status?: UploadStatus; limit?: number } = {}): Promise<UploadTracking[]> =>
      this.#authed({ method: 'GET', path: '/api/uploads', query }).then(json<UploadTracking[]>),
    tracking: (fileId: string): Promise<UploadTracking> => this.#authed({ method: 'GET', path: `/api/uploads/${enc(fileId)}/tracking` }).then(json<UploadTracking>),
    /** Follows an upload until a final status, asking again as Retry-After says. */
    waitForCompletion: async (fileId: string, opts: { onUpdate?: (t: UploadTracking) => void; timeoutMs?: number } = {}): Promise<UploadTracking> => {
      const deadline = Date.now() + (opts.timeoutMs ?? Infinity);
      for (;;) {
        const res = await this.#authed({ method: 'GET', path: `/api/uploads/${enc(fileId)}/tracking` });
        const tracking = await json<UploadTracking>(res);
        opts.onUpdate?.(tracking);
        if (FINAL.includes(tracking.status)) return tracking;
        const wait = Number(res.headers['retry-after'] ?? 1) * 1000;
        if (Date.now() + wait > deadline) throw new Error(`upload ${fileId} is still ${tracking.status}`);
        await sleep(wait);
      }
    },
    /** The result file the instance uploaded, as records. */
    result: async <T = Record<string, unknown>>(fileId: string): Promise<T[]> => {
      const res = await this.#authed({ method: 'GET', path: `/api/uploads/${enc(fileId)}/result`, headers: { 'accept-encoding': 'identity' } });
      return json<T[]>(res);
    },
  };

  readonly events = {
    list: (query: { status?: 'pending' | 'delivered' | 'failed'; type?: EventType; limit?: number } = {}): Promise<EventSummary[]> =>
      this.#authed({ method: 'GET', path: '/api/events', query }).then(json<EventSummary[]>),
    get: (eventId: string) => this.#authed({ method: 'GET', path: `/api/events/${enc(eventId)}` }).then(json<EventSummary & { attemptLog: unknown[] }>),
    resend: (eventId: string): Promise<EventSummary> => this.#authed({ method: 'POST', path: `/api/events/${enc(eventId)}/resend` }).then(json<EventSummary>),
  };

  // --- plumbing ---

  #json<T>(call: Call): Promise<T> {
    return send(this.baseUrl, call).then(json<T>);
  }

  /**
   * A call with the API key; on 401 api-key-expired the key is rotated once and the call sent again (`make` builds
   * it afresh; an upload from a stream the caller gave cannot be sent twice: its error is thrown after the rotation).
   */
  async #authed(make: Call | (() => Call)): Promise<Response> {
    const build = typeof make === 'function' ? make : () => make;
    const key = await this.keys.get();
    if (!key) throw new Error('no API key yet: poll for it, or take it from the apikey.issued event');
    const attempt = (apikey: string) => {
      const call = build();
      return send(this.baseUrl, { ...call, headers: { ...call.headers, 'x-api-key': apikey } });
    };
    try {
      return await attempt(key);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'api-key-expired')) throw error;
      // A call that met the same expiry may have rotated already, or be rotating: its new key serves this one too.
      const successor = this.#lastRotation?.from === key ? this.#lastRotation.to : await (this.#rotation ?? this.rotateKey());
      return attempt(successor);
    }
  }

  #uploadBody(source: string | Readable | { path: string }, opts: { onProgress?: (p: UploadProgress) => void }): { body: Readable | string } {
    if (typeof source === 'string') {
      opts.onProgress?.({ sent: Buffer.byteLength(source), total: Buffer.byteLength(source) });
      return { body: source };
    }
    if (source instanceof Readable && source.readableDidRead) throw new Error('this upload’s stream was read already: give a path to have it sent again');
    const stream = 'path' in source && !(source instanceof Readable) ? fs.createReadStream(source.path, { highWaterMark: 1 << 20 }) : (source as Readable);
    const total = 'path' in source && !(source instanceof Readable) ? fs.statSync(source.path).size : undefined;
    if (!opts.onProgress) return { body: stream };
    let sent = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent += chunk.length;
        opts.onProgress!({ sent, total });
        done(null, chunk);
      },
    });
    stream.on('error', (e: Error) => counted.destroy(e));
    return { body: stream.pipe(counted) };
  }
}

const enc = encodeURIComponent;
const appPath = (developerId: string, applicationId: string) => `/api/developers/${enc(developerId)}/applications/${enc(applicationId)}`;

function uploadHeaders(opts: { idempotencyKey?: string; contentDigest?: string }): Record<string, string> {
  return { ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}), ...(opts.contentDigest ? { 'content-digest': opts.contentDigest } : {}) };
}

/** The lines of NDJSON, parsed. */
async function* ndjson<T>(body: AsyncIterable<Buffer>): AsyncGenerator<T> {
  let carry = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    const text = carry + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    carry = lines.pop()!;
    for (const line of lines) if (line.trim()) yield JSON.parse(line) as T;
  }
  if (carry.trim()) yield JSON.parse(carry) as T;
}

/** The elements of a streamed JSON array, one at a time (stream-json). */
async function* parseJsonArray(body: Readable): AsyncGenerator<Record<string, unknown>> {
  const items = streamArray.withParserAsStream();
  body.on('error', (error) => items.destroy(error));
  for await (const { value } of body.pipe(items) as AsyncIterable<{ value: Record<string, unknown> }>) yield value;
}

/** Applies changes to a local copy of a scope: each added or updated record is put, each removed one deleted. */
export async function applyChanges(changes: AsyncIterable<Change>, copy: { put(id: string, record: Record<string, unknown>): unknown; remove(id: string): unknown }): Promise<{ put: number; removed: number }> {
  let put = 0;
  let removed = 0;
  for await (const change of changes) {
    if (change.op === 'removed') {
      await copy.remove(change.id);
      removed++;
    } else {
      await copy.put(change.id, change.record as Record<string, unknown>);
      put++;
    }
  }
  return { put, removed };
}
