import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TestClock } from '../../src/infra/clock.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { order, orderResult } from '../support/orders.js';
import { apiClient, freePort, usePlatformWithMail, type TestPlatform } from '../support/platform.js';
import { runPlatform, waitUp } from '../support/process.js';
import { Receiver, verify } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describeEachStore('uploads: from the application to the instance and back', (store) => {
  const ctx = usePlatformWithMail(store, { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } });
  let receiver: Receiver;
  let app: RegisteredApplication;
  let instanceKey: string;
  let integrationId: string;
  let apikey: string;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    instanceKey = (await provisionInstance(ctx.platform)).instanceKey;
    ({ integrationId, apikey } = await integrate(ctx.platform, app, instanceKey));
  });
  afterAll(async () => receiver?.stop());

  const send = (body: string, query = 'type=orders', headers: Record<string, string> = {}, key = apikey) =>
    ctx.platform.api('POST', `/api/uploads?${query}`, body, {
      'content-type': 'application/json',
      ...withKey(key),
      ...headers,
    });
  const track = (id: string, key = apikey) =>
    ctx.platform.api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(key));
  const asInst = (method: string, p: string, body?: unknown, key = instanceKey) =>
    ctx.platform.api(method, p, body, {
      ...asInstance(key),
      ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
    });
  const until = async (id: string, status: string) => {
    for (let i = 0; i < 500; i++) {
      const t = await track(id);
      if (t.body.status === status) return t;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`upload ${id} never became ${status}: ${(await track(id)).text}`);
  };
  const eventsOf = (type: string, fileId: string) =>
    receiver.delivered
      .map((d) => verify(app.webhookSecret, d))
      .filter((e) => e.type === type && e.data.fileId === fileId);
  const uploadRows = async () =>
    (await ctx.platform.platform.store.db.selectFrom('uploads').select('id').execute()).length;
  const blobCount = () => {
    const dir = path.join(ctx.platform.dataDir, 'files', 'uploads');
    return fs.existsSync(dir)
      ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
      : 0;
  };

  it('takes an upload from the application to the instance’s result, tracked at every step', async () => {
    const body = JSON.stringify([order(1), order(2)]);
    const created = await send(body);
    expect(created.status).toBe(202);
    const id = created.body.fileId;
    expect(created.body).toEqual({
      fileId: expect.stringMatching(/^upl_/),
      type: 'orders',
      status: 'uploaded',
      trackingUrl: `${ctx.platform.url}/api/uploads/${id}/tracking`,
    });

    const pending = await until(id, 'pending');
    expect(pending.body).toEqual({
      fileId: id,
      type: 'orders',
      stage: 'processing',
      status: 'pending',
      progress: 40,
      records: 2,
      size: Buffer.byteLength(body),
      errorCount: 0,
      errors: [],
      downloadResultUrl: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(pending.headers.get('retry-after')).toBe('5');
    await receiver.waitFor(() => eventsOf('upload.validated', id).length === 1);
    expect(eventsOf('upload.validated', id)[0]!.data).toEqual({
      integrationId,
      fileId: id,
      type: 'orders',
      status: 'valid',
      errorCount: 0,
    });

    const inbox = await asInst('GET', '/api/connector/inbox');
    expect(inbox.body).toEqual([
      { fileId: id, integrationId, type: 'orders', records: 2, size: Buffer.byteLength(body) },
    ]);

    const claim = await asInst('POST', `/api/connector/uploads/${id}/claim`);
    expect(claim.status).toBe(200);
    expect(claim.body).toMatchObject({
      fileId: id,
      integrationId,
      status: 'downloaded',
      progress: 0,
      sha256: sha(body),
      contentUrl: `${ctx.platform.url}/api/connector/uploads/${id}/content`,
    });
    expect(Date.parse(claim.body.leaseExpires)).toBeGreaterThan(Date.now() + 9 * 60_000); // UPLOAD_LEASE: 10 minutes
    expect((await track(id)).body).toMatchObject({ stage: 'processing', status: 'downloaded', progress: 45 });
    expect((await asInst('GET', '/api/connector/inbox')).body).toEqual([]);

    const content = await fetch(claim.body.contentUrl, {
      headers: { ...asInstance(instanceKey), 'accept-encoding': 'identity' },
    });
    expect(sha(Buffer.from(await content.arrayBuffer()))).toBe(sha(body));

    const progress = await asInst('PATCH', `/api/connector/uploads/${id}`, { status: 'processing', progress: 50 });
    expect(progress.status).toBe(200);
    expect(progress.body).toMatchObject({ status: 'processing', progress: 50 });
    expect(Date.parse(progress.body.leaseExpires)).toBeGreaterThanOrEqual(Date.parse(claim.body.leaseExpires));
    expect((await track(id)).body).toMatchObject({ status: 'processing', progress: 45 + Math.round(50 * 0.55) });

    // One of two orders rejected: the upload cannot end accepted (422, the lease stays); it ends failed, counted.
    const result = JSON.stringify([orderResult('o1', true), orderResult('o2', false)]);
    const hidden = await asInst('PUT', `/api/connector/uploads/${id}/result?status=accepted`, result);
    expect([hidden.status, hidden.body.code]).toEqual([422, 'result-mismatch']);
    expect(hidden.body.errors).toEqual([
      { pointer: '/query/status', message: '1 of 2 records rejected: the status must be failed' },
    ]);
    expect((await track(id)).body).toMatchObject({ status: 'processing', downloadResultUrl: null });
    expect((await track(id)).body.summary).toBeUndefined();
    const done = await asInst('PUT', `/api/connector/uploads/${id}/result?status=failed`, result);
    expect(done.status).toBe(200);
    const resultUrl = `${ctx.platform.url}/api/uploads/${id}/result`;
    const summary = { records: 2, accepted: 1, rejected: 1 };
    expect(done.body).toMatchObject({
      fileId: id,
      stage: 'processing',
      status: 'failed',
      progress: 100,
      downloadResultUrl: resultUrl,
      summary,
    });

    const final = await track(id);
    expect(final.body).toMatchObject({
      status: 'failed',
      progress: 100,
      downloadResultUrl: resultUrl,
      summary,
      errorCount: 1,
    });
    expect(final.body.errors).toEqual([{ pointer: '/1', message: 'o2: insufficient-stock (not enough stock of p1)' }]);
    expect(final.headers.get('retry-after')).toBeNull();
    await receiver.waitFor(() => eventsOf('upload.completed', id).length === 1);
    expect(eventsOf('upload.completed', id)[0]!.data).toEqual({
      integrationId,
      fileId: id,
      type: 'orders',
      status: 'failed',
      downloadResultUrl: resultUrl,
      summary,
    });
    const downloaded = await fetch(resultUrl, { headers: { ...withKey(apikey), 'accept-encoding': 'identity' } });
    expect(downloaded.status).toBe(200);
    expect(await downloaded.text()).toBe(result);

    const list = await ctx.platform.api('GET', '/api/uploads?status=failed', undefined, withKey(apikey));
    expect(list.body.map((u: { fileId: string }) => u.fileId)).toEqual([id]);
    expect(list.body[0].summary).toEqual(summary);
  });

  it('counts the result, refuses one that does not answer the upload record for record, and keeps the lease', async () => {
    for (const u of (await asInst('GET', '/api/connector/inbox')).body)
      await asInst('POST', `/api/connector/uploads/${u.fileId}/claim`);
    const orders = Array.from({ length: 120 }, (_, i) => order(100 + i));
    const id = (await send(JSON.stringify(orders))).body.fileId;
    await until(id, 'pending');
    await asInst('POST', `/api/connector/uploads/${id}/claim`);
    const blobs = blobCount();
    const put = (status: string, results: unknown[]) =>
      asInst('PUT', `/api/connector/uploads/${id}/result?status=${status}`, JSON.stringify(results));
    const all = orders.map((o) => orderResult(o.id, true));
    const refusals: Array<[string, unknown[], string, string]> = [
      [
        'accepted',
        all.slice(1),
        'result-mismatch',
        'the result has 119 records, the upload 120: one result per uploaded record',
      ],
      [
        'accepted',
        [...all, orderResult('o100', true)],
        'result-mismatch',
        'the result has 121 records, the upload 120: one result per uploaded record',
      ],
      [
        'accepted',
        [orderResult('o999', true), ...all.slice(1)],
        'result-mismatch',
        expect.stringMatching(/ids are not those of the upload/) as never,
      ],
      [
        'accepted',
        [all[1], ...all.slice(1)],
        'result-mismatch',
        expect.stringMatching(/ids are not those of the upload/) as never,
      ],
      ['failed', all, 'result-mismatch', '0 of 120 records rejected: the status must be accepted'],
      [
        'accepted',
        [{ outcome: 'accepted', documentNumber: 'SO-1' }, ...all.slice(1)],
        'schema-invalid',
        expect.any(String) as never,
      ],
      ['accepted', [{ id: 'o100', outcome: 'lost' }, ...all.slice(1)], 'schema-invalid', expect.any(String) as never],
    ];
    for (const [status, results, code, message] of refusals) {
      const res = await put(status, results);
      expect([res.status, res.body.code, res.body.errors?.[0]?.message]).toEqual([422, code, message]);
      expect((await track(id)).body).toMatchObject({ status: 'downloaded', downloadResultUrl: null, errorCount: 0 });
    }
    expect(blobCount()).toBe(blobs); // nothing of the refused results is kept

    // In another order, the same ids: accepted, when each record is; a rejected one makes the upload failed.
    const mixed = orders.map((o, i) => orderResult(o.id, i % 3 !== 0)).reverse();
    const failed = await put('failed', mixed);
    expect(failed.status).toBe(200);
    const tracking = (await track(id)).body;
    expect(tracking).toMatchObject({
      status: 'failed',
      summary: { records: 120, accepted: 80, rejected: 40 },
      errorCount: 40,
    });
    expect(tracking.errors).toHaveLength(40);
    expect(tracking.errors[0]).toEqual({ pointer: '/2', message: 'o217: insufficient-stock (not enough stock of p1)' }); // o219 is first, and accepted
    await receiver.waitFor(() => eventsOf('upload.completed', id).length === 1);
    expect(eventsOf('upload.completed', id)[0]!.data.summary).toEqual({ records: 120, accepted: 80, rejected: 40 });

    const whole = (await send(JSON.stringify([order(300), order(301)]))).body.fileId;
    await until(whole, 'pending');
    await asInst('POST', `/api/connector/uploads/${whole}/claim`);
    const accepted = await asInst(
      'PUT',
      `/api/connector/uploads/${whole}/result?status=accepted`,
      JSON.stringify([orderResult('o301', true), orderResult('o300', true)]),
    );
    expect(accepted.body).toMatchObject({
      status: 'accepted',
      summary: { records: 2, accepted: 2, rejected: 0 },
      errorCount: 0,
      errors: [],
    });
  });

  it('ends an invalid upload invalid, with pointers, and never offers it to the instance', async () => {
    const body = JSON.stringify([order(1), { ...order(2), lines: [] }, { ...order(3), currencyRate: 0 }]);
    const id = (await send(body)).body.fileId;
    const invalid = await until(id, 'invalid');
    expect(invalid.body).toMatchObject({
      stage: 'validation',
      status: 'invalid',
      progress: 100,
      records: 3,
      errorCount: 2,
      downloadResultUrl: null,
    });
    expect(invalid.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/1/lines',
      '/2/currencyRate',
    ]);
    expect(invalid.headers.get('retry-after')).toBeNull();
    await receiver.waitFor(() => eventsOf('upload.validated', id).length === 1);
    expect(eventsOf('upload.validated', id)[0]!.data).toMatchObject({ status: 'invalid', errorCount: 2 });
    expect((await asInst('GET', '/api/connector/inbox')).body).toEqual([]);
    expect((await asInst('POST', `/api/connector/uploads/${id}/claim`)).status).toBe(404);

    const broken = (await send('[{"id": "o1",')).body.fileId;
    expect((await until(broken, 'invalid')).body).toMatchObject({
      errorCount: 1,
      errors: [{ pointer: '', message: expect.stringMatching(/not valid JSON/) }],
    });
    const notArray = (await send('{"id": "o1"}')).body.fileId;
    expect((await until(notArray, 'invalid')).body.errors).toEqual([
      { pointer: '', message: 'must be an array of records' },
    ]);
    // Their events arrive before the next test counts deliveries.
    await receiver.waitFor(
      () => eventsOf('upload.validated', broken).length === 1 && eventsOf('upload.validated', notArray).length === 1,
    );
  });

  it('validates only, storing and sending nothing, when asked', async () => {
    const [rows, blobs, deliveries] = [await uploadRows(), blobCount(), receiver.requests.length];
    const valid = await send(JSON.stringify([order(1)]), 'type=orders&validateOnly=true');
    expect(valid.status).toBe(200);
    expect(valid.body).toEqual({ type: 'orders', status: 'valid', records: 1, errorCount: 0, errors: [] });
    const invalid = await send(
      JSON.stringify([order(1), { ...order(2), total: 'lots' }]),
      'type=orders&validateOnly=true',
    );
    expect(invalid.body).toEqual({
      type: 'orders',
      status: 'invalid',
      records: 2,
      errorCount: 1,
      errors: [{ pointer: '/1/total', message: expect.any(String) }],
    });
    await new Promise((r) => setTimeout(r, 200));
    expect([await uploadRows(), blobCount(), receiver.requests.length]).toEqual([rows, blobs, deliveries]);
  });

  it('makes one upload of the same Idempotency-Key and body, and refuses the key with another body', async () => {
    const body = JSON.stringify([order(7)]);
    const headers = { 'idempotency-key': 'order-batch-7' };
    const first = await send(body, 'type=orders', headers);
    const again = await send(body, 'type=orders', headers);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.fileId).toBe(first.body.fileId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const rows = await uploadRows();
    const other = await send(JSON.stringify([order(8)]), 'type=orders', headers);
    expect([other.status, other.body.code]).toEqual([409, 'idempotency-conflict']);
    expect(await uploadRows()).toBe(rows);
    await until(first.body.fileId, 'pending');
  });

  it('checks Content-Digest, and refuses an upload type the solution does not offer', async () => {
    const body = JSON.stringify([order(9)]);
    const [rows, blobs] = [await uploadRows(), blobCount()];
    const digest = (b: string) => `sha-256=:${createHash('sha256').update(b).digest('base64')}:`;
    const wrong = await send(body, 'type=orders', { 'content-digest': digest(`${body} `) });
    expect([wrong.status, wrong.body.code]).toEqual([400, 'digest-mismatch']);
    const malformed = await send(body, 'type=orders', { 'content-digest': 'md5=:abc:' });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'invalid-request']);
    for (const type of ['invoices', 'products', 'orders-result']) {
      const refused = await send(body, `type=${type}`);
      expect([refused.status, refused.body.code], type).toEqual([400, 'upload-type-invalid']);
    }
    expect([await uploadRows(), blobCount()]).toEqual([rows, blobs]);
    const right = await send(body, 'type=orders', { 'content-digest': `sha-512=:AAAA:, ${digest(body)}` });
    expect(right.status).toBe(202);
    await until(right.body.fileId, 'pending');
  });

  it('refuses a result without a lease, an invalid result, and any move out of a final status', async () => {
    // What earlier tests left pending is taken first, so that the inbox holds only this test's upload.
    for (const u of (await asInst('GET', '/api/connector/inbox')).body)
      await asInst('POST', `/api/connector/uploads/${u.fileId}/claim`);
    const id = (await send(JSON.stringify([order(1)]))).body.fileId;
    await until(id, 'pending');
    const result = JSON.stringify([orderResult('o1', true)]);
    const noLease = await asInst('PUT', `/api/connector/uploads/${id}/result?status=accepted`, result);
    expect([noLease.status, noLease.body.code]).toEqual([409, 'lease-required']);
    expect(
      (await asInst('PATCH', `/api/connector/uploads/${id}`, { status: 'processing', progress: 1 })).body.code,
    ).toBe('lease-required');
    expect((await track(id)).body.status).toBe('pending');

    await asInst('POST', `/api/connector/uploads/${id}/claim`);
    const twice = await asInst('POST', `/api/connector/uploads/${id}/claim`);
    expect([twice.status, twice.body.code]).toEqual([409, 'status-conflict']);
    const badResult = await asInst(
      'PUT',
      `/api/connector/uploads/${id}/result?status=accepted`,
      JSON.stringify([{ id: 'o1', outcome: 'maybe' }]),
    );
    expect([badResult.status, badResult.body.code]).toEqual([422, 'schema-invalid']);
    expect((await track(id)).body).toMatchObject({ status: 'downloaded', downloadResultUrl: null });
    expect((await ctx.platform.api('GET', `/api/uploads/${id}/result`, undefined, withKey(apikey))).body.code).toBe(
      'result-not-found',
    );

    expect(
      (
        await asInst(
          'PUT',
          `/api/connector/uploads/${id}/result?status=failed`,
          JSON.stringify([orderResult('o1', false)]),
        )
      ).status,
    ).toBe(200);
    await receiver.waitFor(() => eventsOf('upload.completed', id).length === 1);
    expect(eventsOf('upload.completed', id)[0]!.data).toMatchObject({ status: 'failed' });
    const blobsAfter = blobCount();
    for (const [method, p, body] of [
      ['PUT', `/api/connector/uploads/${id}/result?status=accepted`, result],
      ['PATCH', `/api/connector/uploads/${id}`, { status: 'processing', progress: 10 }],
      ['POST', `/api/connector/uploads/${id}/claim`, undefined],
    ] as const) {
      const refused = await asInst(method, p, body);
      expect([refused.status, refused.body.code], `${method} ${p}`).toEqual([409, 'status-conflict']);
    }
    expect((await track(id)).body.status).toBe('failed');
    expect(blobCount()).toBe(blobsAfter);
    const resultStatus = await asInst('PUT', `/api/connector/uploads/${id}/result?status=done`, result);
    expect(resultStatus.status).toBe(400);
  });

  it('wakes a long poll as soon as an upload becomes valid', async () => {
    expect((await asInst('GET', '/api/connector/inbox')).body).toEqual([]);
    const started = Date.now();
    const polling = asInst('GET', '/api/connector/inbox?wait=20');
    await new Promise((r) => setTimeout(r, 300)); // the poll is waiting
    const id = (await send(JSON.stringify([order(11)]))).body.fileId;
    const answer = await polling;
    expect(answer.body).toEqual([expect.objectContaining({ fileId: id })]);
    expect(Date.now() - started).toBeLessThan(5_000); // far inside the 20 s wait: woken, not timed out
    expect((await asInst('GET', '/api/connector/inbox?wait=1')).body).toEqual([
      expect.objectContaining({ fileId: id }),
    ]);
  });

  it.runIf(store.kind === 'postgres')(
    'wakes a long poll in another platform process on the same PostgreSQL',
    async () => {
      for (const u of (await asInst('GET', '/api/connector/inbox')).body)
        await asInst('POST', `/api/connector/uploads/${u.fileId}/claim`);
      const port = await freePort();
      const other = runPlatform({
        PORT: String(port),
        DATA_DIR: ctx.platform.dataDir,
        DATABASE_URL: store.databaseUrl!,
        ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
        LOG_LEVEL: 'warn',
      });
      const otherUrl = `http://127.0.0.1:${port}`;
      try {
        await waitUp(otherUrl, other);
        const started = Date.now();
        const polling = apiClient(otherUrl)('GET', '/api/connector/inbox?wait=20', undefined, asInstance(instanceKey));
        await new Promise((r) => setTimeout(r, 300));
        const id = (await send(JSON.stringify([order(12)]))).body.fileId; // to this process; the poll waits in the other
        const answer = await polling;
        expect(answer.body).toEqual([expect.objectContaining({ fileId: id })]);
        expect(Date.now() - started).toBeLessThan(5_000);
      } finally {
        other.child.kill('SIGTERM');
        await other.exited;
      }
    },
  );

  it('lets no integration or instance see or change another’s uploads', async () => {
    const id = (await asInst('GET', '/api/connector/inbox')).body[0].fileId as string;
    const other = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url('/other') });
    const otherKey = (await integrate(ctx.platform, other, instanceKey)).apikey; // same instance, another application
    const otherInstance = (await provisionInstance(ctx.platform, 'Other Ltd')).instanceKey;
    for (const p of [`/api/uploads/${id}/tracking`, `/api/uploads/${id}/result`]) {
      const res = await ctx.platform.api('GET', p, undefined, withKey(otherKey));
      expect([res.status, res.body.code], p).toEqual([404, 'upload-not-found']);
    }
    expect((await ctx.platform.api('GET', '/api/uploads', undefined, withKey(otherKey))).body).toEqual([]);
    expect((await asInst('GET', '/api/connector/inbox', undefined, otherInstance)).body).toEqual([]);
    for (const [method, p, body] of [
      ['POST', `/api/connector/uploads/${id}/claim`, undefined],
      ['GET', `/api/connector/uploads/${id}/content`, undefined],
      ['PATCH', `/api/connector/uploads/${id}`, { status: 'processing', progress: 10 }],
      ['PUT', `/api/connector/uploads/${id}/result?status=accepted`, '[]'],
    ] as const) {
      const res = await asInst(method, p, body, otherInstance);
      expect([res.status, res.body.code], `${method} ${p}`).toEqual([404, 'upload-not-found']);
    }
    expect((await track(id)).body.status).toBe('pending');
  });
});

describeEachStore('uploads: leases', (store) => {
  // The lease runs on the test's clock, moved past it rather than waited for: on a loaded machine a real 1 s lease
  // ended between two reports made half a second apart.
  const clock = new TestClock();
  const ctx = usePlatformWithMail(store, {
    env: { UPLOAD_LEASE: '60', ALLOW_INSECURE_NOTIFICATION_URLS: 'true' },
    clock,
  });
  let platform: TestPlatform;
  let instanceKey: string;
  let apikey: string;
  beforeAll(async () => {
    platform = ctx.platform;
    const app = await registerApplication(platform.url, ctx.mail, { notificationUrl: 'http://127.0.0.1:9/none' });
    instanceKey = (await provisionInstance(platform)).instanceKey;
    ({ apikey } = await integrate(platform, app, instanceKey));
  });

  it('returns an upload whose lease ends to pending, where another claim takes it', async () => {
    const created = await platform.api('POST', '/api/uploads?type=orders', JSON.stringify([order(1)]), withKey(apikey));
    const id = created.body.fileId;
    const inbox = await platform.api('GET', '/api/connector/inbox?wait=10', undefined, asInstance(instanceKey));
    expect(inbox.body).toEqual([expect.objectContaining({ fileId: id })]);
    expect(
      (await platform.api('POST', `/api/connector/uploads/${id}/claim`, undefined, asInstance(instanceKey))).body
        .status,
    ).toBe('downloaded');

    // Not renewed: after the lease (60 s) the upload is pending again, and the inbox says so at once.
    clock.advance(61_000);
    const back = await platform.api('GET', '/api/connector/inbox?wait=10', undefined, asInstance(instanceKey));
    expect(back.body).toEqual([expect.objectContaining({ fileId: id })]);
    expect((await platform.api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(apikey))).body).toMatchObject({
      status: 'pending',
      progress: 40,
    });
    const late = await platform.api(
      'PUT',
      `/api/connector/uploads/${id}/result?status=accepted`,
      JSON.stringify([orderResult('o1', true)]),
      { ...asInstance(instanceKey), 'content-type': 'application/json' },
    );
    expect([late.status, late.body.code]).toEqual([409, 'lease-required']);

    const again = await platform.api('POST', `/api/connector/uploads/${id}/claim`, undefined, asInstance(instanceKey));
    expect(again.body.status).toBe('downloaded');
    // Progress renews the lease: reported every 30 s, it outlives the 60 s lease.
    for (let i = 1; i <= 4; i++) {
      clock.advance(30_000);
      const p = await platform.api(
        'PATCH',
        `/api/connector/uploads/${id}`,
        { status: 'processing', progress: i * 20 },
        asInstance(instanceKey),
      );
      expect(p.status, `report ${i}`).toBe(200);
    }
    const done = await platform.api(
      'PUT',
      `/api/connector/uploads/${id}/result?status=accepted`,
      JSON.stringify([orderResult('o1', true)]),
      { ...asInstance(instanceKey), 'content-type': 'application/json' },
    );
    expect(done.body.status).toBe('accepted');
  });
});
