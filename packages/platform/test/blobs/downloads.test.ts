import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobMissing } from '../../src/infra/blobs/index.js';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { order } from '../support/orders.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { MailCatcher } from '../support/smtp.js';
import { describeEachBlobStore } from '../support/blobs.js';
import { createDatabase } from '../support/stores.js';

const now = '2026-11-28T10:00:00.000Z';
const products = (n: number, price = 9.5) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      id: `p${i}`,
      name: `Product ${i}`,
      netPrice: price,
      tax: 20,
      discountByUnit: true,
      timestamp: now,
    })),
  );
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const SQLITE = { kind: 'sqlite' as const, databaseUrl: undefined };

/** A platform, an instance and an application integrated with it: what a download needs. */
async function journey(platform: TestPlatform, mail: MailCatcher) {
  const instance = await provisionInstance(platform);
  const app = await registerApplication(platform.url, mail, { notificationUrl: 'https://shop.example.com/events' });
  const { apikey } = await integrate(platform, app, instance.instanceKey);
  const put = async (body: string) => {
    const res = await platform.api(
      'PUT',
      '/api/connector/solutions/ecommerce/scopes/products',
      body,
      asInstance(instance.instanceKey),
    );
    expect(res.status, res.text).toBe(201);
    return res.body as { fileId: string; size: number; sha256: string };
  };
  return { instanceKey: instance.instanceKey, apikey, put };
}

describeEachBlobStore('downloads and blob deletion', (blobs) => {
  let mail: MailCatcher;
  let platform: TestPlatform;
  let j: Awaited<ReturnType<typeof journey>>;
  beforeAll(async () => {
    mail = await new MailCatcher().start();
    platform = await startTestPlatform({
      store: SQLITE,
      dataDir: blobs.dataDir,
      env: { SMTP_URL: mail.url, SCOPE_FILE_VERSIONS: '2', ...blobs.env() },
    });
    j = await journey(platform, mail);
  });
  afterAll(async () => {
    await platform?.stop();
    await mail?.stop();
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(platform.url + path, { headers: { ...withKey(j.apikey), ...headers } });

  it('serves a stored file whole, by range, conditionally and gzipped', async () => {
    const body = products(2000);
    const v1 = await j.put(body);
    const url = `/api/files/${v1.fileId}/content`;
    const whole = await get(url, { 'accept-encoding': 'identity' });
    expect(whole.status).toBe(200);
    expect(sha(Buffer.from(await whole.arrayBuffer()))).toBe(v1.sha256);
    expect(whole.headers.get('etag')).toBe(`"${v1.sha256}"`);
    const part = await get(url, { range: 'bytes=100-199' });
    expect([part.status, part.headers.get('content-range'), await part.text()]).toEqual([
      206,
      `bytes 100-199/${v1.size}`,
      body.slice(100, 200),
    ]);
    expect((await get(url, { 'if-none-match': `"${v1.sha256}"` })).status).toBe(304);
    // If-Range of another version: the whole file; of this one: the range.
    expect((await get(url, { range: 'bytes=0-9', 'if-range': '"other"', 'accept-encoding': 'identity' })).status).toBe(
      200,
    );
    expect((await get(url, { range: 'bytes=0-9', 'if-range': `"${v1.sha256}"` })).status).toBe(206);
    const gz = await get(url, { 'accept-encoding': 'gzip' }); // fetch gunzips it
    expect(sha(Buffer.from(await gz.arrayBuffer()))).toBe(v1.sha256);
  });

  it('answers a file whose content is missing from storage at once, with a problem document', async () => {
    const v = await j.put(products(3));
    const row = await platform.platform.store.db
      .selectFrom('scope_files')
      .select('blob_key')
      .where('id', '=', v.fileId)
      .executeTakeFirstOrThrow();
    await platform.platform.blobs.delete(row.blob_key);
    const variants: Array<Record<string, string>> = [
      { 'accept-encoding': 'identity' },
      { 'accept-encoding': 'gzip' },
      { range: 'bytes=0-9' },
    ];
    for (const headers of variants) {
      const res = await get(`/api/files/${v.fileId}/content`, headers);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('not-ready');
    }
  });

  it('deletes the blobs of pruned versions through the job queue', async () => {
    const first = await j.put(products(5, 1));
    const key = (
      await platform.platform.store.db
        .selectFrom('scope_files')
        .select('blob_key')
        .where('id', '=', first.fileId)
        .executeTakeFirstOrThrow()
    ).blob_key;
    expect(await platform.platform.blobs.size(key)).toBe(first.size);
    await j.put(products(5, 2));
    await j.put(products(5, 3)); // two versions kept: the first goes
    await expect
      .poll(() =>
        platform.platform.blobs.size(key).then(
          () => 'there',
          (e: unknown) => (e instanceof BlobMissing ? 'gone' : String(e)),
        ),
      )
      .toBe('gone');
  });

  it.runIf(blobs.kind === 's3')('redirects downloads to presigned URLs when S3_REDIRECT_DOWNLOADS is set', async () => {
    const redirecting = await startTestPlatform({
      store: SQLITE,
      env: { SMTP_URL: mail.url, S3_REDIRECT_DOWNLOADS: 'true', ...blobs.env() },
    });
    try {
      const k = await journey(redirecting, mail);
      const body = products(100);
      const v = await k.put(body);
      const url = `${redirecting.url}/api/files/${v.fileId}/content`;
      const res = await fetch(url, { headers: withKey(k.apikey), redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toMatch(/X-Amz-Signature=/);
      expect(res.headers.get('etag')).toBe(`"${v.sha256}"`);
      const followed = await fetch(url, { headers: withKey(k.apikey) });
      expect(sha(Buffer.from(await followed.arrayBuffer()))).toBe(v.sha256);
      const ranged = await fetch(url, { headers: { ...withKey(k.apikey), range: 'bytes=1-4' } });
      expect([ranged.status, await ranged.text()]).toEqual([206, body.slice(1, 5)]);
      expect(
        (await fetch(url, { headers: { ...withKey(k.apikey), 'if-none-match': `"${v.sha256}"` }, redirect: 'manual' }))
          .status,
      ).toBe(304);
    } finally {
      await redirecting.stop();
    }
  });
});

// Two processes on one PostgreSQL with separate DATA_DIRs (a misconfiguration): what one stored, the other cannot
// find. It must say so at once, and a validation job it claims must end rather than retry for ever.
describe.skipIf(!process.env.TEST_DATABASE_URL)('a blob on another machine’s disk [filesystem, postgres]', () => {
  let mail: MailCatcher;
  let a: TestPlatform;
  let b: TestPlatform;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    mail = await new MailCatcher().start();
    const db = await createDatabase(process.env.TEST_DATABASE_URL!);
    drop = db.drop;
    const store = { kind: 'postgres' as const, databaseUrl: db.url };
    // One SECRETS_KEY, as every process of one platform must have; only the files are apart.
    const env = { SMTP_URL: mail.url, SECRETS_KEY: 'ab'.repeat(32) };
    a = await startTestPlatform({ store, env });
    b = await startTestPlatform({ store, env });
    await a.platform.queue.stop(); // only b runs jobs
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await drop?.();
    await mail?.stop();
  });

  it('answers a download at once with 503 and ends the upload invalid', async () => {
    const j = await journey(a, mail);
    const v = await j.put(products(3));
    const res = await fetch(`${b.url}/api/files/${v.fileId}/content`, {
      headers: { ...withKey(j.apikey), 'accept-encoding': 'identity' },
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(503);

    const created = await a.api('POST', '/api/uploads?type=orders', JSON.stringify([order(1)]), withKey(j.apikey));
    expect(created.status, created.text).toBe(202);
    const tracking = () => a.api('GET', `/api/uploads/${created.body.fileId}/tracking`, undefined, withKey(j.apikey));
    await expect.poll(async () => (await tracking()).body.status, { timeout: 20_000 }).toBe('invalid');
    expect(JSON.stringify((await tracking()).body)).toContain('missing');
    // The job ends (it is not retried): its row goes when the worker settles it, a moment after the upload moved.
    const jobs = () =>
      b.platform.store.db.selectFrom('jobs').select(['kind', 'status']).where('kind', '=', 'validate-upload').execute();
    await expect.poll(jobs).toEqual([]);
  });
});
