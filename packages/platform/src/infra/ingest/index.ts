import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ValidateFunction } from 'ajv';
import type { BlobStore } from '../blobs/index.js';
import { ElementError, JsonArraySplitter } from './json-array.js';
import { RecordIndexWriter, indexKeyOf } from './record-index.js';
import { ProblemError, ajvErrorItem, invalidRequest, type ProblemItem } from '../http/problem.js';

export interface Ingested {
  records: number;
  size: number;
  sha256: string;
}

const MAX_LISTED_ERRORS = 100;

/**
 * Validates a streamed JSON array record by record, never holding more than one: each record against its schema.
 * Fed chunk by chunk; `verdict()` at the end is undefined for a valid array, else the problem: 400 for bytes that
 * are not JSON (or no body), 422 schema-invalid (up to 100 pointers and errorCount) for records that break the
 * schema, or for a body that is not an array; 422 record-too-large for a record past `maxRecordBytes` (`fatal`:
 * the caller stops reading), and 422 schema-invalid for a record that is not UTF-8 or holds a number too large for
 * a double. Once a problem is found the rest is only counted, not parsed.
 */
export class JsonArrayValidator {
  records = 0;
  bytes = 0;
  errorCount = 0;
  readonly errors: ProblemItem[] = [];
  #failure: ProblemError | undefined;
  #started = false;
  readonly #parser: JsonArraySplitter;

  constructor(
    validate: ValidateFunction,
    opts: {
      maxRecordBytes: number;
      onRecord?: ((value: unknown, raw: Buffer, offset: number, compact: boolean) => void) | undefined;
    },
  ) {
    const { onRecord } = opts;
    this.#parser = new JsonArraySplitter((value, i, raw, offset, compact) => {
      this.records++;
      if (!validate(value)) {
        for (const e of validate.errors ?? []) {
          this.errorCount++;
          if (this.errors.length < MAX_LISTED_ERRORS) this.errors.push(ajvErrorItem(e, `/${i}`));
        }
      }
      if (this.errorCount === 0) onRecord?.(value, raw, offset, compact);
    }, opts.maxRecordBytes);
  }

  /** Nothing more is worth reading: a record was too large. */
  get fatal(): boolean {
    return this.#failure?.code === 'record-too-large';
  }

  /** Still worth keeping the bytes: no problem found so far. */
  get ok(): boolean {
    return !this.#failure && this.errorCount === 0;
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.#failure) return;
    if (!this.#started) {
      const first = chunk.toString('latin1').match(/\S/)?.[0];
      if (first === undefined) return;
      this.#started = true;
      if (first !== '[') {
        this.#failure = schemaInvalid([{ pointer: '', message: 'must be an array of records' }], 1);
        return;
      }
    }
    try {
      this.#parser.write(chunk);
    } catch (error) {
      this.#failure =
        error instanceof ElementError
          ? elementProblem(error)
          : invalidRequest(`The body is not valid JSON: ${(error as Error).message}`);
    }
  }

  verdict(): ProblemError | undefined {
    if (this.#failure) return this.#failure;
    if (!this.#started) return invalidRequest('The body is empty: send a JSON array of records');
    try {
      this.#parser.end();
    } catch (error) {
      return invalidRequest(`The body is not valid JSON: ${(error as Error).message}`);
    }
    if (this.errorCount > 0) return schemaInvalid(this.errors, this.errorCount);
    return undefined;
  }
}

/**
 * The ingest pipeline that scope files and upload results share: the request body, a JSON array, is validated
 * as it streams in (JsonArrayValidator) and written to a blob, with the size, the record count and the SHA-256
 * computed on the way. The blob becomes visible only when the whole body is valid; otherwise nothing is left
 * behind and the problem is thrown, once the whole body has arrived (a client sends it all before it reads).
 * With `indexed`, the record index (record-index.ts) is written beside the blob and committed before it.
 */
export async function ingestJsonArray(opts: {
  body: Readable;
  validate: ValidateFunction;
  blobs: BlobStore;
  key: string;
  maxRecordBytes: number;
  /** Past this many bytes the body is refused (413 quota-exceeded) and what was written removed. */
  maxBytes?: number;
  indexed?: boolean;
  /** Sees each valid record, in order (only while the whole file is valid so far). */
  inspect?: (value: unknown, index: number) => void;
}): Promise<Ingested> {
  const maxBytes = opts.maxBytes ?? Infinity;
  refuseDeclaredLength(opts.body, maxBytes);
  const writer = await opts.blobs.create(opts.key);
  const index = opts.indexed ? new RecordIndexWriter(await opts.blobs.create(indexKeyOf(opts.key))) : undefined;
  const hash = createHash('sha256');
  const { inspect } = opts;
  let seen = 0;
  const onRecord =
    index || inspect
      ? (value: unknown, raw: Buffer, offset: number, compact: boolean) => {
          inspect?.(value, seen++);
          index?.add(value, raw, offset, compact);
        }
      : undefined;
  const validator = new JsonArrayValidator(opts.validate, { maxRecordBytes: opts.maxRecordBytes, onRecord });
  // One write in flight while the next chunk is validated: the disk and the parser work at the same time.
  let writing: Promise<unknown> = Promise.resolve();
  try {
    for await (const chunk of chunksOf(opts.body)) {
      validator.write(chunk);
      if (validator.bytes > maxBytes) throw quotaExceeded(maxBytes);
      if (validator.fatal) break; // answered now: the rest of a hostile body is not read (the connection closes)
      if (!validator.ok) continue; // once the file is refused, the bytes are of no use
      hash.update(chunk);
      await writing;
      writing = Promise.all([writer.write(chunk), index?.flush()]);
      writing.catch(() => {}); // awaited above or below; never left unhandled
    }
    await writing;
    const problem = validator.verdict();
    if (problem) throw problem;
    await index?.commit();
    await writer.commit();
    return { records: validator.records, size: validator.bytes, sha256: hash.digest('hex') };
  } catch (error) {
    await writing.catch(() => {});
    await writer.abort();
    await index?.abort();
    throw error;
  }
}

/** Stores a body as it comes, with its size and SHA-256, without looking inside; `commit` makes it visible. */
export async function storeStream(
  body: Readable,
  blobs: BlobStore,
  key: string,
  maxBytes = Infinity,
): Promise<{ size: number; sha256: Buffer; commit(): Promise<void>; abort(): Promise<void> }> {
  refuseDeclaredLength(body, maxBytes);
  const writer = await blobs.create(key);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of chunksOf(body)) {
      size += chunk.length;
      if (size > maxBytes) throw quotaExceeded(maxBytes);
      hash.update(chunk);
      await writer.write(chunk);
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return { size, sha256: hash.digest(), commit: () => writer.commit(), abort: () => writer.abort() };
}

/**
 * The chunks of a request body. Leaving the loop early (a refusal) leaves the request as it is: destroying it
 * would close the connection before the answer is sent; the answer's Connection: close ends it instead.
 */
export function chunksOf(body: Readable): AsyncIterable<Buffer> {
  if (typeof body.iterator !== 'function') return body as AsyncIterable<Buffer>;
  // Once the loop has left, nothing listens: a client that goes on sending into the closed connection must not
  // make its request's 'error' an uncaught exception (it would stop the process).
  body.on('error', () => {});
  return body.iterator({ destroyOnReturn: false });
}

/** 413 quota-exceeded before a byte is written, when the body says it is longer than there is room for. */
function refuseDeclaredLength(body: Readable, maxBytes: number): void {
  const declared = Number((body as Partial<IncomingMessage>).headers?.['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw quotaExceeded(maxBytes);
}

/** The body would take more room than the quota leaves; Connection: close, so that the rest is not read. */
export function quotaExceeded(room: number): ProblemError {
  return new ProblemError(
    413,
    'quota-exceeded',
    `The storage quota leaves room for ${Math.max(0, room)} more bytes: remove files, or ask the operator for more`,
    undefined,
    {
      connection: 'close',
    },
  );
}

function elementProblem(error: ElementError): ProblemError {
  if (error.kind !== 'too-large') return schemaInvalid([{ pointer: error.pointer, message: error.message }], 1);
  // Connection: close, so that the rest of the body is neither read nor waited for.
  return new ProblemError(
    422,
    'record-too-large',
    error.message,
    [{ pointer: error.pointer, message: 'is larger than MAX_RECORD_BYTES' }],
    { connection: 'close' },
  );
}

export function schemaInvalid(errors: ProblemItem[], errorCount: number): ProblemError {
  return new ProblemError(
    422,
    'schema-invalid',
    `${errorCount} error${errorCount === 1 ? '' : 's'} against the schema`,
    errors,
    {},
    errorCount,
  );
}
