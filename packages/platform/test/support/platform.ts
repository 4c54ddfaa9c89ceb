import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/infra/clock.js';
import { createLogger } from '../../src/infra/log.js';
import { startPlatform, type RunningPlatform } from '../../src/server.js';
import { afterAll, beforeAll } from 'vitest';
import { MailCatcher } from './smtp.js';
import type { TestStore } from './stores.js';

export interface TestPlatform extends RunningPlatform {
  dataDir: string;
  /** Every log line the platform wrote, as text. */
  logs: string[];
  /** A JSON request to the platform; returns status, headers and the parsed body. */
  api(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A platform on a free loopback port, in-process, with a fresh DATA_DIR and the given store. */
export async function startTestPlatform(opts: {
  store: TestStore;
  env?: Record<string, string>;
  configure?: (config: Config) => void;
  dataDir?: string;
  /** A clock the test moves (TestClock), instead of waiting for TTLs and grace periods. */
  clock?: Clock;
}): Promise<TestPlatform> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cc-test-'));
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    ...(opts.store.databaseUrl ? { DATABASE_URL: opts.store.databaseUrl } : {}),
    ...opts.env,
  });
  config.captchaMaxNumber = 2_000; // keeps proof-of-work quick in tests; the mechanism is the same
  opts.configure?.(config);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const running = await startPlatform(config, createLogger('debug', sink), opts.clock ? { clock: opts.clock } : {});
  return {
    ...running,
    dataDir,
    logs,
    api: apiClient(running.url),
  };
}

/** JSON requests to a platform: status, headers and the parsed body. */
export function apiClient(baseUrl: string): TestPlatform['api'] {
  return async (method, urlPath, body, headers = {}) => {
    const res = await fetch(baseUrl + urlPath, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

/**
 * A port for a server that must be told its port before it starts (a child process, a platform whose public URL
 * names it). Not the kernel's `listen(0)` alone: a port it hands out, once closed, goes back to the ephemeral range,
 * where any outgoing connection of the suite may take it as its local port before the server binds it (EADDRINUSE:
 * a connector in CI never came up). These ports are taken below that range, which the kernel never hands out for
 * connections, from a block of its own for each Vitest worker (from a random place in it, so that two runs at once
 * seldom meet), each checked free by binding it. Where no block fits below the range, the kernel's port it is.
 */
export async function freePort(): Promise<number> {
  const block = (portBlock ??= blockOfThisWorker());
  for (let tries = 0; block && tries < PORT_BLOCK; tries++) {
    const port = block.start + (block.next++ % PORT_BLOCK);
    if (await bindable(port)) return port;
  }
  return kernelPort();
}

const PORT_BLOCK = 500;
/** Ports below this are left alone: well-known services (PostgreSQL's 5432, 8080…) live there. */
const LOWEST_PORT = 10_000;
let portBlock: { start: number; next: number } | undefined | null;

function blockOfThisWorker(): { start: number; next: number } | null {
  let ephemeralLow = 32_768;
  try {
    ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {} // not Linux: its usual range
  const worker = Number(process.env.VITEST_POOL_ID ?? 0); // 1 to maxWorkers in a run; 0 outside Vitest
  const start = ephemeralLow - PORT_BLOCK * (worker + 1);
  return start >= LOWEST_PORT ? { start, next: Math.floor(Math.random() * PORT_BLOCK) } : null;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a platform wired to a real SMTP server before the suite's tests, and stops both after them. */
export function usePlatformWithMail(
  store: TestStore,
  opts: { env?: Record<string, string>; configure?: (config: Config) => void; clock?: Clock } = {},
): { platform: TestPlatform; mail: MailCatcher } {
  const ctx = {} as { platform: TestPlatform; mail: MailCatcher };
  beforeAll(async () => {
    ctx.mail = await new MailCatcher().start();
    ctx.platform = await startTestPlatform({ store, ...opts, env: { SMTP_URL: ctx.mail.url, ...opts.env } });
  });
  afterAll(async () => {
    await ctx.platform?.stop();
    await ctx.mail?.stop();
  });
  return ctx;
}
