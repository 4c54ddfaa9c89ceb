import { hash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { BlobStore, BlobWriter } from '../blobs/index.js';
import { JsonArraySplitter } from './json-array.js';

// Small, so that the lines gathered are written before they live long enough to be promoted to the old generation.
const FLUSH_CHARS = 16 * 1024;

const INDEX_SUFFIX = '.index';
/** Where the record index of a blob lives. */
export const indexKeyOf = (key: string) => key + INDEX_SUFFIX;
/** The blob an index belongs to; a key that is not an index's is its own. */
export const indexedKeyOf = (key: string) => (key.endsWith(INDEX_SUFFIX) ? key.slice(0, -INDEX_SUFFIX.length) : key);

/**
 * The record index of a JSON array of records, written beside it: one line per record, in file order,
 * `<id as JSON string>\t<digest of the record's text>\t<offset>\t<length>`. What changed between two versions is
 * found from their indexes alone, and only the changed records are read back, by offset, from the newer file.
 * The digest is of the record's compact text: as sent when it is compact already (cheap, and the common case),
 * else as sent less the whitespace outside strings (a byte scan: JSON.stringify would recurse, and overflow the
 * stack on a record nested some thousands deep). Equal digests so mean equal records; a record written once with
 * escapes or number forms of its own and once not (`1.0`, `1`) counts as updated, which is harmless.
 */
export class RecordIndexWriter {
  #pending = '';

  constructor(private readonly writer: BlobWriter) {}

  add(record: unknown, raw: Buffer, offset: number, compact: boolean): void {
    const id = JSON.stringify(String((record as { id?: unknown } | null)?.id));
    const digest = hash('sha1', compact ? trimmed(raw) : compacted(raw), 'base64');
    this.#pending += `${id}\t${digest}\t${offset}\t${raw.length}\n`;
  }

  /** Writes what has gathered once there is enough of it (or all of it, when `all`). */
  async flush(all = false): Promise<void> {
    if (this.#pending.length === 0 || (!all && this.#pending.length < FLUSH_CHARS)) return;
    const text = this.#pending;
    this.#pending = '';
    await this.writer.write(Buffer.from(text));
  }

  async commit(): Promise<void> {
    await this.flush(true);
    await this.writer.commit();
  }

  abort(): Promise<void> {
    return this.writer.abort();
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The bytes without the JSON whitespace around them (the UTF-8 of `raw.toString().trim()`, without decoding). */
function trimmed(raw: Buffer): Buffer {
  let from = 0;
  let to = raw.length;
  while (from < to && isSpace(raw[from]!)) from++;
  while (to > from && isSpace(raw[to - 1]!)) to--;
  return from === 0 && to === raw.length ? raw : raw.subarray(from, to);
}

/** The bytes without the JSON whitespace outside strings. */
function compacted(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      out[n++] = c;
      if (c === 0x5c)
        out[n++] = raw[++i]!; // the escaped character, whatever it is
      else if (c === 0x22) inString = false;
    } else if (!isSpace(c)) {
      out[n++] = c;
      if (c === 0x22) inString = true;
    }
  }
  return out.subarray(0, n);
}

/** Writes the index of a blob that has none (one stored before indexes were kept). */
export async function buildRecordIndex(blobs: BlobStore, key: string): Promise<void> {
  const index = new RecordIndexWriter(await blobs.create(indexKeyOf(key)));
  try {
    const parser = new JsonArraySplitter((value, _i, raw, offset, compact) => index.add(value, raw, offset, compact));
    for await (const chunk of (await blobs.open(key)) as AsyncIterable<Buffer>) {
      parser.write(chunk);
      await index.flush();
    }
    parser.end();
    await index.commit();
  } catch (error) {
    await index.abort();
    throw error;
  }
}

/** The lines of a blob, a batch at a time (a batch per piece decoded: one await for many lines). */
export async function* blobLines(blobs: BlobStore, key: string): AsyncGenerator<string[]> {
  yield* textLines((await blobs.open(key)) as AsyncIterable<Buffer>);
}

// Text is decoded this much at a time: a longer string would be allocated in V8's old generation directly, and a
// stream of them calls for full collections that young strings never do.
const DECODE_BYTES = 16 * 1024;

export async function* textLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8'); // a character may be split between chunks
  let carry = '';
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += DECODE_BYTES) {
      const text = carry + decoder.write(chunk.subarray(at, at + DECODE_BYTES));
      const lines = text.split('\n');
      carry = lines.pop()!;
      if (lines.length > 0) yield lines;
    }
  }
  carry += decoder.end();
  if (carry) yield [carry];
}
