import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type * as Sdk from '@aws-sdk/client-s3';
import { BlobMissing, UNREFERENCED_GRACE_MS, type BlobStore, type BlobWriter } from './store.js';

export interface S3Options {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Bytes per multipart part (S3's minimum, 5 MiB, unless a test asks for less on a lenient server). */
  partSize?: number;
  /** Downloads answer with a redirect to a presigned GET valid this many seconds (unset: served through Node). */
  redirectSeconds?: number;
  /** Multipart uploads started longer ago than this are a crashed writer's, and the sweep aborts them. */
  staleMultipartMs?: number;
}

/** Parts of one blob on their way at once: a writer holds at most (this + 1) parts in memory. */
const PARTS_IN_FLIGHT = 2;
const MiB = 1024 * 1024;

// The SDK warns at load that its releases after January 2027 need Node 22; the pinned one runs on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Blobs in an S3-compatible bucket (AWS S3, Ceph radosgw, MinIO…), through the AWS SDK v3. A blob is written as
 * a multipart upload of fixed-size parts, at most PARTS_IN_FLIGHT at a time, so memory stays bounded whatever
 * its size; it becomes visible only when the upload completes (a small one is one PUT at commit). abort() and a
 * failed commit abort the multipart upload and wait for it; a killed process's uploads are aborted by discard()
 * (the job that guards a write, infra/blobs/jobs.ts), and by the sweep at a start once they are stale (S3 has no
 * owner to ask, so age is the sweep's test).
 */
export async function s3Blobs(o: S3Options): Promise<BlobStore> {
  // Imported here, not at the top: the platform's bundle inlines this module, so a static import would load the
  // SDK (a tenth of a start) at every start, S3 or not.
  const sdk = await import('@aws-sdk/client-s3');
  const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
  const { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client } = sdk;
  const { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command } = sdk;
  const Bucket = o.bucket;
  const partSize = o.partSize ?? 5 * MiB;
  const staleMultipartMs = o.staleMultipartMs ?? 24 * 3_600_000;
  const agent = { keepAlive: true, maxSockets: 256 };
  const client = new S3Client({
    endpoint: o.endpoint,
    region: o.region,
    forcePathStyle: true, // bucket in the path: no DNS name per bucket, as radosgw and MinIO are usually run
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    // S3-compatible servers other than AWS reject or mishandle the newer default checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { httpAgent: new http.Agent(agent), httpsAgent: new https.Agent(agent), connectionTimeout: 5_000 },
  });
  const checked = (key: string) => {
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(key) || key.split('/').some((p) => p === '..' || p === '.'))
      throw new Error(`bad blob key ${key}`);
    return key;
  };

  return {
    async create(key) {
      return multipartWriter(sdk, client, Bucket, checked(key), partSize);
    },
    async open(key, range) {
      try {
        const res = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: checked(key),
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
        return res.Body as Readable;
      } catch (error) {
        throw notFound(error) ? new BlobMissing(key) : error;
      }
    },
    async size(key) {
      try {
        return (await client.send(new HeadObjectCommand({ Bucket, Key: checked(key) }))).ContentLength ?? 0;
      } catch (error) {
        throw notFound(error) ? new BlobMissing(key) : error;
      }
    },
    ...(o.redirectSeconds
      ? {
          redirectUrl: (key: string, contentType: string) =>
            getSignedUrl(
              client,
              new GetObjectCommand({ Bucket, Key: checked(key), ResponseContentType: contentType }),
              { expiresIn: o.redirectSeconds },
            ),
        }
      : {}),
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: checked(key) }));
    },
    async discard(key) {
      let marker: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (;;) {
        const page = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: checked(key), ...marker }));
        for (const u of page.Uploads ?? []) {
          if (u.Key !== key) continue; // another key that starts with this one
          await client
            .send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: u.UploadId }))
            .catch(ignoreNotFound);
        }
        if (!page.IsTruncated) break;
        marker = { KeyMarker: page.NextKeyMarker!, UploadIdMarker: page.NextUploadIdMarker! };
      }
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async sweep(referenced) {
      let removed = 0;
      const now = Date.now();
      let marker: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (;;) {
        const page = await client.send(new ListMultipartUploadsCommand({ Bucket, ...marker }));
        for (const u of page.Uploads ?? []) {
          if (u.Initiated && now - u.Initiated.getTime() > staleMultipartMs) {
            await client
              .send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }))
              .catch(ignoreNotFound);
            removed++;
          }
        }
        if (!page.IsTruncated) break;
        marker = { KeyMarker: page.NextKeyMarker!, UploadIdMarker: page.NextUploadIdMarker! };
      }
      // Objects whose record was never committed (a crash between the two), past the grace for records on their way.
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
        const old = (page.Contents ?? []).flatMap((o) =>
          o.Key && o.LastModified && now - o.LastModified.getTime() > UNREFERENCED_GRACE_MS ? [o.Key] : [],
        );
        const kept = old.length > 0 ? await referenced(old) : new Set<string>();
        for (const key of old.filter((k) => !kept.has(k))) {
          await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
          removed++;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return removed;
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }), { abortSignal: AbortSignal.timeout(5_000) });
    },
    close() {
      client.destroy();
    },
  };
}

/**
 * Bytes are copied into a part buffer as they come (the caller may reuse its chunk once write() resolves); a full
 * part is sent while the next fills, and write() waits while PARTS_IN_FLIGHT are on their way.
 */
function multipartWriter(
  sdk: typeof Sdk,
  client: Sdk.S3Client,
  Bucket: string,
  Key: string,
  partSize: number,
): BlobWriter {
  const { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand } = sdk;
  const { PutObjectCommand, UploadPartCommand } = sdk;
  // Grown as it fills, so that a small blob holds a small buffer.
  const fresh = () => Buffer.allocUnsafe(Math.min(partSize, 64 * 1024));
  let part = fresh();
  let filled = 0;
  let numbered = 0;
  let uploadId: string | undefined;
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let ended = false;

  const send = async () => {
    uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket, Key }))).UploadId!;
    const PartNumber = ++numbered;
    const Body = part.subarray(0, filled);
    part = fresh();
    filled = 0;
    const sent: Promise<void> = client
      .send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body }))
      .then((r) => void parts.push({ PartNumber, ETag: r.ETag! }))
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
    while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw asError(failure);
  };
  const abort = async () => {
    ended = true;
    await Promise.allSettled([...inFlight]);
    if (uploadId)
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(ignoreNotFound);
    uploadId = undefined;
  };

  return {
    async write(chunk) {
      if (ended) throw new Error('write after commit or abort');
      if (failure) throw asError(failure);
      for (let at = 0; at < chunk.length;) {
        if (filled === part.length && part.length < partSize) {
          const grown = Buffer.allocUnsafe(Math.min(partSize, part.length * 4));
          part.copy(grown, 0, 0, filled);
          part = grown;
        }
        const n = chunk.copy(part, filled, at);
        filled += n;
        at += n;
        if (filled === partSize) await send();
      }
    },
    async commit() {
      if (ended) throw new Error('commit after commit or abort');
      try {
        if (uploadId === undefined) {
          // Smaller than a part: one PUT, visible at once and whole.
          await client.send(new PutObjectCommand({ Bucket, Key, Body: part.subarray(0, filled) }));
          ended = true;
          return;
        }
        if (filled > 0) await send();
        await Promise.all([...inFlight]);
        if (failure) throw asError(failure);
        parts.sort((a, b) => a.PartNumber - b.PartNumber);
        await client.send(
          new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
        );
        ended = true;
      } catch (error) {
        await abort().catch(() => {});
        throw error;
      }
    },
    abort,
  };
}

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

const ignoreNotFound = (error: unknown) => {
  if (!notFound(error)) throw error;
};

/** What a failed part left in `failure`: the SDK's errors are Errors; anything else is wrapped, not lost. */
function asError(failure: unknown): Error {
  return failure instanceof Error ? failure : new Error('an S3 request failed', { cause: failure });
}
