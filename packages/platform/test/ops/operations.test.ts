import http from 'node:http';
import net from 'node:net';
import { routeList } from '@connected-cloud/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrate, provisionInstance } from '../support/consent.js';
import { registerApplication, sendTestEvent } from '../support/onboarding.js';
import { startTestPlatform, usePlatformWithMail, type TestPlatform } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('health and readiness', (store) => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ store });
  });
  afterAll(async () => platform?.stop().catch(() => {}));

  it('is alive and ready, and not ready once the store is gone', async () => {
    expect(await platform.api('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await platform.api('GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
    await platform.platform.store.close();
    const down = await platform.api('GET', '/ready');
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('not-ready');
    expect(down.headers.get('retry-after')).toBe('5');
    expect((await platform.api('GET', '/health')).status).toBe(200);
  });
});

describe('a graceful stop', () => {
  it('lets a request in flight finish, then closes its kept-alive connection rather than wait for the client', async () => {
    const platform = await startTestPlatform({ store: { kind: 'sqlite', databaseUrl: undefined } });
    const agent = new http.Agent({ keepAlive: true }); // holds its connection open until the server closes it
    try {
      const body = JSON.stringify({ name: 'A developer' });
      let connectionClosed = false;
      const arrived = new Promise((resolve) => platform.app.server.once('request', resolve));
      const request = http.request(`${platform.url}/api/developers`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      });
      request.on('socket', (socket) => socket.on('close', () => (connectionClosed = true)));
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        request.on('error', reject);
        request.on('response', (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
      });
      request.write(body.slice(0, 5));
      await arrived; // the request is in flight: its body is not all there yet
      const stopped = platform.stop();
      request.end(body.slice(5));
      const response = await answered;
      expect(response.status).not.toBe(503); // it was under way before the stop: it is answered, not refused
      expect(JSON.parse(response.text)).toBeTypeOf('object');
      // Without the server closing the now idle connection, the stop waited for keepAliveTimeout (72 s).
      await stopped;
      await expect.poll(() => connectionClosed).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('closes a connection that never sent a request rather than wait on it (a browser preconnects such sockets)', async () => {
    const platform = await startTestPlatform({ store: { kind: 'sqlite', databaseUrl: undefined } });
    const accepted = new Promise((resolve) => platform.app.server.once('connection', resolve));
    const socket = net.connect(Number(new URL(platform.url).port), '127.0.0.1');
    try {
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await accepted;
      // Node counts such a connection neither idle nor expired, and no timeout ends it: the stop waited for ever.
      const hung = new Promise((resolve) => setTimeout(resolve, 20_000, 'still waiting').unref());
      expect(await Promise.race([platform.stop().then(() => 'stopped'), hung])).toBe('stopped');
      await closed;
      expect(socket.bytesRead).toBe(0); // closed, not answered
    } finally {
      socket.destroy();
    }
  });
});

describe('the OpenAPI document and the API reference', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ store: { kind: 'sqlite', databaseUrl: undefined } });
  });
  afterAll(async () => platform?.stop());

  it('describes every route, each with a summary, its parameters and its responses', async () => {
    const { status, body: doc } = await platform.api('GET', '/openapi.json');
    expect(status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, op })),
    );
    // Every route the server has is in the document, and nothing else.
    expect(operations.map((o) => o.key).sort()).toEqual([...platform.app.registeredRoutes].sort());
    expect(operations.map((o) => o.key)).toEqual(
      expect.arrayContaining([
        'POST /api/developers',
        'GET /register/{token}',
        'POST /api/connector/consents',
        'PATCH /api/apikey',
        'GET /api/events',
        'POST /api/admin/instances',
        'POST /api/developers/{developerId}/applications/{applicationId}/events/test',
      ]),
    );
    for (const { key, op } of operations) {
      expect(op.summary, key).toEqual(expect.any(String));
      if (/^\w+ \/api\/(connector|admin)\//.test(key) || ['GET /api/integration', 'GET /api/events'].includes(key)) {
        expect(op.security, `${key} names its credential`).toBeDefined();
      }
      expect(
        Object.keys(op.responses).some((c) => c.startsWith('2')),
        key,
      ).toBe(true);
    }
    expect(Object.keys(doc.webhooks).sort()).toEqual(
      [
        'apikey.issued',
        'consent.denied',
        'integration.revoked',
        'file.available',
        'upload.validated',
        'upload.completed',
        'webhook.test',
      ].sort(),
    );
    expect(
      doc.webhooks['apikey.issued'].post.requestBody.content['application/json'].schema.properties.data.required,
    ).toContain('apikey');
    const register = doc.paths['/api/developers'].post;
    expect(register.requestBody.content['application/json'].schema.required).toEqual(['name', 'email', 'application']);
    expect(register.responses['400'].content['application/problem+json'].schema.$ref).toBe(
      '#/components/schemas/Problem',
    );
    expect(doc.components.schemas.Problem.properties.code).toBeDefined();
    // Each operation is the table's: named by its operationId, which is unique.
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(
      routeList
        .filter((r) => !r.hidden)
        .map((r) => r.operationId)
        .sort(),
    );
  });

  it('serves the API reference UI at /docs from the platform itself', async () => {
    const page = await fetch(`${platform.url}/docs`, { redirect: 'follow' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<main id="reference">/);
    const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src).not.toMatch(/^https?:/);
      const asset = await fetch(new URL(src, page.url));
      expect(asset.status).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });
});

describe('request logging', () => {
  it('logs requests without their credentials', async () => {
    const platform = await startTestPlatform({ store: { kind: 'sqlite', databaseUrl: undefined } });
    try {
      const secrets = {
        apiKey: 'cck_LoggedKeyValue0001',
        instanceKey: 'cci_LoggedKeyValue0002',
        bearer: 'cca_LoggedKeyValue0003',
      };
      await platform.api('GET', '/health', undefined, {
        'x-api-key': secrets.apiKey,
        'x-instance-key': secrets.instanceKey,
        authorization: `Bearer ${secrets.bearer}`,
        cookie: 'session=LoggedCookieValue0004',
      });
      // A portal sign-in link's token is a credential in the path, as a registration link's is.
      const signIn = await platform.api('GET', '/portal/sign-in/LoggedSignInToken0005');
      expect(signIn.status).toBe(404);
      const logs = platform.logs.join('');
      expect(logs).toContain('"url":"/portal/sign-in/[redacted]"');
      const lines = logs.split('\n').filter((l) => l.includes('"url":"/health"'));
      expect(lines).toHaveLength(1); // one line per request
      expect(JSON.parse(lines[0]!)).toMatchObject({
        msg: 'request',
        method: 'GET',
        status: 200,
        reqId: expect.stringMatching(/^req_\w{16}$/),
      });
      for (const s of [...Object.values(secrets), 'LoggedCookieValue0004', 'LoggedSignInToken0005'])
        expect(logs).not.toContain(s);
    } finally {
      await platform.stop();
    }
  });
});

describe('metrics', () => {
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } },
  );

  it('counts requests by route, webhook attempts by outcome, and reads the queue at each scrape', async () => {
    const receiver = await new Receiver().start();
    try {
      const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
      await ctx.platform.api('GET', '/health');
      await sendTestEvent(ctx.platform.url, app);
      await receiver.waitFor((r) => r.delivered.length === 1);
      // The attempt is counted once the platform has the receiver's answer, a moment after the receiver has the event.
      let metrics = await ctx.platform.api('GET', '/metrics');
      for (let i = 0; i < 100 && !metrics.text.includes('cc_webhook_attempts_total{outcome="delivered"}'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        metrics = await ctx.platform.api('GET', '/metrics');
      }
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(metrics.text).toMatch(/^process_resident_memory_bytes \d+/m);
      expect(metrics.text).toMatch(/^cc_http_requests_total\{method="GET",route="\/health",status="200"\} 1$/m);
      expect(metrics.text).toMatch(
        /^cc_http_request_duration_seconds_count\{method="POST",route="\/api\/developers"\} 1$/m,
      );
      expect(metrics.text).toMatch(/^cc_webhook_attempts_total\{outcome="delivered"\} 1$/m);
      expect(metrics.text).toMatch(/^# TYPE cc_jobs gauge$/m);
      expect(metrics.text).toMatch(/^# TYPE cc_uploads gauge$/m);
    } finally {
      await receiver.stop();
    }
  });

  it('counts file downloads too, which are written past Fastify', async () => {
    const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: 'http://127.0.0.1:9/events' });
    const { instanceKey } = await provisionInstance(ctx.platform);
    const { apikey } = await integrate(ctx.platform, app, instanceKey);
    const body = JSON.stringify([
      { id: 'p1', name: 'Spade', netPrice: 9.5, tax: 20, discountByUnit: true, timestamp: '2026-11-28T10:00:00.000Z' },
    ]);
    const put = await fetch(`${ctx.platform.url}/api/connector/solutions/ecommerce/scopes/products`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-instance-key': instanceKey },
      body,
    });
    expect(put.status).toBe(201);
    const { fileId } = (await put.json()) as { fileId: string };
    const download = await fetch(`${ctx.platform.url}/api/files/${fileId}/content`, {
      headers: { 'x-api-key': apikey },
    });
    expect(await download.text()).toBe(body);
    const ranged = await fetch(`${ctx.platform.url}/api/files/${fileId}/content`, {
      headers: { 'x-api-key': apikey, range: 'bytes=0-9' },
    });
    expect(await ranged.text()).toBe(body.slice(0, 10));
    const metrics = (await ctx.platform.api('GET', '/metrics')).text;
    expect(metrics).toMatch(
      /^cc_http_requests_total\{method="GET",route="\/api\/files\/:fileId\/content",status="200"\} 1$/m,
    );
    expect(metrics).toMatch(
      /^cc_http_requests_total\{method="GET",route="\/api\/files\/:fileId\/content",status="206"\} 1$/m,
    );
  });
});
