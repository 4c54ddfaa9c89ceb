import type {
  ApiKeyIssued,
  ApiKeyRotated,
  Application,
  ApplicationCreated,
  ApplicationInput,
  ApplicationPatch,
  WebhookSecretRotated,
  Change,
  DeveloperRegistration,
  EventSummary,
  EventType,
  Integration,
  PasscodeCreated,
  RegistrationAccepted,
  ScopeFile,
  ScopeRecord,
  SolutionSummary,
  UploadCreated,
  UploadRecord,
  UploadResultRecord,
  UploadStatus,
  UploadTracking,
  UploadType,
  ValidationReport,
} from '@connected-cloud/contract';
import { FinalUploadStatuses } from '@connected-cloud/contract';
import { jsonArray, jsonArrayStream, ndjson } from './json-stream.js';
import { MemoryKeyStore, MissingApiKeyError, type KeyStore } from './keys.js';
import { ApiError, Transport, operation, parseRetryAfter, type Call, type TransportOptions } from './transport.js';

export interface ClientOptions extends Omit<TransportOptions, 'baseUrl'> {
  /** The platform, e.g. https://cloud.example.com */
  baseUrl: string;
  /** The integration's API key; or, instead, where it is kept (a rotated key is written back there). */
  apikey?: string;
  keyStore?: KeyStore;
  /** The passcode secret: the one the passcode was asked with, which rotating the key needs (not the `whsec_` one). */
  secret?: string;
}

/** How far an upload's bytes have gone: `total` is known for a string or a Blob (a file), not for a stream. */
export interface UploadProgress {
  sent: number;
  total: number | undefined;
}

const FINAL: readonly UploadStatus[] = FinalUploadStatuses;

export interface UploadOptions {
  /** The same key and body give back the same upload; with it, a failed send is safely sent again. */
  idempotencyKey?: string;
  /** `sha-256=:<base64>:` of the body, checked by the platform. */
  contentDigest?: string;
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * What an upload can be made of: the records themselves (an array, or an iterable or async iterable of them,
 * streamed), or the bytes of a JSON array (a string, a Blob such as `fromFile('orders.json')`, or a stream).
 */
export type UploadSource<T extends string> =
  | readonly UploadRecord<T>[]
  | Iterable<UploadRecord<T>>
  | AsyncIterable<UploadRecord<T>>
  | string
  | Blob
  | ReadableStream<Uint8Array>;

/** An upload's tracking; `summary` arrives once the upload is final (contract §6). */
export type Tracking = UploadTracking & { summary?: { records: number; accepted: number; rejected: number } };

/**
 * The application's side of Connected Cloud (contract §2–§7), typed from the contract's own schemas. A call that
 * meets 401 api-key-expired rotates the key once (`PATCH /api/apikey`; calls at the same time share the one
 * rotation), stores the new key and is sent again. Uses the Fetch API only.
 */
export class ConnectedCloud {
  readonly baseUrl: string;
  readonly keys: KeyStore;
  readonly transport: Transport;
  #secret: string | undefined;
  #rotation: Promise<string> | undefined;
  #lastRotation: { from: string; to: string } | undefined;

  constructor(opts: ClientOptions) {
    const { apikey, keyStore, secret, ...transport } = opts;
    this.transport = new Transport(transport);
    this.baseUrl = this.transport.baseUrl;
    this.keys = keyStore ?? new MemoryKeyStore(apikey);
    this.#secret = secret;
  }

  // --- onboarding (no key) ---

  /** Starts a registration: open `registrationUrl` in a browser to finish it (a captcha), then the e-mail follows. */
  register(input: DeveloperRegistration): Promise<RegistrationAccepted> {
    return this.transport.json(operation('registerDeveloper', undefined, { json: input }));
  }
  application(developerId: string, applicationId: string): Promise<Application> {
    return this.transport.json(operation('getApplication', { developerId, applicationId }));
  }
  createApplication(developerId: string, input: ApplicationInput): Promise<ApplicationCreated> {
    return this.transport.json(operation('createApplication', { developerId }, { json: input }));
  }
  // --- the developer API (a developer token, ccd_…, made in the console) ---

  /** The developer's applications. */
  applications(developerId: string, developerToken: string): Promise<Application[]> {
    return this.transport.json(operation('listApplications', { developerId }, { headers: bearer(developerToken) }));
  }
  /** Changes name, description or notificationUrl. */
  updateApplication(
    developerId: string,
    applicationId: string,
    patch: ApplicationPatch,
    developerToken: string,
  ): Promise<Application> {
    return this.transport.json(
      operation('updateApplication', { developerId, applicationId }, { json: patch, headers: bearer(developerToken) }),
    );
  }
  /** A new webhook signing secret (shown once); the previous one signs beside it until previousSecretValidUntil. */
  rotateWebhookSecret(
    developerId: string,
    applicationId: string,
    developerToken: string,
  ): Promise<WebhookSecretRotated> {
    return this.transport.json(
      operation('rotateWebhookSecret', { developerId, applicationId }, { headers: bearer(developerToken) }),
    );
  }
  /** A passcode to show the user; `secret` is this integration's passcode secret, needed later to rotate its key. */
  createPasscode(developerId: string, applicationId: string, secret: string): Promise<PasscodeCreated> {
    return this.transport.json(operation('createPasscode', { developerId, applicationId }, { json: { secret } }));
  }
  /** The polling fallback: undefined while the user has not consented; the key once granted (also kept). */
  async pollApiKey(
    developerId: string,
    applicationId: string,
    passcodeId: string,
    secret: string,
  ): Promise<ApiKeyIssued | undefined> {
    const res = await this.transport.send(
      operation('pollApiKey', { developerId, applicationId, passcodeId }, { json: { secret } }),
    );
    const body = (await res.json()) as ApiKeyIssued | { status: 'pending' };
    if (res.status === 202 || !('apikey' in body)) return undefined;
    await this.keys.set(body.apikey);
    this.#secret = secret;
    return body;
  }
  sendTestEvent(developerId: string, applicationId: string): Promise<{ eventId: string }> {
    return this.transport.json(operation('sendTestEvent', { developerId, applicationId }));
  }
  solutions(): Promise<SolutionSummary[]> {
    return this.transport.json(operation('listSolutions'));
  }
  solution(domain: string): Promise<SolutionSummary> {
    return this.transport.json(operation('getSolution', { domain }));
  }

  // --- the integration (API key) ---

  integration(): Promise<Integration> {
    return this.#json(operation('getIntegration'));
  }

  /** Rotates the key now (it is also rotated by itself when it has expired). */
  rotateKey(): Promise<string> {
    this.#rotation ??= (async () => {
      const initialApikey = await this.keys.get();
      if (!initialApikey) throw new MissingApiKeyError(this.keys.where ?? 'the key store');
      if (!this.#secret)
        throw new Error(
          'rotating the API key needs the passcode secret (the `secret` option, or --secret / CCLOUD_SECRET)',
        );
      const rotated = await this.transport.json<ApiKeyRotated>(
        operation('rotateApiKey', undefined, { json: { initialApikey, secret: this.#secret } }),
      );
      await this.keys.set(rotated.apikey);
      this.#lastRotation = { from: initialApikey, to: rotated.apikey };
      return rotated.apikey;
    })().finally(() => (this.#rotation = undefined));
    return this.#rotation;
  }

  readonly files = {
    list: (): Promise<ScopeFile[]> => this.#json(operation('listFiles')),
    get: (fileId: string): Promise<ScopeFile> => this.#json(operation('getFile', { fileId })),
    /** A file's content (or the current file of a scope), streamed. */
    download: async (ref: string | { scope: string }): Promise<ReadableStream<Uint8Array>> => {
      const extra = { headers: { 'accept-encoding': 'identity' } };
      const call =
        typeof ref === 'string'
          ? operation('getFileContent', { fileId: ref }, extra)
          : operation('getScopeContent', { scope: ref.scope }, extra);
      return bodyOf(await this.#authed(call));
    },
    /**
     * The records of a scope's current file (or of one version of it, `{ fileId }`), one at a time, never all in
     * memory, typed by the scope: `records('products')` yields Product.
     */
    records: <S extends string>(scope: S, version: { fileId?: string } = {}): AsyncIterable<ScopeRecord<S>> => {
      const download = () => this.files.download(version.fileId ?? { scope });
      return (async function* () {
        yield* jsonArray<ScopeRecord<S>>(await download());
      })();
    },
    /** What changed since an older version, one change at a time. */
    changes: async (fileId: string, since: string): Promise<AsyncIterable<Change>> => {
      const res = await this.#authed(operation('getFileChanges', { fileId }, { query: { since } }));
      return ndjson<Change>(bodyOf(res));
    },
  };

  readonly uploads = {
    /**
     * Sends records of `type` (`Order[]` for `orders`, or an iterable or stream of them) as one upload, streamed,
     * with progress as the bytes go.
     */
    create: async <T extends UploadType | (string & {})>(
      type: T,
      source: UploadSource<T>,
      opts: UploadOptions = {},
    ): Promise<UploadCreated> => {
      const headers: Record<string, string> = {};
      if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
      if (opts.contentDigest) headers['content-digest'] = opts.contentDigest;
      return this.#json(
        operation('createUpload', undefined, { query: { type }, body: uploadBody(source, opts.onProgress), headers }),
      );
    },
    /** Validates records against the type's schema and reports; nothing is stored or sent. */
    validate: <T extends UploadType | (string & {})>(type: T, source: UploadSource<T>): Promise<ValidationReport> =>
      this.#json(
        operation('createUpload', undefined, {
          query: { type, validateOnly: true },
          body: uploadBody(source, undefined),
        }),
      ),
    list: (query: { status?: UploadStatus; limit?: number } = {}): Promise<Tracking[]> =>
      this.#json(operation('listUploads', undefined, { query })),
    tracking: (fileId: string): Promise<Tracking> => this.#json(operation('getTracking', { fileId })),
    /** Follows an upload until a final status (invalid, accepted, failed), asking again as Retry-After says. */
    waitForCompletion: async (
      fileId: string,
      opts: { onUpdate?: (t: Tracking) => void; timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<Tracking> => {
      const deadline = Date.now() + (opts.timeoutMs ?? Infinity);
      for (;;) {
        const res = await this.#authed(
          operation('getTracking', { fileId }, opts.signal ? { signal: opts.signal } : {}),
        );
        const tracking = (await res.json()) as Tracking;
        opts.onUpdate?.(tracking);
        if (FINAL.includes(tracking.status)) return tracking;
        const wait = parseRetryAfter(res.headers.get('retry-after')) ?? 1000;
        if (Date.now() + wait > deadline) throw new Error(`upload ${fileId} is still ${tracking.status}`);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
    /**
     * The records of the result file the instance sent back (what `downloadResultUrl` points at), one at a time:
     * `OrderResult` for an upload of orders (name the type to narrow it when there are several).
     */
    result: <T extends UploadType | (string & {}) = UploadType>(
      fileId: string,
      _type?: T,
    ): AsyncIterable<UploadResultRecord<T>> => {
      const download = () =>
        this.#authed(operation('getUploadResult', { fileId }, { headers: { 'accept-encoding': 'identity' } }));
      return (async function* () {
        yield* jsonArray<UploadResultRecord<T>>(bodyOf(await download()));
      })();
    },
  };

  readonly events = {
    list: (
      query: { status?: 'pending' | 'delivered' | 'failed'; type?: EventType; limit?: number } = {},
    ): Promise<EventSummary[]> => this.#json(operation('listEvents', undefined, { query })),
    /** One event with its delivery attempts (time, HTTP status, duration, error). */
    get: (eventId: string): Promise<EventDetail> => this.#json(operation('getEvent', { eventId })),
    resend: (eventId: string): Promise<EventSummary> => this.#json(operation('resendEvent', { eventId })),
  };

  // --- plumbing ---

  async #json<T>(call: Call): Promise<T> {
    const text = await (await this.#authed(call)).text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A call with the API key; on 401 api-key-expired the key is rotated once and the call sent again (a body made
   * by a function is made afresh; a stream the caller gave cannot be sent twice: the first error is thrown).
   */
  async #authed(call: Call): Promise<Response> {
    const key = await this.keys.get();
    if (!key) throw new MissingApiKeyError(this.keys.where ?? 'the key store');
    const attempt = (apikey: string) =>
      this.transport.send({ ...call, headers: { ...call.headers, 'x-api-key': apikey } });
    try {
      return await attempt(key);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'api-key-expired')) throw error;
      if (call.body instanceof ReadableStream) throw error;
      // A call that met the same expiry may have rotated already, or be rotating: its new key serves this one too.
      const successor =
        this.#lastRotation?.from === key ? this.#lastRotation.to : await (this.#rotation ?? this.rotateKey());
      return attempt(successor);
    }
  }
}

export interface EventAttempt {
  attempt: number;
  attemptedAt: string;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
}
export type EventDetail = EventSummary & { attemptLog: EventAttempt[] };

function bodyOf(res: Response): ReadableStream<Uint8Array> {
  return res.body ?? new Response('').body!;
}

/** The body of an upload: replayable (a function) unless it is a stream the caller gave. */
function uploadBody(source: UploadSource<string>, onProgress: ((p: UploadProgress) => void) | undefined): Call['body'] {
  if (typeof source === 'string') {
    const total = new TextEncoder().encode(source).length;
    return () => {
      onProgress?.({ sent: total, total });
      return source;
    };
  }
  if (source instanceof Blob) return onProgress ? () => counted(source.stream(), source.size, onProgress) : source;
  if (source instanceof ReadableStream) return onProgress ? counted(source, undefined, onProgress) : source;
  if (Array.isArray(source)) return uploadBody(JSON.stringify(source), onProgress);
  const stream = jsonArrayStream(source as Iterable<unknown> | AsyncIterable<unknown>);
  return onProgress ? counted(stream, undefined, onProgress) : stream;
}

function counted(
  stream: ReadableStream<Uint8Array>,
  total: number | undefined,
  onProgress: (p: UploadProgress) => void,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.length;
        onProgress({ sent, total });
        controller.enqueue(chunk);
      },
    }),
  );
}

/** Applies changes to a local copy of a scope: each added or updated record is put, each removed one deleted. */
export async function applyChanges(
  changes: AsyncIterable<Change>,
  copy: { put(id: string, record: Record<string, unknown>): unknown; remove(id: string): unknown },
): Promise<{ put: number; removed: number }> {
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

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
