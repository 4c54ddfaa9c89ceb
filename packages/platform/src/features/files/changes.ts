import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { BlobMissing, type BlobStore } from '../../infra/blobs/index.js';
import { blobLines, buildRecordIndex, indexKeyOf, textLines } from '../../infra/ingest/record-index.js';

// Small enough that a bucket's ids are compared and gone before V8 would move them to its old generation (which
// only a full collection clears); no more than MAX_BUCKETS files open at once.
const RECORDS_PER_BUCKET = 5_000;
const MAX_BUCKETS = 256;
const FLUSH_CHARS = 1 << 20;
const BUCKET_BUFFER = 16 * 1024;

interface Version {
  key: string;
  records: number;
}

/**
 * The changes from an older full snapshot to a newer one, matched by `id`, as NDJSON lines, with memory that does
 * not grow with the files. Only the record indexes written at ingest are compared: both are split by a hash of
 * the id into buckets on disk and each bucket pair is compared alone (RECORDS_PER_BUCKET ids in memory, more only
 * beyond MAX_BUCKETS × RECORDS_PER_BUCKET records);
 * the added and updated records are marked in a bitmap (two bits a record) and then copied, as sent, from one
 * sequential read of the newer file. Removed records come first, then the others in file order.
 */
export async function* changesBetween(
  blobs: BlobStore,
  older: Version,
  newer: Version,
  tmpRoot = os.tmpdir(),
): AsyncGenerator<string> {
  for (const v of [older, newer]) if (!(await exists(blobs, indexKeyOf(v.key)))) await buildRecordIndex(blobs, v.key);
  const buckets = Math.min(
    MAX_BUCKETS,
    Math.max(1, Math.ceil(Math.max(older.records, newer.records) / RECORDS_PER_BUCKET)),
  );
  const dir = await fs.promises.mkdtemp(path.join(tmpRoot, 'cc-changes-'));
  try {
    // Lines `<id>\t<digest>` for the older file, `<id>\t<digest>\t<record number>` for the newer.
    await partition(blobLines(blobs, indexKeyOf(older.key)), buckets, path.join(dir, 'old'), (l) =>
      l.slice(0, l.indexOf('\t', l.indexOf('\t') + 1)),
    );
    let n = 0;
    await partition(
      blobLines(blobs, indexKeyOf(newer.key)),
      buckets,
      path.join(dir, 'new'),
      (l) => `${l.slice(0, l.indexOf('\t', l.indexOf('\t') + 1))}\t${n++}`,
    );

    const added = new Uint8Array(Math.ceil(newer.records / 8));
    const updated = new Uint8Array(added.length);
    for (let b = 0; b < buckets; b++) {
      const before = new Map<string, string>();
      for await (const lines of fileLines(path.join(dir, `old.${b}`))) {
        for (const line of lines) {
          const tab = line.indexOf('\t');
          before.set(line.slice(0, tab), line.slice(tab + 1));
        }
      }
      for await (const lines of fileLines(path.join(dir, `new.${b}`))) {
        for (const line of lines) {
          const [id, digest, number] = line.split('\t') as [string, string, string];
          const was = before.get(id);
          before.delete(id);
          if (was === digest) continue;
          const i = Number(number);
          (was === undefined ? added : updated)[i >> 3]! |= 1 << (i & 7);
        }
      }
      let out = '';
      for (const id of before.keys()) out += `{"op":"removed","id":${id}}\n`;
      if (out) yield out;
    }

    yield* copyMarked(blobs, newer.key, added, updated);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** The marked records of a file, read from it in one pass (its index gives where each one is). */
async function* copyMarked(
  blobs: BlobStore,
  key: string,
  added: Uint8Array,
  updated: Uint8Array,
): AsyncGenerator<string> {
  const stream = await blobs.open(key);
  const content = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = 0;
  let i = -1;
  let out = '';
  try {
    for await (const batch of blobLines(blobs, indexKeyOf(key))) {
      for (const line of batch) {
        i++;
        const bit = 1 << (i & 7);
        const op = added[i >> 3]! & bit ? 'added' : updated[i >> 3]! & bit ? 'updated' : undefined;
        if (!op) continue;
        const [id, , offset, length] = line.split('\t') as [string, string, string, string];
        const parts: Buffer[] = [];
        let from = Number(offset);
        const to = from + Number(length);
        while (from < to) {
          if (from >= chunkStart + chunk.length) {
            chunkStart += chunk.length;
            const next = await content.next();
            if (next.done) throw new Error(`${key} ends before its index says`);
            chunk = next.value;
            continue;
          }
          const end = Math.min(to - chunkStart, chunk.length);
          parts.push(chunk.subarray(from - chunkStart, end));
          from = chunkStart + end;
        }
        const raw = Buffer.concat(parts).toString('utf8').trim();
        // One line of NDJSON per record: the text as sent when it is on one line already.
        const record = /[\n\r]/.test(raw) ? JSON.stringify(JSON.parse(raw)) : raw;
        out += `{"op":"${op}","id":${id},"record":${record}}\n`;
        if (out.length > FLUSH_CHARS) {
          yield out;
          out = '';
        }
      }
    }
    if (out) yield out;
  } finally {
    // The iterator's return() ends the stream only once next() was called: with no record marked, it never was, and
    // the file stayed open until a garbage collection closed it (with a warning). Waited for: closed on return.
    if (!stream.closed) await new Promise((resolve) => stream.destroy().once('close', resolve));
  }
}

/**
 * Appends `shape(line)` of every line to the bucket file of its id (the text before the first tab), through a
 * buffer per bucket: strings kept until a write would live long enough to be moved to V8's old generation.
 */
async function partition(
  batches: AsyncIterable<string[]>,
  buckets: number,
  prefix: string,
  shape: (line: string) => string,
): Promise<void> {
  const files = await Promise.all(
    Array.from({ length: buckets }, (_, b) => fs.promises.open(`${prefix}.${b}`, 'w', 0o600)),
  );
  const pending = Array.from({ length: buckets }, () => Buffer.allocUnsafe(BUCKET_BUFFER));
  const used = new Array<number>(buckets).fill(0);
  const flush = async (b: number) => {
    if (used[b]) await files[b]!.write(pending[b]!, 0, used[b]);
    used[b] = 0;
  };
  try {
    for await (const lines of batches) {
      for (const line of lines) {
        const b = crc32(line.slice(0, line.indexOf('\t'))) % buckets;
        const text = `${shape(line)}\n`;
        if (used[b]! + 3 * text.length > BUCKET_BUFFER) await flush(b); // room for the text's UTF-8, at worst
        used[b]! += pending[b]!.write(text, used[b]!);
      }
    }
    for (let b = 0; b < buckets; b++) await flush(b);
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

function fileLines(file: string): AsyncGenerator<string[]> {
  return textLines(fs.createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>);
}

async function exists(blobs: BlobStore, key: string): Promise<boolean> {
  try {
    await blobs.size(key);
    return true;
  } catch (error) {
    if (error instanceof BlobMissing) return false;
    throw error;
  }
}
