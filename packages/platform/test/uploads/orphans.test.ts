import fs from 'node:fs';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { describeEachBlobStore, testS3Client, type TestBlobs } from '../support/blobs.js';
import { registerApplication } from '../support/onboarding.js';
import { order, orderResult } from '../support/orders.js';
import { apiClient, freePort } from '../support/platform.js';
import { built, runPlatform, waitUp, type PlatformProcess } from '../support/process.js';
import { MailCatcher } from '../support/smtp.js';
import { createDatabase } from '../support/stores.js';

/** Every blob in the storage (S3 objects and unfinished multipart uploads; files, temporary ones too). */
async function storedKeys(t: TestBlobs): Promise<string[]> {
  if (t.s3) {
    const client = testS3Client();
    try {
      const objects = (await client.send(new ListObjectsV2Command({ Bucket: t.s3.bucket }))).Contents ?? [];
      const unfinished = (await client.send(new ListMultipartUploadsCommand({ Bucket: t.s3.bucket }))).Uploads ?? [];
      return [...objects.map((o) => o.Key!), ...unfinished.map((u) => `unfinished:${u.Key!}`)].sort();
    } finally {
      client.destroy();
    }
  }
  const root = path.join(t.dataDir, 'files');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * A process killed after it stored a blob and before it committed the record that refers to it (the cluster test
 * found a result file left so): what it left is removed as soon as a process starts again on the host (or when
 * its lease ends, on another), not only by the sweep at a start a minute later. PostgreSQL, so that the test can
 * hold the record's transaction up with a lock and kill the process exactly there.
 */
describe.skipIf(!built || !process.env.TEST_DATABASE_URL)('blobs whose record never came, after a SIGKILL', () => {
  describeEachBlobStore('killed between the blob and its record', (t) => {
    let mail: MailCatcher;
    let db: { url: string; drop(): Promise<void> };
    let proc: PlatformProcess | undefined;
    beforeAll(async () => {
      [mail, db] = await Promise.all([new MailCatcher().start(), createDatabase(process.env.TEST_DATABASE_URL!)]);
    });
    afterAll(async () => {
      proc?.child.kill('SIGKILL');
      await Promise.allSettled([mail?.stop(), db?.drop()]);
    });

    it('removes an upload and a result file whose records were never committed once the platform restarts', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = {
        PORT: String(port),
        DATA_DIR: t.dataDir, // the blobs' folder when they are files
        DATABASE_URL: db.url,
        SMTP_URL: mail.url,
        ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
        ...t.env(),
      };
      const platform = { url, api: apiClient(url) };
      proc = runPlatform(env);
      await waitUp(url, proc);
      const { instanceKey } = await provisionInstance(platform);
      const app = await registerApplication(url, mail, { notificationUrl: 'https://shop.example.com/events' });
      const { apikey } = await integrate(platform, app, instanceKey);

      // An upload taken as far as its result: valid, claimed by the instance.
      const created = await platform.api(
        'POST',
        '/api/uploads?type=orders',
        JSON.stringify([order(1)]),
        withKey(apikey),
      );
      expect(created.status).toBe(202);
      const id = created.body.fileId as string;
      await expect
        .poll(
          async () => (await platform.api('GET', '/api/connector/inbox', undefined, asInstance(instanceKey))).body,
          {
            timeout: 30_000,
          },
        )
        .toEqual([expect.objectContaining({ fileId: id })]);
      expect(
        (await platform.api('POST', `/api/connector/uploads/${id}/claim`, undefined, asInstance(instanceKey))).status,
      ).toBe(200);
      const before = await storedKeys(t);
      expect(before).toEqual([`uploads/${before[0]!.split('/')[1]}/${id}.json`]);

      // The records' transactions wait for a lock the test holds; the blobs are stored meanwhile; then the kill.
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table uploads in exclusive mode'); // reads go on, writes wait
        const pending = [
          platform.api('POST', '/api/uploads?type=orders', JSON.stringify([order(2)]), withKey(apikey)),
          platform.api(
            'PUT',
            `/api/connector/uploads/${id}/result?status=accepted`,
            JSON.stringify([orderResult('o1', true)]),
            asInstance(instanceKey),
          ),
        ].map((p) => p.catch(() => undefined));
        const committed = async () => (await storedKeys(t)).filter((k) => !k.startsWith('.tmp/')).length;
        await expect.poll(committed, { timeout: 30_000 }).toBe(3);
        proc.child.kill('SIGKILL');
        await proc.exited;
        await Promise.all(pending);
      } finally {
        await locker.query('rollback').catch(() => {});
        await locker.end();
      }
      const orphans = (await storedKeys(t)).filter((k) => !before.includes(k));
      expect(orphans).toHaveLength(2);
      expect(orphans).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`/${id}\\.result-\\w+\\.json$`)),
          expect.stringMatching(/\/upl_\w+\.json$/),
        ]),
      );

      // Restarted: gone within moments, though younger than the sweep's minute; the upload still waits for its result.
      proc = runPlatform(env);
      await waitUp(url, proc);
      await expect.poll(() => storedKeys(t), { timeout: 15_000 }).toEqual(before);
      expect((await platform.api('GET', '/api/uploads', undefined, withKey(apikey))).body).toEqual([
        expect.objectContaining({ fileId: id, status: 'downloaded' }),
      ]);
    });
  });
});
