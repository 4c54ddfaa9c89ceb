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

export function freePort(): Promise<number> {
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
