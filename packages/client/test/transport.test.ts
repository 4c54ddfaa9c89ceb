import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, ConnectionError, Transport, operation, parseRetryAfter, type RequestLog } from '../src/transport.js';

/** A server that misbehaves as each path says; it records every request it received. */
class FaultyServer {
  readonly seen: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string; at: number }> =
    [];
  #server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const path = new URL(req.url!, 'http://x').pathname;
    this.seen.push({ method: req.method!, path, headers: req.headers, body, at: Date.now() });
    const nth = this.seen.filter((s) => s.path === path).length;
    const ok = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, nth }));
    switch (path) {
      case '/drop-once': // the connection dies before any answer, the first time
        return nth === 1 ? req.socket.destroy() : ok();
      case '/busy-once':
        return nth === 1
          ? res
              .writeHead(503, { 'retry-after': '1', 'content-type': 'application/problem+json' })
              .end('{"code":"unavailable","status":503}')
          : ok();
      case '/always-busy':
        return res
          .writeHead(503, { 'content-type': 'application/problem+json' })
          .end('{"code":"unavailable","status":503,"detail":"down for a bit"}');
      case '/limited-once': // an HTTP date has whole seconds: 2 s ahead is 1-2 s ahead once truncated
        return nth === 1
          ? res
              .writeHead(429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() })
              .end('{"code":"rate-limited","status":429}')
          : ok();
      case '/busy-five-times':
        return nth <= 5 ? res.writeHead(502).end('bad gateway') : ok();
      case '/slow': // answers long after the client's timeout
        return void setTimeout(() => !res.destroyed && ok(), 3000).unref();
      case '/missing':
        return res
          .writeHead(404, { 'content-type': 'application/problem+json' })
          .end('{"type":"/problems/file-not-found","status":404,"code":"file-not-found","detail":"no such file"}');
      default:
        return ok();
    }
  });
  url = '';
  async start() {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }
  count(path: string) {
    return this.seen.filter((s) => s.path === path).length;
  }
  stop() {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(r));
  }
}

describe('the transport against a fault-injecting server', () => {
  let server: FaultyServer;
  let logs: RequestLog[];
  const transport = (extra: Partial<ConstructorParameters<typeof Transport>[0]> = {}) =>
    new Transport({
      baseUrl: server.url,
      baseDelayMs: 5,
      log: (e) => logs.push(e),
      userAgent: 'test-suite/1',
      ...extra,
    });

  beforeAll(async () => {
    server = await new FaultyServer().start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    server.seen.length = 0;
    logs = [];
  });

  it('retries a GET after a dropped connection, with the same request id, and logs each attempt', async () => {
    expect(await transport().json({ method: 'GET', path: '/drop-once' })).toEqual({ ok: true, nth: 2 });
    expect(server.count('/drop-once')).toBe(2);
    const ids = server.seen.map((s) => s.headers['x-request-id']);
    expect(ids[0]).toMatch(/^req_[0-9a-f]{20}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(logs.map((l) => [l.attempt, l.status, l.retryInMs !== undefined])).toEqual([
      [1, undefined, true],
      [2, 200, false],
    ]);
    expect(server.seen[0]!.headers['user-agent']).toMatch(/^test-suite\/1 connected-cloud-sdk\/\S+ node\//);
  });

  it('never sends a POST without an Idempotency-Key twice: a dropped connection and a 503 are thrown at once', async () => {
    const dropped = await transport()
      .send({ method: 'POST', path: '/drop-once', json: { a: 1 } })
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(ConnectionError);
    expect((dropped as ConnectionError).message).toMatch(/cannot reach the platform at http:\/\/127\.0\.0\.1:\d+/);
    expect(server.count('/drop-once')).toBe(1);
    const busy = await transport()
      .send({ method: 'POST', path: '/busy-once', json: { a: 1 } })
      .catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ApiError);
    expect((busy as ApiError).status).toBe(503);
    expect(server.count('/busy-once')).toBe(1);
    const patched = await transport()
      .send({ method: 'PATCH', path: '/always-busy', json: {} })
      .catch((e: unknown) => e);
    expect((patched as ApiError).code).toBe('unavailable');
    expect(server.count('/always-busy')).toBe(1);
  });

  it('sends a POST again when it carries an Idempotency-Key, with the same body', async () => {
    const res = await transport().json({
      method: 'POST',
      path: '/drop-once',
      json: { a: 1 },
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(res).toEqual({ ok: true, nth: 2 });
    expect(server.seen.map((s) => [s.body, s.headers['idempotency-key']])).toEqual([
      ['{"a":1}', 'k-1'],
      ['{"a":1}', 'k-1'],
    ]);
  });

  it('waits as Retry-After says on a 503 (seconds) and a 429 (an HTTP date)', async () => {
    expect(await transport().json({ method: 'GET', path: '/busy-once' })).toEqual({ ok: true, nth: 2 });
    expect(logs[0]).toMatchObject({ status: 503, retryInMs: 1000 });
    const [first, second] = server.seen;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950); // a lower bound only: load makes it longer, never shorter
    server.seen.length = 0;
    expect(await transport().json({ method: 'GET', path: '/limited-once' })).toEqual({ ok: true, nth: 2 });
    expect(logs.at(-2)).toMatchObject({ status: 429 });
    expect(logs.at(-2)!.retryInMs).toBeLessThanOrEqual(2000);
    // Not before the date it was given (a lower bound only, as above: however late the 429 was read).
    const [limited, retried] = server.seen;
    const until = Date.parse(new Date(limited!.at + 2000).toUTCString());
    expect(retried!.at).toBeGreaterThanOrEqual(until);
  });

  it('gives up on a response slower than the timeout, after its retries, as a ConnectionError that says so', async () => {
    const error = await transport({ timeoutMs: 150, retries: 1 })
      .send({ method: 'GET', path: '/slow' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).timedOut).toBe(true);
    expect((error as Error).message).toMatch(/no answer from .* in time \(timed out after 150 ms\)/);
    expect(server.count('/slow')).toBe(2);
  });

  it('stops after its retries on 5xx, and keeps going in persistent mode', async () => {
    const error = await transport({ retries: 2 })
      .send({ method: 'GET', path: '/busy-five-times' })
      .catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).code).toBe('unknown');
    expect(server.count('/busy-five-times')).toBe(3);
    server.seen.length = 0;
    expect(await transport({ persistent: true, retries: 0 }).json({ method: 'GET', path: '/busy-five-times' })).toEqual(
      { ok: true, nth: 6 },
    );
  });

  it('ends a persistent wait when its signal is aborted', async () => {
    const stop = new AbortController();
    const pending = transport({ persistent: true, signal: stop.signal, baseDelayMs: 50 }).send({
      method: 'GET',
      path: '/always-busy',
    });
    await expect.poll(() => server.count('/always-busy')).toBeGreaterThanOrEqual(2);
    stop.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });

  it('turns a problem document into an ApiError at once (no retry), with the request id', async () => {
    const error = (await transport()
      .send({ method: 'GET', path: '/missing' })
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.code, error.detail, error.problem.type]).toEqual([
      404,
      'file-not-found',
      'no such file',
      '/problems/file-not-found',
    ]);
    expect(error.requestId).toBe(server.seen[0]!.headers['x-request-id']);
    expect(server.count('/missing')).toBe(1);
  });

  it('sends a POST again when the connection was refused (the request never left)', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const error = await new Transport({ baseUrl: url, retries: 2, baseDelayMs: 1, log: (e) => logs.push(e) })
      .send({ method: 'POST', path: '/x', json: {} })
      .catch((e: unknown) => e);
    expect((error as ConnectionError).reason).toBe('ECONNREFUSED');
    expect(logs.map((l) => l.attempt)).toEqual([1, 2, 3]);
  });

  it('uses the fetch it is given', async () => {
    const calls: string[] = [];
    const fake: typeof fetch = async (input) => {
      calls.push(input instanceof Request ? input.url : input.toString());
      return new Response('{"fine":true}', { status: 200 });
    };
    expect(
      await new Transport({ baseUrl: 'https://cloud.example.com/', fetch: fake }).json({
        method: 'GET',
        path: '/api/files',
        query: { a: 1, b: undefined },
      }),
    ).toEqual({ fine: true });
    expect(calls).toEqual(['https://cloud.example.com/api/files?a=1']);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 30 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 30 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('calls derived from the route table', () => {
  it('fills in and encodes the path parameters of an operation, with its method', () => {
    expect(operation('getTracking', { fileId: 'upl_1' })).toEqual({
      method: 'GET',
      path: '/api/uploads/upl_1/tracking',
    });
    expect(operation('getScopeContent', { scope: 'a b/c' }, { headers: { a: '1' } })).toEqual({
      method: 'GET',
      path: '/api/scopes/a%20b%2Fc/content',
      headers: { a: '1' },
    });
    expect(operation('listFiles')).toEqual({ method: 'GET', path: '/api/files' });
    // @ts-expect-error the operation's path needs its fileId
    void (() => operation('getTracking', {}));
  });

  it('leaves no API path written by hand in the SDK, the CLI or the connector', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const sources = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) =>
          e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
        );
    const written = ['client/src', 'cli/src', 'connector/src']
      .flatMap((d) => sources(path.join(root, d)))
      .flatMap((file) =>
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ at: `${path.relative(root, file)}:${i + 1}`, line })),
      )
      .filter(({ line }) => !/^\s*(\/?\*|\/\/)/.test(line) && /['"`]\/api\//.test(line));
    expect(written.map((w) => w.at)).toEqual([]);
  });
});
