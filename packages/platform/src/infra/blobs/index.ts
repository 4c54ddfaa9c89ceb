import { filesystemBlobs } from './filesystem.js';
import type { S3Options } from './s3.js';
import type { BlobStore } from './store.js';

export { filesystemBlobs } from './filesystem.js';
export type { S3Options } from './s3.js';
export { BlobMissing, UNREFERENCED_GRACE_MS, type BlobStore, type BlobWriter } from './store.js';

/** S3 when configured, else files under DATA_DIR. The AWS SDK is loaded only then: it takes seconds to load. */
export async function openBlobStore(opts: { s3: S3Options | undefined; dataDir: string }): Promise<BlobStore> {
  if (!opts.s3) return filesystemBlobs(opts.dataDir);
  const { s3Blobs } = await import('./s3.js');
  return s3Blobs(opts.s3);
}
