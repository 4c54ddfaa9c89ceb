import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { BlobStore } from '../../infra/blobs/index.js';
import { JsonArraySplitter } from '../../infra/ingest/json-array.js';

const RECORDS_PER_BUCKET = 50_000;
const FLUSH_BYTES = 1 << 20;


/**
 * The changes from an older full snapshot to a newer one, matched by `id`, with memory that does not grow with
 * the files: both are split by a hash of the id into buckets on disk, and each bucket pair is compared alone
 * (at most RECORDS_PER_BUCKET ids in memory). Yields NDJSON lines.
 */
export async function* changesBetween(blobs: BlobStore, older: { key: string; records: number }, newer: { key: string; records: number }, tmpRoot = os.tmpdir()): AsyncGenerator<string> {
  const buckets = Math.max(1, Math.ceil(Math.max(older.records, newer.records) / RECORDS_PER_BUCKET));
  const dir = await fs.promises.mkdtemp(path.join(tmpRoot, 'cc-changes-'));
  try {
    await partition(blobs, older.key, buckets, path.join(dir, 'old'), false);
    await partition(blobs, newer.key, buckets, path.join(dir, 'new'), true);
    for (let b = 0; b < buckets; b++) {
      const seen = new Map<string, string>();
      for await (const line of lines(path.join(dir, `old.${b}`))) {
        const [id, digest] = line.split('\t') as [string, string];
        seen.set(id, digest);
      }
      let out = '';
      for await (const line of lines(path.join(dir, `new.${b}`))) {
        const tab1 = line.indexOf('\t');
        const tab2 = line.indexOf('\t', tab1 + 1);
        const id = line.slice(0, tab1);
        const digest = line.slice(tab1 + 1, tab2);
        const before = seen.get(id);
        seen.delete(id);
        if (before === digest) continue;
        out += `{"op":"${before === undefined ? 'added' : 'updated'}","id":${id},"record":${line.slice(tab2 + 1)}}\n`;
        if (out.length > FLUSH_BYTES) {
          yield out;
          out = '';
        }
      }
      for (const id of seen.keys()) out += `{"op":"removed","id":${id}}\n`;
      if (out) yield out;
    }
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}


/** Writes one line per record, `<id as JSON>\t<digest>[\t<record>]`, into the bucket of its id. */
async function partition(blobs: BlobStore, key: string, buckets: number, prefix: string, withRecord: boolean): Promise<void> {
  const files = await Promise.all(Array.from({ length: buckets }, (_, b) => fs.promises.open(`${prefix}.${b}`, 'w')));
  const pending: string[] = Array.from({ length: buckets }, () => '');
  const flush = async (b: number) => {
    if (pending[b]) await files[b]!.write(pending[b]!);
    pending[b] = '';
  };
  try {
    const parser = new JsonArraySplitter((value, _index, raw) => {
      // One line of NDJSON per record: the text as sent when it is on one line already.
      const json = /[\n\r]/.test(raw) ? JSON.stringify(value) : raw.trim();
      const id = JSON.stringify(String((value as { id?: unknown }).id));
      const b = crc32(id) % buckets;
      const digest = createHash('sha1').update(json).digest('base64');
      pending[b] += withRecord ? `${id}\t${digest}\t${json}\n` : `${id}\t${digest}\n`;
    });
    for await (const chunk of blobs.read(key) as AsyncIterable<Buffer>) {
      parser.write(chunk);
      for (let b = 0; b < buckets; b++) if (pending[b]!.length > FLUSH_BYTES / buckets) await flush(b);
    }
    for (let b = 0; b < buckets; b++) await flush(b);
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

/** The lines of a file, read in large chunks. */
async function* lines(file: string): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20, encoding: 'utf8' }) as AsyncIterable<string>) {
    const text = carry + chunk;
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      yield text.slice(from, nl);
      from = nl + 1;
    }
    carry = text.slice(from);
  }
  if (carry) yield carry;
}
