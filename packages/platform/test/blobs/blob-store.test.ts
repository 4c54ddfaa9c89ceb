import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlobMissing, type BlobStore } from '../../src/infra/blobs/index.js';
import { s3Blobs } from '../../src/infra/blobs/s3.js';
import { TEST_S3, describeEachBlobStore, openBlobs, testS3Client, type TestBlobs } from '../support/blobs.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const readAll = async (r: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

async function write(blobs: BlobStore, key: string, content: Buffer, chunk = 64 * 1024) {
  const writer = await blobs.create(key);
  // The caller's buffer is reused after each write, as the ingest pipeline does: the store must have copied it.
  const scratch = Buffer.alloc(chunk);
  for (let at = 0; at < content.length; at += chunk) {
    const n = content.copy(scratch, 0, at, Math.min(content.length, at + chunk));
    await writer.write(scratch.subarray(0, n));
    scratch.fill(0);
  }
  return writer;
}

/** What the storage holds besides the API: files on disk (temporary ones too), or S3 objects and multipart uploads. */
async function leftovers(t: TestBlobs): Promise<{ objects: string[]; unfinished: number }> {
  if (t.s3) {
    const client = testS3Client();
    const objects =
      (await client.send(new ListObjectsV2Command({ Bucket: t.s3.bucket }))).Contents?.map((o) => o.Key!) ?? [];
    const unfinished =
      (await client.send(new ListMultipartUploadsCommand({ Bucket: t.s3.bucket }))).Uploads?.length ?? 0;
    client.destroy();
    return { objects, unfinished };
  }
  const root = path.join(t.dataDir, 'files');
  const all = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const tmp = all.filter((e) => e.parentPath.startsWith(path.join(root, '.tmp')));
  const objects = all.filter((e) => !tmp.includes(e)).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
  return { objects, unfinished: tmp.length };
}

/** A writer in a process of its own, SIGKILLed once it has written 11 MiB of `key` (more than two S3 parts). */
async function killedWriter(t: TestBlobs, key: string): Promise<void> {
  const child = fork(new URL('./crash-writer.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, CRASH_WRITER: JSON.stringify({ dataDir: t.dataDir, s3: t.s3, key, bytes: 11 * MiB }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describeEachBlobStore('blob store', (t) => {
  let store: BlobStore;
  beforeAll(async () => {
    store = await openBlobs(t, { staleMultipartMs: 0 });
  });
  const blobs = () => store;

  it('writes a blob in pieces, invisible until committed, then reads it whole and by range', async () => {
    const content = randomBytes(7 * MiB + 123); // two parts on S3, the second short
    const writer = await write(blobs(), 'a/whole.json', content);
    await expect(blobs().open('a/whole.json')).rejects.toBeInstanceOf(BlobMissing);
    expect((await leftovers(t)).objects).not.toContain('a/whole.json');
    await writer.commit();

    expect(await blobs().size('a/whole.json')).toBe(content.length);
    expect(sha(await readAll(await blobs().open('a/whole.json')))).toBe(sha(content));
    const range = await readAll(await blobs().open('a/whole.json', { start: 5 * MiB - 10, end: 5 * MiB + 9 }));
    expect(range.equals(content.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
    const last = await readAll(
      await blobs().open('a/whole.json', { start: content.length - 1, end: content.length - 1 }),
    );
    expect(last.equals(content.subarray(-1))).toBe(true);
  });

  it('writes small and empty blobs', async () => {
    const small = Buffer.from('[{"id":"1"}]');
    await (await write(blobs(), 'a/small.json', small)).commit();
    expect((await readAll(await blobs().open('a/small.json'))).equals(small)).toBe(true);
    await (await blobs().create('a/empty.json')).commit();
    expect(await blobs().size('a/empty.json')).toBe(0);
  });

  it('leaves nothing of an aborted blob: no object, no unfinished upload', async () => {
    const before = await leftovers(t);
    const writer = await write(blobs(), 'a/aborted.json', randomBytes(11 * MiB)); // parts already sent on S3
    await writer.abort();
    await expect(blobs().open('a/aborted.json')).rejects.toBeInstanceOf(BlobMissing);
    const after = await leftovers(t);
    expect(after.objects).not.toContain('a/aborted.json');
    expect(after.unfinished).toBe(before.unfinished);
  });

  it('answers a missing blob at once with BlobMissing, for reads, ranges and sizes; deletes it without complaint', async () => {
    await expect(blobs().open('a/missing.json')).rejects.toBeInstanceOf(BlobMissing);
    await expect(blobs().open('a/missing.json', { start: 0, end: 9 })).rejects.toBeInstanceOf(BlobMissing);
    await expect(blobs().size('a/missing.json')).rejects.toBeInstanceOf(BlobMissing);
    await blobs().delete('a/missing.json');
  });

  it('deletes a blob', async () => {
    await (await write(blobs(), 'a/deleted.json', Buffer.from('[]'))).commit();
    await blobs().delete('a/deleted.json');
    await expect(blobs().size('a/deleted.json')).rejects.toBeInstanceOf(BlobMissing);
    expect((await leftovers(t)).objects).not.toContain('a/deleted.json');
  });

  it('refuses keys that would leave its root', async () => {
    await expect(blobs().create('../escape.json')).rejects.toThrow(/bad blob key/);
    await expect(blobs().open('a/../../escape.json')).rejects.toThrow(/bad blob key/);
  });

  it('sweeps what a killed writer left: its temporary file or its multipart upload', async () => {
    await killedWriter(t, 'a/crashed.json');
    expect((await leftovers(t)).unfinished).toBeGreaterThan(0);

    expect(await blobs().sweep(async (keys) => new Set(keys))).toBeGreaterThan(0);
    const after = await leftovers(t);
    expect(after.unfinished).toBe(0);
    expect(after.objects).not.toContain('a/crashed.json');
    // Referenced blobs stay.
    expect(await blobs().size('a/small.json')).toBeGreaterThan(0);
  });

  it('discards a blob with what a killed writer left of it, whatever its age', async () => {
    await killedWriter(t, 'b/crashed.json');
    expect((await leftovers(t)).unfinished).toBeGreaterThan(0);
    await (await write(blobs(), 'b/written.json', Buffer.from('[]'))).commit();
    await (await write(blobs(), 'b/kept.json', Buffer.from('[]'))).commit();

    await blobs().discard('b/crashed.json');
    await blobs().discard('b/written.json');
    await blobs().discard('b/never.json'); // nothing there: no complaint
    const after = await leftovers(t);
    expect(after.unfinished).toBe(0);
    expect(after.objects.filter((k) => k.startsWith('b/'))).toEqual(['b/kept.json']);
  });

  it('answers ping', async () => {
    await blobs().ping();
  });
});

describe.skipIf(!TEST_S3)(`S3 credentials and presigned URLs${TEST_S3 ? '' : ' [TEST_S3_* unset]'}`, () => {
  const bucket = process.env.TEST_S3_BUCKET!;

  it('is refused with a wrong secret (the server checks signatures)', async () => {
    const wrong = await s3Blobs({ ...TEST_S3!, bucket, secretAccessKey: 'wrong-secret-0123456789' });
    await expect(wrong.ping()).rejects.toThrow();
    await expect(wrong.open('anything.json')).rejects.not.toBeInstanceOf(BlobMissing);
    wrong.close?.();
  });

  it('serves a blob by a presigned URL, by range too, until the URL expires', async () => {
    const blobs = await s3Blobs({ ...TEST_S3!, bucket, redirectSeconds: 5 });
    const key = `presigned/${randomBytes(6).toString('hex')}.json`;
    const content = Buffer.from(JSON.stringify([{ id: 'p1', name: 'Product' }]));
    const writer = await blobs.create(key);
    await writer.write(content);
    await writer.commit();
    const url = await blobs.redirectUrl!(key, 'application/json');
    const res = await fetch(url);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
    const ranged = await fetch(url, { headers: { range: 'bytes=2-5' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe(content.subarray(2, 6).toString());
    // Expired: refused (the server checks expiry).
    await expect.poll(async () => (await fetch(url)).status, { timeout: 30_000, interval: 500 }).toBe(403);
    await blobs.delete(key);
    blobs.close?.();
  });
});
