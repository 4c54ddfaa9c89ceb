import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { RequestLog, createLogger, requestLogger } from '../../src/infra/log.js';

/** A Fastify app with the platform's logger, request line and request loggers; the lines written, the children made. */
async function app() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger('info', sink);
  const fastify = Fastify({
    loggerInstance: log,
    logController: new RequestLog(log),
    childLoggerFactory: requestLogger,
    genReqId: () => 'req_under_test',
  });
  fastify.get('/quiet', () => 'ok');
  fastify.get('/loud', (request, reply) => {
    request.log.warn({ apikey: 'cck_secret', body: { passcode: '123456' } }, 'something to say');
    request.log.info({ res: reply }, 'replying');
    return request.log.level;
  });
  fastify.get('/errors-only', { logLevel: 'error' }, (request) => {
    request.log.warn('not written');
    request.log.error('written');
    return request.log.level;
  });
  await fastify.ready();
  // Request loggers are children of Fastify's own logger (itself a child of the platform's, with its serializers).
  let children = 0;
  const parent = fastify.log;
  const child = parent.child.bind(parent);
  parent.child = (...args) => (children++, child(...args));
  return { fastify, lines, children: () => children };
}

it("makes a request's logger only when the request logs through it", async () => {
  const { fastify, lines, children } = await app();
  expect((await fastify.inject({ url: '/quiet' })).body).toBe('ok');
  expect(children()).toBe(0);
  expect(lines).toEqual([expect.objectContaining({ msg: 'request', url: '/quiet', status: 200 })]);
  const loud = await fastify.inject({ url: '/loud' });
  expect(loud.body).toBe('info');
  expect(children()).toBe(1);
  // Fastify's serializers still apply: a reply is logged as its status code.
  expect(lines.filter((l) => l.msg === 'replying')).toEqual([expect.objectContaining({ res: { statusCode: 200 } })]);
  const said = lines.filter((l) => l.msg === 'something to say');
  expect(said).toEqual([
    expect.objectContaining({
      level: 40,
      reqId: 'req_under_test',
      apikey: '[redacted]',
      body: { passcode: '[redacted]' },
    }),
  ]);
});

it("keeps a route's own log level", async () => {
  const { fastify, lines } = await app();
  const reply = await fastify.inject({ url: '/errors-only' });
  expect(reply.body).toBe('error');
  expect(lines.map((l) => l.msg)).toContain('written');
  expect(lines.map((l) => l.msg)).not.toContain('not written');
});

describe('the standard output', () => {
  /**
   * A process that logs `lines` lines through the platform's logger in one turn, then ends as `end` says; its
   * output is read only after `readAfterMs` (a slow log collector: the pipe fills, and writes must wait).
   */
  async function logThenEnd(lines: number, end: string, readAfterMs = 0) {
    const log = fileURLToPath(new URL('../../src/infra/log.ts', import.meta.url));
    const script = `import { createLogger } from ${JSON.stringify(log)};
      const log = createLogger('info');
      for (let i = 0; i < ${lines}; i++) log.info({ i }, 'line');
      ${end}`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), readAfterMs);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [status] = (await once(child, 'close')) as [number];
    return { status, stdout };
  }
  const numbers = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { i: number }).i);

  it('writes every line, also those still held when the process exits, is made to or throws', async () => {
    // More than a pipe takes at once (64 KB): 6,000 lines of about 80 bytes.
    const all = Array.from({ length: 6000 }, (_, i) => i);
    const ends = {
      '': 0,
      'process.exit(3);': 3,
      'throw new Error("ended");': 1,
      'setImmediate(() => process.exit(4));': 4,
    };
    // Each ending read at once, and read only after half a second: a full pipe, with the turn's lines on their way
    // (the exit a turn later) or not yet (the exit at once). In order, each: the same line twice, or two lines
    // swapped, fail as surely as one lost.
    const runs = [
      ...Object.entries(ends).map(([end, status]) => [end, status, 0] as const),
      ['process.exit(3);', 3, 500] as const,
      ['setImmediate(() => process.exit(4));', 4, 500] as const,
    ].map(async ([end, status, readAfterMs]) => ({
      end,
      status,
      readAfterMs,
      child: await logThenEnd(6000, end, readAfterMs),
    }));
    for (const { end, status, readAfterMs, child } of await Promise.all(runs)) {
      expect(numbers(child.stdout), `${end} read after ${readAfterMs} ms`).toEqual(all);
      expect(child.status).toBe(status);
    }
  });

  it('writes a line logged while the process exits, after the rest', async () => {
    const child = await logThenEnd(6000, 'process.on("exit", () => log.warn("last words")); process.exit(6);', 500);
    const lines = child.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(6001);
    expect(numbers(lines.slice(0, -1).join('\n'))).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ msg: 'last words' });
    expect(child.status).toBe(6);
  });

  it('holds at most 8 MiB for a reader that does not read, and says how many lines it dropped', async () => {
    // 120,000 lines of about 85 bytes (10 MB) in one turn, read only after the process has begun to exit.
    const child = await logThenEnd(120_000, 'setImmediate(() => process.exit(5));', 500);
    const lines = child.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { i?: number; msg: string; dropped?: number });
    const kept = lines.filter((l) => l.msg === 'line').map((l) => l.i);
    expect(kept.length).toBeGreaterThan(90_000);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i));
    expect(lines.at(-1)).toMatchObject({ msg: 'log lines dropped', dropped: 120_000 - kept.length });
    expect(Buffer.byteLength(child.stdout) - Buffer.byteLength(JSON.stringify(lines.at(-1))) - 1).toBeLessThanOrEqual(
      8 * 1024 * 1024,
    );
    expect(child.status).toBe(5);
  });
});
