import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asInstance, consentWith, provisionInstance } from '../../platform/test/support/consent.js';
import { registerApplication, type RegisteredApplication } from '../../platform/test/support/onboarding.js';
import { order, orderResult } from '../../platform/test/support/orders.js';
import { usePlatformWithMail } from '../../platform/test/support/platform.js';
import { TestClock } from '../../platform/src/infra/clock.js';
import { Receiver, type Delivery } from '../../platform/test/support/receiver.js';
import {
  ApiError,
  ConnectedCloud,
  MissingApiKeyError,
  WebhookVerificationError,
  WebhookVerifier,
  applyChanges,
  expressWebhook,
  fastifyWebhookRoute,
  fetchWebhookHandler,
  nodeWebhookHandler,
  type OrderResult,
  type PlatformEvent,
  type Product,
  type RequestLog,
} from '../src/index.js';
import { FileKeyStore, fromFile } from '../src/node.js';

const SECRET = 'correct horse battery staple';
const at = '2026-11-28T10:00:00.000Z';
const product = (i: number, price = 9.5) => ({
  id: `p${i}`,
  name: `Product ${i}`,
  netPrice: price,
  tax: 20,
  discountByUnit: true,
  timestamp: at,
});

describe('the client SDK against a running platform', () => {
  const clock = new TestClock();
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' }, clock },
  );
  let receiver: Receiver;
  let app: RegisteredApplication;
  let instanceKey: string;
  let sdk: ConnectedCloud;
  let keyFile: string;
  const instance = (method: string, p: string, body?: string) =>
    fetch(ctx.platform.url + p, {
      method,
      headers: { ...asInstance(instanceKey), ...(body ? { 'content-type': 'application/json' } : {}) },
      body,
    }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => undefined) }));

  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    instanceKey = (await provisionInstance(ctx.platform)).instanceKey;
    keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cc-sdk-')), 'apikey');
    sdk = new ConnectedCloud({ baseUrl: ctx.platform.url, keyStore: new FileKeyStore(keyFile) });
  });
  afterAll(async () => receiver?.stop());

  it('says where it looked for a missing key, and what to do', async () => {
    const error = await new ConnectedCloud({
      baseUrl: ctx.platform.url,
      keyStore: new FileKeyStore(path.join(os.tmpdir(), 'nowhere', 'apikey')),
    })
      .integration()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingApiKeyError);
    expect((error as Error).message).toMatch(/no API key in the file .*nowhere\/apikey\. Get one: `ccloud passcode/);
  });

  it('names each call by its X-Request-Id in its own log and in the platform’s', async () => {
    const logged: RequestLog[] = [];
    await new ConnectedCloud({ baseUrl: ctx.platform.url, log: (e) => logged.push(e) }).solutions();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ method: 'GET', path: '/api/solutions', status: 200, attempt: 1 });
    expect(ctx.platform.logs.some((l) => l.includes(`"reqId":"${logged[0]!.requestId}"`))).toBe(true);
  });

  it('registers, reads and adds applications, and lists the solutions', async () => {
    const started = await sdk.register({
      name: 'Ada',
      email: 'ada-sdk@example.com',
      application: { name: 'Shop', solution: 'ecommerce', notificationUrl: receiver.url() },
    });
    expect(started.registrationUrl).toMatch(/\/register\//);
    expect((await sdk.application(app.developerId, app.applicationId)).applicationId).toBe(app.applicationId);
    const second = await sdk.createApplication(app.developerId, {
      name: 'Ledger Lens',
      solution: 'comp-nominalv1',
      notificationUrl: receiver.url('/lens'),
    });
    expect(second.applicationId).toMatch(/^app_/);
    expect((await sdk.solutions()).map((s) => s.domain)).toEqual(['ecommerce', 'comp-nominalv1']);
    expect((await sdk.solution('ecommerce')).uploads.map((u) => u.type)).toEqual(['orders']);
    const missing = await sdk.solution('nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect((missing as ApiError).code).toBe('solution-not-found');
    expect((await sdk.sendTestEvent(app.developerId, app.applicationId)).eventId).toMatch(/^evt_/);
  });

  it('gets its key by the polling fallback once the user consents, keeps it, and reads its integration', async () => {
    const pc = await sdk.createPasscode(app.developerId, app.applicationId, SECRET);
    expect(await sdk.pollApiKey(app.developerId, app.applicationId, pc.passcodeId, SECRET)).toBeUndefined();
    await consentWith(ctx.platform, instanceKey, pc.passcode);
    const issued = await sdk.pollApiKey(app.developerId, app.applicationId, pc.passcodeId, SECRET);
    expect(issued?.apikey).toMatch(/^cck_/);
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(issued!.apikey);
    expect((fs.statSync(keyFile).mode & 0o777).toString(8)).toBe('600');
    expect((await sdk.integration()).integrationId).toBe(issued!.integrationId);
  });

  it('lists, downloads, streams and applies the changes of scope files', async () => {
    const v1 = (
      await instance(
        'PUT',
        '/api/connector/solutions/ecommerce/scopes/products',
        JSON.stringify([product(1), product(2), product(3)]),
      )
    ).body;
    const v2 = (
      await instance(
        'PUT',
        '/api/connector/solutions/ecommerce/scopes/products',
        JSON.stringify([product(1), product(2, 12), product(4)]),
      )
    ).body;
    expect((await sdk.files.list()).map((f) => f.fileId)).toEqual([v2.fileId]);
    expect((await sdk.files.get(v1.fileId)).records).toBe(3);
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of await sdk.files.download({ scope: 'products' }))
      text += decoder.decode(chunk, { stream: true });
    expect(JSON.parse(text)).toHaveLength(3);
    const records: Product[] = [];
    for await (const r of sdk.files.records('products', { fileId: v1.fileId })) records.push(r);
    expect(records).toEqual([product(1), product(2), product(3)]);
    const current: number[] = [];
    for await (const p of sdk.files.records('products')) current.push(p.netPrice); // typed: a Product
    expect(current).toEqual([9.5, 12, 9.5]);

    const copy = new Map<string, unknown>(records.map((r) => [(r as { id: string }).id, r]));
    const applied = await applyChanges(await sdk.files.changes(v2.fileId, v1.fileId), {
      put: (id, r) => copy.set(id, r),
      remove: (id) => copy.delete(id),
    });
    expect(applied).toEqual({ put: 2, removed: 1 });
    expect([...copy.values()].sort((a, b) => ((a as { id: string }).id < (b as { id: string }).id ? -1 : 1))).toEqual([
      product(1),
      product(2, 12),
      product(4),
    ]);
  });

  it('uploads from a file with progress, follows it to completion honouring Retry-After, and reads the result', async () => {
    const file = path.join(path.dirname(keyFile), 'orders.json');
    fs.writeFileSync(file, JSON.stringify(Array.from({ length: 200 }, (_, i) => order(i))));
    const progress: number[] = [];
    const created = await sdk.uploads.create('orders', await fromFile(file), {
      idempotencyKey: 'sdk-1',
      onProgress: (p) => progress.push(p.sent / p.total!),
    });
    expect(created.status).toBe('uploaded');
    expect(progress.at(-1)).toBe(1);
    expect((await sdk.uploads.create('orders', await fromFile(file), { idempotencyKey: 'sdk-1' })).fileId).toBe(
      created.fileId,
    );
    expect((await sdk.uploads.validate('orders', JSON.stringify([{ id: 'x' }]))).status).toBe('invalid');
    expect((await sdk.uploads.validate('orders', [order(1), order(2)])).status).toBe('valid');
    async function* streamed() {
      for (let i = 0; i < 3; i++) yield order(i);
    }
    expect(await sdk.uploads.validate('orders', streamed())).toMatchObject({ status: 'valid', records: 3 });

    // The instance's part, done here by hand.
    const finished = sdk.uploads.waitForCompletion(created.fileId, { onUpdate: (t) => seen.push(t.status) });
    const seen: string[] = [];
    let inbox: Array<{ fileId: string }> = [];
    while (inbox.length === 0) inbox = (await instance('GET', '/api/connector/inbox?wait=5')).body;
    await instance('POST', `/api/connector/uploads/${created.fileId}/claim`);
    const results = Array.from({ length: 200 }, (_, i) => orderResult(`o${i}`, true));
    await instance('PUT', `/api/connector/uploads/${created.fileId}/result?status=accepted`, JSON.stringify(results));
    const done = await finished;
    expect(done.status).toBe('accepted');
    expect(seen.at(-1)).toBe('accepted');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(done.summary).toEqual({ records: 200, accepted: 200, rejected: 0 });
    const got: OrderResult[] = [];
    for await (const r of sdk.uploads.result(created.fileId)) got.push(r);
    expect(got).toEqual(results);
    expect(got[0]!.outcome === 'accepted' && got[0]!.documentNumber).toBeTruthy(); // narrowed by outcome
    expect((await sdk.uploads.list({ status: 'accepted' })).map((u) => u.fileId)).toEqual([created.fileId]);
    expect((await sdk.uploads.tracking(created.fileId)).downloadResultUrl).toMatch(/\/result$/);
  });

  it('reads and resends events', async () => {
    const list = await sdk.events.list({ type: 'upload.completed' });
    expect(list).toHaveLength(1);
    expect((await sdk.events.get(list[0]!.eventId)).attemptLog.length).toBeGreaterThanOrEqual(1);
    expect((await sdk.events.resend(list[0]!.eventId)).eventId).toBe(list[0]!.eventId);
  });

  it('verifies deliveries: the platform’s pass; a tampered body, a wrong secret and an old timestamp do not', async () => {
    const delivery = receiver.delivered.at(-1)!;
    const headers = (d: Delivery) => ({
      'webhook-id': d.id,
      'webhook-timestamp': d.timestamp,
      'webhook-signature': d.signature,
    });
    const verifier = new WebhookVerifier(app.webhookSecret);
    const event: PlatformEvent = verifier.verify(delivery.body, headers(delivery));
    expect(event.type).toBe(JSON.parse(delivery.body).type);
    expect(verifier.verify(delivery.body, new Headers(headers(delivery))).type).toBe(event.type); // Fetch Headers
    const nodeStyle = {
      'Webhook-Id': [delivery.id],
      'webhook-timestamp': delivery.timestamp,
      'webhook-signature': delivery.signature,
      host: undefined,
    };
    expect(verifier.verify(new TextEncoder().encode(delivery.body), nodeStyle).type).toBe(event.type); // IncomingHttpHeaders-like
    const request = new Request('http://127.0.0.1/hook', {
      method: 'POST',
      headers: headers(delivery),
      body: delivery.body,
    });
    expect((await verifier.verifyRequest(request)).type).toBe(event.type);
    expect(() => verifier.verify(delivery.body.replace('"data":{', '"data":{"x":1,'), headers(delivery))).toThrow(
      WebhookVerificationError,
    );
    expect(() =>
      new WebhookVerifier(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(delivery.body, headers(delivery)),
    ).toThrow(WebhookVerificationError);
    const old = new Date(Date.now() - 10 * 60_000);
    const signature = new Webhook(app.webhookSecret).sign(delivery.id, old, delivery.body);
    expect(() =>
      verifier.verify(delivery.body, {
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
        'webhook-signature': signature,
      }),
    ).toThrow(WebhookVerificationError);
  });

  it('verifies with the raw-body helpers for Node’s http, Fastify and Express', async () => {
    const delivery = receiver.delivered.at(-1)!;
    const headers = {
      'content-type': 'application/json',
      'webhook-id': delivery.id,
      'webhook-timestamp': delivery.timestamp,
      'webhook-signature': delivery.signature,
    };
    const got: string[] = [];
    const onEvent = (e: PlatformEvent) => void got.push(e.type);

    const node = http.createServer(nodeWebhookHandler(app.webhookSecret, onEvent));
    const fastify = Fastify();
    await fastify.register(async (scope) => fastifyWebhookRoute(scope, '/hook', app.webhookSecret, onEvent));
    const ex = express();
    ex.post('/hook', express.raw({ type: 'application/json' }), expressWebhook(app.webhookSecret), (req, res) => {
      onEvent((req as unknown as { event: PlatformEvent }).event);
      res.status(204).end();
    });
    const expressServer = http.createServer(ex);
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    for (const s of [node, expressServer]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const urls = [
      `http://127.0.0.1:${(node.address() as AddressInfo).port}/hook`,
      `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/hook`,
      `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}/hook`,
    ];
    try {
      for (const url of urls) {
        expect((await fetch(url, { method: 'POST', headers, body: delivery.body })).status, url).toBe(204);
        expect((await fetch(url, { method: 'POST', headers, body: `${delivery.body} ` })).status, url).toBe(400);
      }
      expect(got).toHaveLength(3);
      const handle = fetchWebhookHandler(app.webhookSecret, onEvent);
      expect(
        (await handle(new Request('http://127.0.0.1/hook', { method: 'POST', headers, body: delivery.body }))).status,
      ).toBe(204);
      expect(
        (await handle(new Request('http://127.0.0.1/hook', { method: 'POST', headers, body: `${delivery.body} ` })))
          .status,
      ).toBe(400);
      expect(got).toHaveLength(4);
    } finally {
      node.close();
      expressServer.close();
      await fastify.close();
    }
  });

  // Last: it moves the platform's clock a year on, and webhooks sent after that are signed on it.
  it('rotates an expired key once for 20 requests at the same time, and stores the new key', async () => {
    const before = fs.readFileSync(keyFile, 'utf8').trim();
    // The key expires: the platform's clock moves a year on (its credential cache checks expiry on that clock).
    clock.advance(365 * 86_400_000);
    const patches = () =>
      ctx.platform.logs.filter(
        (l) => l.includes('"method":"PATCH"') && l.includes('/api/apikey') && l.includes('"msg":"request"'),
      ).length;
    const patchesBefore = patches();
    const results = await Promise.all(Array.from({ length: 20 }, () => sdk.integration()));
    expect(new Set(results.map((r) => r.integrationId)).size).toBe(1);
    expect(patches() - patchesBefore).toBe(1);
    const after = fs.readFileSync(keyFile, 'utf8').trim();
    expect(after).not.toBe(before);
    expect(after).toMatch(/^cck_/);
  });
});
