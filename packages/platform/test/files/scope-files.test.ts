import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consentWith, newPasscode, pollApiKey, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver, verify } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

const SECRET = 'correct horse battery staple';
const now = '2026-11-28T10:00:00.000Z';
const product = (i: number, price = 9.5) => ({
  id: `p${i}`,
  name: `Product ${i}`,
  netPrice: price,
  tax: 20,
  discountByUnit: true,
  timestamp: now,
});
const record = (i: number) => JSON.stringify(product(i));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describeEachStore('scope files: upload, announce, download, changes', (store) => {
  const ctx = usePlatformWithMail(store, {
    env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', SCOPE_FILE_VERSIONS: '2' },
  });
  let receiver: Receiver;
  let app: RegisteredApplication;
  let instanceKey: string;
  let apikey: string;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    const instance = await provisionInstance(ctx.platform);
    instanceKey = instance.instanceKey;
    const pc = await newPasscode(ctx.platform, app, SECRET);
    await consentWith(ctx.platform, instanceKey, pc.passcode);
    apikey = (await pollApiKey(ctx.platform, app, pc.passcodeId, SECRET)).body.apikey;
    await receiver.waitFor((r) => r.delivered.length === 1);
  });
  afterAll(async () => receiver?.stop());

  const put = (scope: string, body: string, domain = 'ecommerce') =>
    fetch(`${ctx.platform.url}/api/connector/solutions/${domain}/scopes/${scope}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-instance-key': instanceKey },
      body,
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const get = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${ctx.platform.url}${p}`, { headers: { 'x-api-key': apikey, ...headers } });
  const blobFiles = () => {
    const root = path.join(ctx.platform.dataDir, 'files');
    const all = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    return {
      committed: all.filter((e) => !e.parentPath.includes('.tmp')).length,
      temporary: all.filter((e) => e.parentPath.includes('.tmp')).length,
    };
  };
  const fileRows = () => ctx.platform.platform.store.db.selectFrom('scope_files').select('id').execute();

  let v1: any;
  let v1Body: string;
  let v2: any;

  it('takes a file, announces it, and serves it byte for byte, with ETag, Range and gzip', async () => {
    v1Body = JSON.stringify([product(1), product(2), product(3)], null, 1);
    const created = await put('products', v1Body);
    expect(created.status).toBe(201);
    v1 = created.body;
    expect(v1).toEqual({
      fileId: expect.stringMatching(/^file_/),
      scope: 'products',
      records: 3,
      size: Buffer.byteLength(v1Body),
      sha256: sha(v1Body),
      createdAt: expect.any(String),
    });

    await receiver.waitFor((r) => r.delivered.length === 2);
    const event = verify(app.webhookSecret, receiver.delivered[1]!);
    expect(event).toMatchObject({
      type: 'file.available',
      data: {
        fileId: v1.fileId,
        scope: 'products',
        records: 3,
        size: v1.size,
        sha256: v1.sha256,
        previousFileId: null,
        url: `${ctx.platform.url}/api/files/${v1.fileId}/content`,
      },
    });

    expect(await (await get('/api/files')).json()).toEqual([{ ...v1, previousFileId: null }]);
    expect(await (await get(`/api/files/${v1.fileId}`)).json()).toEqual({ ...v1, previousFileId: null });

    const whole = await get(`/api/files/${v1.fileId}/content`, { 'accept-encoding': 'identity' }); // fetch asks for gzip by default
    expect(whole.status).toBe(200);
    expect(whole.headers.get('etag')).toBe(`"${v1.sha256}"`);
    expect(whole.headers.get('content-length')).toBe(String(v1.size));
    expect(sha(Buffer.from(await whole.arrayBuffer()))).toBe(v1.sha256);
    expect((await get(`/api/files/${v1.fileId}/content`, { 'if-none-match': `"${v1.sha256}"` })).status).toBe(304);

    const part = await get(`/api/files/${v1.fileId}/content`, { range: 'bytes=2-11' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 2-11/${v1.size}`);
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe(v1Body.slice(2, 12));
    const tail = await get(`/api/files/${v1.fileId}/content`, { range: 'bytes=-5' });
    expect(Buffer.from(await tail.arrayBuffer()).toString()).toBe(v1Body.slice(-5));
    const outside = await get(`/api/files/${v1.fileId}/content`, { range: `bytes=${v1.size}-` });
    expect(outside.status).toBe(416);

    const { request } = await import('undici');
    const gz = await request(`${ctx.platform.url}/api/files/${v1.fileId}/content`, {
      headers: { 'x-api-key': apikey, 'accept-encoding': 'gzip' },
    });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(sha(gunzipSync(Buffer.from(await gz.body.arrayBuffer())))).toBe(v1.sha256);
  });

  it('computes the changes between two versions', async () => {
    const body = JSON.stringify([product(1), product(2, 12.75), product(4)]);
    const created = await put('products', body);
    expect(created.status).toBe(201);
    v2 = created.body;
    await receiver.waitFor((r) => r.delivered.length === 3);
    expect(verify(app.webhookSecret, receiver.delivered[2]!).data).toMatchObject({
      fileId: v2.fileId,
      previousFileId: v1.fileId,
    });
    expect(await (await get('/api/files')).json()).toEqual([{ ...v2, previousFileId: v1.fileId }]);
    const current = await get('/api/scopes/products/content');
    expect(await current.text()).toBe(body);

    const changes = await get(`/api/files/${v2.fileId}/changes?since=${v1.fileId}`);
    expect(changes.status).toBe(200);
    expect(changes.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await changes.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { op: 'updated', id: 'p2', record: product(2, 12.75) },
      { op: 'removed', id: 'p3' },
      { op: 'added', id: 'p4', record: product(4) },
    ]);
    const none = await get(`/api/files/${v2.fileId}/changes?since=${v2.fileId}`);
    expect(await none.text()).toBe('');

    // Files whose record index is missing (stored before indexes were kept) get one, and the same answer.
    const indexes = fs
      .readdirSync(path.join(ctx.platform.dataDir, 'files'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.index'));
    expect(indexes).toHaveLength(2);
    for (const f of indexes) fs.rmSync(path.join(ctx.platform.dataDir, 'files', f));
    const rebuilt = await get(`/api/files/${v2.fileId}/changes?since=${v1.fileId}`);
    expect(
      (await rebuilt.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(lines);
  });

  const refused: Array<[string, string, number, string, string[]?, number?]> = [
    [
      'an invalid record at the start',
      JSON.stringify([{ ...product(0), netPrice: 'free' }, ...Array.from({ length: 998 }, (_, i) => product(i + 1))]),
      422,
      'schema-invalid',
      ['/0/netPrice'],
      1,
    ],
    [
      'invalid records in the middle',
      JSON.stringify(
        Array.from({ length: 999 }, (_, i) => (i === 500 ? { ...product(i), name: undefined, tax: -1 } : product(i))),
      ),
      422,
      'schema-invalid',
      ['/500/name', '/500/tax'],
      2,
    ],
    [
      'an invalid record at the end',
      JSON.stringify([
        ...Array.from({ length: 998 }, (_, i) => product(i)),
        { ...product(998), timestamp: 'yesterday' },
      ]),
      422,
      'schema-invalid',
      ['/998/timestamp'],
      1,
    ],
    ['broken JSON', '[{"id": "p1", "name": ', 400, 'invalid-request'],
    ['JSON with garbage inside', '[{"id": "p1"} {"id": "p2"}]', 400, 'invalid-request'],
    ['an object instead of an array', JSON.stringify({ records: [product(1)] }), 422, 'schema-invalid', [''], 1],
    ['an empty body', '', 400, 'invalid-request'],
  ];
  for (const [what, body, status, code, pointers, errorCount] of refused) {
    it(`refuses ${what}, stores nothing and keeps the current version`, async () => {
      const rowsBefore = await fileRows();
      const blobsBefore = blobFiles();
      const res = await put('products', body);
      expect([res.status, res.body.code]).toEqual([status, code]);
      if (pointers) expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(pointers);
      if (errorCount !== undefined) expect(res.body.errorCount).toBe(errorCount);
      expect(await fileRows()).toEqual(rowsBefore);
      expect(blobFiles()).toEqual({ committed: blobsBefore.committed, temporary: 0 });
      expect((await (await get('/api/files')).json())[0].fileId).toBe(v2.fileId);
    });
  }

  it('answers a large body broken early with 400, after reading it all', async () => {
    const body = `[${record(0)}, oops, ${Array.from({ length: 20000 }, (_, i) => record(i + 1)).join(',')}]`;
    expect(body.length).toBeGreaterThan(2_000_000);
    const res = await put('products', body);
    expect([res.status, res.body.code]).toEqual([400, 'invalid-request']);
    expect(blobFiles().temporary).toBe(0);
  });

  it('lists at most 100 errors but counts them all', async () => {
    const res = await put(
      'products',
      JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ ...product(i), tax: -1 }))),
    );
    expect(res.status).toBe(422);
    expect(res.body.errors).toHaveLength(100);
    expect(res.body.errorCount).toBe(300);
  });

  it('refuses an unknown scope, a scope of another solution and an unknown solution', async () => {
    const rowsBefore = await fileRows();
    expect((await put('orders', '[]')).body.code).toBe('scope-not-found');
    expect((await put('trial-balance', '[]')).body.code).toBe('scope-not-found');
    expect((await put('products', '[]', 'payroll')).body.code).toBe('solution-not-found');
    expect(await fileRows()).toEqual(rowsBefore);
    const noKey = await fetch(`${ctx.platform.url}/api/connector/solutions/ecommerce/scopes/products`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '[]',
    });
    expect(noKey.status).toBe(401);
  });

  it('shows an integration only its own instance’s files', async () => {
    const other = await provisionInstance(ctx.platform, 'Other Ltd');
    const pc = await newPasscode(ctx.platform, app, SECRET);
    await consentWith(ctx.platform, other.instanceKey, pc.passcode);
    const otherKey = (await pollApiKey(ctx.platform, app, pc.passcodeId, SECRET)).body.apikey;
    expect(await (await get('/api/files', withKey(otherKey))).json()).toEqual([]);
    for (const p of [
      `/api/files/${v2.fileId}`,
      `/api/files/${v2.fileId}/content`,
      `/api/files/${v2.fileId}/changes?since=${v1.fileId}`,
      '/api/scopes/products/content',
    ]) {
      const res = await get(p, withKey(otherKey));
      expect(res.status, p).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('file-not-found');
    }
  });

  it('keeps the configured number of versions and removes the older blobs', async () => {
    const v3 = (await put('products', JSON.stringify([product(7)]))).body;
    expect((await get(`/api/files/${v1.fileId}`)).status).toBe(404);
    expect((await get(`/api/files/${v2.fileId}`)).status).toBe(200);
    const changes = await get(`/api/files/${v3.fileId}/changes?since=${v1.fileId}`);
    expect(changes.status).toBe(404);
    // Two versions kept, each a file and its record index.
    for (let i = 0; i < 100 && blobFiles().committed !== 4; i++) await new Promise((r) => setTimeout(r, 25));
    expect(blobFiles()).toEqual({ committed: 4, temporary: 0 });
  });

  it('serves a file of many chunks whole, by ranges across chunk boundaries and to HEAD, and outlives a client that leaves', async () => {
    const body = JSON.stringify(Array.from({ length: 8000 }, (_, i) => product(i)));
    expect(body.length).toBeGreaterThan(3 * 256 * 1024); // the server reads in chunks of 256 KiB
    const big = (await put('products', body)).body;
    const url = `/api/files/${big.fileId}/content`;
    const whole = await get(url, { 'accept-encoding': 'identity' });
    expect(sha(Buffer.from(await whole.arrayBuffer()))).toBe(sha(body));
    const [from, to] = [256 * 1024 - 10, 2 * 256 * 1024 + 10];
    const part = await get(url, { range: `bytes=${from}-${to}` });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe(body.slice(from, to + 1));
    const head = await fetch(`${ctx.platform.url}${url}`, {
      method: 'HEAD',
      headers: { 'x-api-key': apikey, 'accept-encoding': 'identity' },
    });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([
      200,
      String(body.length),
      '',
    ]);

    // A client that reads a little and goes away: the server carries on serving others.
    const { request } = await import('undici');
    const leaving = await request(`${ctx.platform.url}${url}`, { headers: { 'x-api-key': apikey } });
    for await (const _ of leaving.body) break;
    const after = await get(url, { 'accept-encoding': 'identity' });
    expect(sha(Buffer.from(await after.arrayBuffer()))).toBe(sha(body));
  });
});
