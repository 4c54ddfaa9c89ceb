import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { RequestLog, createLogger, requestLogger } from '../../src/infra/log.js';

/** A Fastify app on the platform's logger, request line and request loggers, with the lines it writes and its children made. */
async function app() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger('info', sink);
  let children = 0;
  const child = log.child.bind(log);
  log.child = ((...args: Parameters<typeof child>) => (children++, child(...args))) as typeof log.child;
  const fastify = Fastify({
    loggerInstance: log,
    logController: new RequestLog(log),
    childLoggerFactory: requestLogger,
    genReqId: () => 'req_under_test',
  });
  fastify.get('/quiet', () => 'ok');
  fastify.get('/loud', (request) => {
    request.log.warn({ apikey: 'cck_secret', body: { passcode: '123456' } }, 'something to say');
    return request.log.level;
  });
  fastify.get('/errors-only', { logLevel: 'error' }, (request) => {
    request.log.warn('not written');
    request.log.error('written');
    return request.log.level;
  });
  await fastify.ready();
  children = 0; // Fastify makes one of its own when it starts
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
