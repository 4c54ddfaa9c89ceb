import net from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';

// The server defects of issue 15: each refusal is a problem document, logged and counted, and never a 5xx.

const products = [
  { id: 'p1', name: 'Spade', netPrice: 9.5, tax: 20, discountByUnit: true, timestamp: '2026-11-28T10:00:00.000Z' },
  { id: 'p2', name: 'Rake', netPrice: 12, tax: 20, discountByUnit: false, timestamp: '2026-11-28T10:00:00.000Z' },
];

/** Sends raw bytes and returns what came back, whole. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type: `/problems/${code}`,
    status,
    code,
    title: expect.any(String),
    detail: expect.any(String),
  });
}

describe('refusals are problem documents', () => {
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } },
  );
  let apikey: string;
  let instanceKey: string;
  const metric = async (pattern: RegExp) => (await ctx.platform.api('GET', '/metrics')).text.match(pattern);

  beforeAll(async () => {
    const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: 'http://127.0.0.1:9/events' });
    ({ instanceKey } = await provisionInstance(ctx.platform));
    ({ apikey } = await integrate(ctx.platform, app, instanceKey));
  });

  it('answers an over-long path parameter with 400, without echoing the URL, logged and counted', async () => {
    const counted = async () =>
      Number(
        (await metric(/^cc_http_requests_total\{method="GET",route="unmatched",status="400"\} (\d+)$/m))?.[1] ?? 0,
      );
    const before = await counted();
    const long = 'x'.repeat(150) + 'MARKER';
    const res = await ctx.platform.api('GET', `/api/files/${long}`, undefined, withKey(apikey));
    expectProblem(res, 400, 'invalid-request');
    expect(res.text).not.toContain('MARKER');
    expect(res.body.detail).toMatch(/longer than 100/);
    await expect.poll(() => ctx.platform.logs.join('').includes('refused before routing')).toBe(true);
    expect(await counted()).toBe(before + 1);
  });

  it('answers bad percent-encoding with 400', async () => {
    const res = await ctx.platform.api('GET', '/api/solutions/%E0%A4%A', undefined);
    expectProblem(res, 400, 'invalid-request');
  });

  it('answers a malformed Content-Length with a 400 problem document, counted', async () => {
    const before = Number(
      (await metric(/^cc_http_requests_total\{method="UNKNOWN",route="unparsed",status="400"\} (\d+)$/m))?.[1] ?? 0,
    );
    const answer = await rawRequest(
      Number(new URL(ctx.platform.url).port),
      'POST /api/developers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12abc\r\n\r\n{}',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 400,
      code: 'invalid-request',
    });
    const after = Number(
      (await metric(/^cc_http_requests_total\{method="UNKNOWN",route="unparsed",status="400"\} (\d+)$/m))?.[1] ?? 0,
    );
    expect(after).toBe(before + 1);
  });

  it('answers 400, not 500, when a streaming route gets no body', async () => {
    const none = [
      await ctx.platform.api('POST', '/api/uploads?type=orders', undefined, withKey(apikey)),
      await ctx.platform.api(
        'PUT',
        '/api/connector/solutions/ecommerce/scopes/products',
        undefined,
        asInstance(instanceKey),
      ),
      await ctx.platform.api(
        'PUT',
        '/api/connector/uploads/upl_0000000000000000000000/result?status=accepted',
        undefined,
        asInstance(instanceKey),
      ),
    ];
    for (const res of none) expectProblem(res, 400, 'invalid-request');
    expect(ctx.platform.logs.join('')).not.toContain('Symbol.asyncIterator');
  });

  it('decodes gzip and br bodies: the stored file is the JSON, not its compressed bytes', async () => {
    const json = JSON.stringify(products);
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(json)],
      ['br', brotliCompressSync(json)],
    ] as const) {
      const put = await fetch(`${ctx.platform.url}/api/connector/solutions/ecommerce/scopes/products`, {
        method: 'PUT',
        headers: { ...asInstance(instanceKey), 'content-type': 'application/json', 'content-encoding': encoding },
        body: bytes,
      });
      expect(put.status, encoding).toBe(201);
      const { fileId, records } = (await put.json()) as { fileId: string; records: number };
      expect(records).toBe(2);
      const content = await fetch(`${ctx.platform.url}/api/files/${fileId}/content`, { headers: withKey(apikey) });
      expect(await content.text()).toBe(json);
    }
    // A JSON body too.
    const rotated = await fetch(`${ctx.platform.url}/api/developers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(
        JSON.stringify({
          name: 'A',
          email: 'gz@example.com',
          application: { name: 'B', solution: 'ecommerce', notificationUrl: 'http://127.0.0.1:9/x' },
        }),
      ),
    });
    expect(rotated.status).toBe(202);
  });

  it('refuses an unsupported Content-Encoding with 415 and a corrupt one with 400', async () => {
    // Names of an object's inherited properties are no encodings either.
    for (const encoding of ['compress', 'constructor', '__proto__']) {
      const unsupported = await ctx.platform.api('PUT', '/api/connector/solutions/ecommerce/scopes/products', '[]', {
        ...asInstance(instanceKey),
        'content-encoding': encoding,
      });
      expectProblem(unsupported, 415, 'unsupported-media-type');
    }
    for (const path of ['/api/connector/solutions/ecommerce/scopes/products', '/api/developers']) {
      const corrupt = await ctx.platform.api(path.includes('connector') ? 'PUT' : 'POST', path, 'not gzip at all', {
        ...asInstance(instanceKey),
        'content-encoding': 'gzip',
      });
      expectProblem(corrupt, 400, 'invalid-request');
    }
  });

  it('names the allowed values of a query enum, once', async () => {
    const uploads = await ctx.platform.api('GET', '/api/uploads?status=bogus', undefined, withKey(apikey));
    expectProblem(uploads, 400, 'invalid-request');
    expect(uploads.body.errors).toEqual([{ pointer: '/status', message: expect.stringContaining('"accepted"') }]);
    const events = await ctx.platform.api('GET', '/api/events?status=bogus', undefined, withKey(apikey));
    expectProblem(events, 400, 'invalid-request');
    expect(events.body.errors).toEqual([
      { pointer: '/status', message: 'must be one of: "pending", "delivered", "failed"' },
    ]);
  });
});
