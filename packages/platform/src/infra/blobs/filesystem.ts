import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../os.js';
import { BlobMissing, UNREFERENCED_GRACE_MS, type BlobStore } from './store.js';

/** Keys asked about at once when the sweep looks for blobs no record refers to. */
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
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(key) || key.split('/').some((p) => p === '..' || p === '.'))
      throw new Error(`bad blob key ${key}`);
    return path.join(root, key);
  };

  /** Temporary files of writers that are gone (a crash): how many were removed. */
  const removeDeadTemporaries = async () => {
    let removed = 0;
    for (const name of await fs.promises.readdir(tmp)) {
      const pid = Number(name.split('-')[0]);
      if (pid !== process.pid && !processAlive(pid)) {
        await fs.promises.rm(path.join(tmp, name), { force: true });
        removed++;
      }
    }
    return removed;
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
    async open(key, range) {
      // Opened here, so that a missing file is an answer now rather than an error event after the reply began.
      const handle = await fs.promises.open(pathOf(key), 'r').catch(missing(key));
      return handle.createReadStream({ ...range, highWaterMark: 256 * 1024 });
    },
    async size(key) {
      return (await fs.promises.stat(pathOf(key)).catch(missing(key))).size;
    },
    localPath: pathOf,
    async delete(key) {
      await fs.promises.rm(pathOf(key), { force: true });
    },
    async discard(key) {
      await fs.promises.rm(pathOf(key), { force: true });
      await removeDeadTemporaries(); // not named by key: the dead writers' (all of them, a cheap look)
    },
    async sweep(referenced) {
      let removed = await removeDeadTemporaries();
      let batch: string[] = [];
      const removeUnreferenced = async () => {
        const kept = batch.length > 0 ? await referenced(batch) : new Set<string>();
        for (const key of batch.filter((k) => !kept.has(k))) {
          await fs.promises.rm(pathOf(key), { force: true });
          removed++;
        }
        batch = [];
      };
      // A blob renamed into place whose record was never committed (a crash between the two).
      for (const entry of await fs.promises.readdir(root, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        if (full.startsWith(tmp + path.sep)) continue;
        const key = path.relative(root, full).split(path.sep).join('/');
        const age = Date.now() - (await fs.promises.stat(full)).mtimeMs;
        if (age > UNREFERENCED_GRACE_MS) batch.push(key);
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

const missing =
  (key: string) =>
  (error: NodeJS.ErrnoException): never => {
    throw error.code === 'ENOENT' ? new BlobMissing(key) : error;
  };
