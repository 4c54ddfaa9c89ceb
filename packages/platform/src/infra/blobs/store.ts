import type { Readable } from 'node:stream';

/** A blob being written: invisible until commit(), gone after abort(). */
export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A blob that is not in this store: a record whose content was lost, or a process pointed at other storage. */
export class BlobMissing extends Error {
  readonly code = 'BLOB_MISSING';
  constructor(readonly key: string) {
    super(`blob ${key} is not in this platform's storage`);
  }
}

/**
 * Where files live. Callers name blobs by key and never see paths, so that the S3 driver stands in for the
 * filesystem one without changing them. Blobs are written once under a new key and never changed.
 */
export interface BlobStore {
  create(key: string): Promise<BlobWriter>;
  /** The bytes of a blob, or of the inclusive range start..end; rejects with BlobMissing at once when it is not there. */
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Rejects with BlobMissing when it is not there. */
  size(key: string): Promise<number>;
  /** The local file that holds a blob, for drivers that keep blobs on this machine's disk (served without copies). */
  localPath?(key: string): string;
  /** Present when downloads are to be redirected: a short-lived URL that serves the blob without the platform. */
  redirectUrl?(key: string, contentType: string): Promise<string>;
  delete(key: string): Promise<void>;
  /** Removes a blob and whatever a dead writer left of it (an unfinished multipart upload, a temporary file). */
  discard(key: string): Promise<void>;
  /**
   * Removes what a crash left: unfinished writes, and blobs no record refers to, asking `referenced` which of a
   * batch of keys are (one look-up per batch, not per blob). Returns how many were removed.
   */
  sweep(referenced: (keys: string[]) => Promise<Set<string>>): Promise<number>;
  ping(): Promise<void>;
  /** Lets go of connections. */
  close?(): void;
}

/** Blobs no record refers to are removed only when older than this: their record may be on its way. */
export const UNREFERENCED_GRACE_MS = 60_000;
