import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Config } from '../../src/config.js';
import { filesystemBlobs, type BlobStore } from '../../src/infra/blobs/index.js';
import { s3Blobs } from '../../src/infra/blobs/s3.js';

export type BlobKind = 'filesystem' | 's3';

/** Where a suite's blobs go: a fresh DATA_DIR for the filesystem, a fresh bucket for S3 (once beforeAll has run). */
export interface TestBlobs {
  kind: BlobKind;
  dataDir: string;
  /** For S3: what the platform's config takes (S3_* of a bucket of this suite's own). */
  s3: NonNullable<Config['s3']> | undefined;
  /** The same as environment variables, for a platform started as a process. */
  env(): Record<string, string>;
}

const S3_VARS = ['ENDPOINT', 'BUCKET', 'REGION', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY'] as const;
export const TEST_S3 = S3_VARS.every((v) => process.env[`TEST_S3_${v}`])
  ? {
      endpoint: process.env.TEST_S3_ENDPOINT!,
      region: process.env.TEST_S3_REGION!,
      accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID!,
      secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY!,
    }
  : undefined;

export function testS3Client(): S3Client {
  return new S3Client({
    endpoint: TEST_S3!.endpoint,
    region: TEST_S3!.region,
    forcePathStyle: true,
    credentials: { accessKeyId: TEST_S3!.accessKeyId, secretAccessKey: TEST_S3!.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A bucket of its own for a suite (the sweep looks at a whole bucket), emptied and removed by drop(). */
export async function createBucket(): Promise<{ bucket: string; drop(): Promise<void> }> {
  const client = testS3Client();
  const bucket = `cc-test-${randomBytes(6).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    async drop() {
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
        if (!page.Contents?.length) break;
        await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: page.Contents.map((o) => ({ Key: o.Key! })) },
          }),
        );
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
      client.destroy();
    },
  };
}

/**
 * Runs the suite once per blob store, as describeEachStore does per store: on the filesystem, and on S3 when
 * TEST_S3_* name one (`.ci/radosgw.sh` starts radosgw and sets them); otherwise the S3 run is reported as skipped.
 */
export function describeEachBlobStore(name: string, suite: (blobs: TestBlobs) => void): void {
  for (const kind of ['filesystem', 's3'] as const) {
    const skip = kind === 's3' && !TEST_S3;
    describe.skipIf(skip)(`${name} [${kind}${skip ? ': TEST_S3_* unset' : ''}]`, () => {
      const blobs: TestBlobs = {
        kind,
        dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cc-blobs-')),
        s3: undefined,
        env(): Record<string, string> {
          const s3 = blobs.s3;
          return s3
            ? {
                S3_ENDPOINT: s3.endpoint,
                S3_BUCKET: s3.bucket,
                S3_REGION: s3.region,
                S3_ACCESS_KEY_ID: s3.accessKeyId,
                S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
              }
            : {};
        },
      };
      let drop: (() => Promise<void>) | undefined;
      if (kind === 's3') {
        beforeAll(async () => {
          const created = await createBucket();
          blobs.s3 = { ...TEST_S3!, bucket: created.bucket };
          drop = created.drop;
        });
      }
      afterAll(async () => {
        await drop?.();
        fs.rmSync(blobs.dataDir, { recursive: true, force: true });
      });
      suite(blobs);
    });
  }
}

/** The store a suite's blobs name, built as the platform builds it. */
export async function openBlobs(
  blobs: TestBlobs,
  opts: { staleMultipartMs?: number; redirectSeconds?: number } = {},
): Promise<BlobStore> {
  return blobs.s3 ? s3Blobs({ ...blobs.s3, ...opts }) : filesystemBlobs(blobs.dataDir);
}
