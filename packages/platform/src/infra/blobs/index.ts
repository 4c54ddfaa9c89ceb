import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { processAlive } from '../os.js';

/** A blob being written: invisible until commit(), gone after abort(). */
export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Where files live. Callers name blobs by key and never see paths, so that an S3 driver can stand in for the
 * filesystem one without changing them.
 */
export interface BlobStore {
  create(key: string): Promise<BlobWriter>;
  /** The bytes of a blob, or of the inclusive range start..end. */
  read(key: string, range?: { start: number; end: number }): Readable;
  size(key: string): Promise<number>;
  /** The local file that holds a blob, for drivers that keep blobs on this machine's disk (served without copies). */
  localPath?(key: string): string;
  delete(key: string): Promise<void>;
  /**
   * Removes what a crash left: unfinished writes, and blobs no record refers to, asking `referenced` which of a
   * batch of keys are (one look-up per batch, not per blob). Returns how many were removed.
   */
  sweep(referenced: (keys: string[]) => Promise<Set<string>>): Promise<number>;
  ping(): Promise<void>;
}

const SWEEP_BATCH = 500;

/**
 * Blobs as files under DATA_DIR/files. A blob is written under .tmp/ with the writer's pid in its name, flushed
 * to disk and renamed into place only when complete, so that a crash never leaves a half file visible; the sweep
 * at start removes temporary files of processes that are gone.
 */
export function filesystemBlobs(dataDir: string): BlobStore {
  const root = path.join(dataDir, 'files');
  const tmp = path.join(root, '.tmp');
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const pathOf = (key: string) => {
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(key) || key.split('/').some((p) => p === '..' || p === '.')) throw new Error(`bad blob key ${key}`);
    return path.join(root, key);
  };

  return {
    async create(key) {
      const final = pathOf(key);
      const temp = path.join(tmp, `${process.pid}-${randomBytes(8).toString('hex')}`);
      const handle = await fs.promises.open(temp, 'wx', 0o600);
      let closed = false;
      const close = async () => {
        if (!closed) await handle.close();
        closed = true;
      };
      return {
        async write(chunk) {
          await handle.write(chunk);
        },
        async commit() {
          await handle.sync();
          await close();
          await fs.promises.mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
          await fs.promises.rename(temp, final);
        },
        async abort() {
          await close().catch(() => {});
          await fs.promises.rm(temp, { force: true });
        },
      };
    },
    read(key, range) {
      return fs.createReadStream(pathOf(key), range ? { start: range.start, end: range.end, highWaterMark: 256 * 1024 } : { highWaterMark: 256 * 1024 });
    },
    async size(key) {
      return (await fs.promises.stat(pathOf(key))).size;
    },
    localPath: pathOf,
    async delete(key) {
      await fs.promises.rm(pathOf(key), { force: true });
    },
    async sweep(referenced) {
      let removed = 0;
      let batch: string[] = [];
      const removeUnreferenced = async () => {
        const kept = batch.length > 0 ? await referenced(batch) : new Set<string>();
        for (const key of batch.filter((k) => !kept.has(k))) {
          await fs.promises.rm(pathOf(key), { force: true });
          removed++;
        }
        batch = [];
      };
      for (const name of await fs.promises.readdir(tmp)) {
        const pid = Number(name.split('-')[0]);
        if (pid !== process.pid && !processAlive(pid)) {
          await fs.promises.rm(path.join(tmp, name), { force: true });
          removed++;
        }
      }
      // A blob renamed into place whose record was never committed (a crash between the two).
      for (const entry of await fs.promises.readdir(root, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        if (full.startsWith(tmp + path.sep)) continue;
        const key = path.relative(root, full).split(path.sep).join('/');
        const age = Date.now() - (await fs.promises.stat(full)).mtimeMs;
        if (age > 60_000) batch.push(key);
        if (batch.length >= SWEEP_BATCH) await removeUnreferenced();
      }
      await removeUnreferenced();
      return removed;
    },
    async ping() {
      await fs.promises.access(root, fs.constants.W_OK);
    },
  };
}
