/**
 * What the benchmarks share: the platform as its own process (as `npm start` runs it) with an instance and an
 * integration, its peak RSS from /proc, deterministic JSON array files, and small HTTP helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { solveChallenge } from 'altcha-lib';
import pg from 'pg';
import { request } from 'undici';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = 'bench-admin-token-0123456789abcdef';
const SECRET = 'benchmark secret, long enough';

const children = new Set<ChildProcess>();
let reaping = false;

/**
 * Servers a benchmark starts die with it: when it ends, fails, or is interrupted (Ctrl-C, kill), which would
 * otherwise leave them running and loading the machine that the next benchmark measures.
 */
export function ownChild<C extends ChildProcess>(child: C): C {
  if (!reaping) {
    reaping = true;
    process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function call(
  base: string,
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await request(base + p, {
    method: method as 'GET',
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${p}: ${res.statusCode} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The time now in epoch milliseconds, below the millisecond: comparable across the benchmarks' processes. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** The p-th percentile (0–100) of some figures. */
export function pct(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return (performance.now() - t0) / 1000;
}

export type BenchPlatform = Awaited<ReturnType<typeof startPlatform>>;
export type PlatformProcess = Awaited<ReturnType<typeof spawnPlatform>>;

/** What a platform process takes for PostgreSQL: the database, and a SECRETS_KEY shared by every process on it. */
export const databaseEnv = (url: string) => ({ DATABASE_URL: url, SECRETS_KEY: '11'.repeat(32) });

/**
 * A platform process in a fresh folder under `work`, once it is ready, with nothing in it (startPlatform adds an
 * instance and an integration). Several on one DATABASE_URL (and S3_* in `env`) are one platform.
 */
export async function spawnPlatform(
  work: string,
  opts: { databaseUrl?: string; env?: Record<string, string>; root?: string } = {},
) {
  const root = opts.root ?? ROOT;
  const dataDir = fs.mkdtempSync(path.join(work, 'data-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const flags = process.env.BENCH_NODE_FLAGS;
  const [command, args] =
    flags === undefined
      ? [path.join(root, 'packages/platform/bin/platform.js'), []]
      : [process.execPath, [...flags.split(' ').filter(Boolean), path.join(root, 'packages/platform/dist/main.js')]];
  const env = {
    PATH: process.env.PATH!,
    PORT: String(port),
    DATA_DIR: dataDir,
    ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'warn',
    ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
    ...opts.env,
    ...(opts.databaseUrl ? databaseEnv(opts.databaseUrl) : {}),
  };
  let child = ownChild(spawn(command, args, { env, stdio: 'ignore' }));
  let exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping = false;
  /** Exits that neither stop() nor killAndRestart() asked for: crashes. */
  let crashes = 0;
  const watch = () => child.once('exit', () => (stopping ? undefined : crashes++));
  watch();
  const ready = async () => {
    for (let i = 0; ; i++) {
      try {
        await call(base, 'GET', '/ready'); // answers 503 until the platform has started
        break;
      } catch {
        if (i > 1200) throw new Error('platform did not start'); // a minute: a loaded machine is slow to migrate
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await ready();
  const peakRssMb = () =>
    Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  const stop = () => {
    stopping = true;
    child.kill('SIGTERM');
  };
  const stopped = async () => {
    stop();
    await exited;
  };
  /** kill -9, then the same platform (folder, port, store) again, once it is ready. */
  const killAndRestart = async () => {
    stopping = true;
    child.kill('SIGKILL');
    await exited;
    stopping = false;
    child = ownChild(spawn(command, args, { env, stdio: 'ignore' }));
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    watch();
    await ready();
  };
  const rssMb = () =>
    Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  return {
    base,
    dataDir,
    port,
    get pid() {
      return child.pid!;
    },
    peakRssMb,
    rssMb,
    killAndRestart,
    get crashes() {
      return crashes;
    },
    stop,
    stopped,
  };
}

/**
 * A platform process in a fresh folder under `work`, with an instance and an integration of an application whose
 * notificationUrl is given (default: one that never answers). BENCH_NODE_FLAGS runs it with other Node flags;
 * `root` runs the build of another checkout (to compare two versions).
 */
export async function startPlatform(
  work: string,
  opts: { notificationUrl?: string; databaseUrl?: string; env?: Record<string, string>; root?: string } = {},
) {
  const proc = await spawnPlatform(work, opts);
  const { base, dataDir } = proc;
  const notificationUrl = opts.notificationUrl ?? 'http://127.0.0.1:9/events';
  const instance = await call(
    base,
    'POST',
    '/api/admin/instances',
    { name: 'Bench', product: 'Sage 50' },
    { authorization: `Bearer ${ADMIN}` },
  );
  const { registrationUrl } = await call(base, 'POST', '/api/developers', {
    name: 'Bench',
    email: 'bench@example.com',
    application: { name: 'Bench', solution: 'ecommerce', notificationUrl },
  });
  const challenge = await (await fetch(`${registrationUrl}/challenge`)).json();
  const solved = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber)
    .promise;
  await fetch(registrationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `altcha=${encodeURIComponent(Buffer.from(JSON.stringify({ ...challenge, number: solved!.number })).toString('base64'))}`,
  });
  const mailDir = path.join(dataDir, 'mail');
  while (!fs.existsSync(mailDir) || !fs.readdirSync(mailDir).some((f) => f.endsWith('.eml')))
    await new Promise((r) => setTimeout(r, 20));
  const eml = fs.readFileSync(
    path.join(
      mailDir,
      fs.readdirSync(mailDir).find((f) => f.endsWith('.eml'))!,
    ),
    'utf8',
  );
  const developerId = /Developer ID: (\S+)/.exec(eml)![1];
  const applicationId = /Application ID: (\S+)/.exec(eml)![1];
  const pc = await call(base, 'POST', `/api/developers/${developerId}/applications/${applicationId}/passcodes`, {
    secret: SECRET,
  });
  const consent = await call(
    base,
    'POST',
    '/api/connector/consents',
    { passcode: pc.passcode },
    { 'x-instance-key': instance.instanceKey },
  );
  await call(base, 'POST', `/api/connector/consents/${consent.consentId}/grant`, undefined, {
    'x-instance-key': instance.instanceKey,
  });
  const { apikey } = await call(
    base,
    'POST',
    `/api/developers/${developerId}/applications/${applicationId}/passcodes/${pc.passcodeId}/apikey`,
    { secret: SECRET },
  );
  return {
    ...proc,
    get pid() {
      return proc.pid;
    },
    get crashes() {
      return proc.crashes;
    },
    developerId: developerId!,
    instanceKey: instance.instanceKey as string,
    apikey: apikey as string,
  };
}

/** User + system CPU seconds of a process so far (from /proc). */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** A seeded PRNG (mulberry32): the same files on every run. */
export function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a JSON array of `record(i)` for i = 0, 1, … until about `mb` megabytes or `records` records (a record
 * that gives undefined is left out), then those `extra` makes; returns the path, the record count and the size.
 */
export async function writeJsonArray(
  file: string,
  target: { mb?: number; records?: number },
  record: (i: number) => unknown,
  extra: () => unknown[] = () => [],
) {
  const out = fs.createWriteStream(file, { highWaterMark: 1 << 20 });
  let size = 0;
  let records = 0;
  let chunk = '[';
  const limit = target.mb ? target.mb * 1e6 : Infinity;
  for (let i = 0; (target.records === undefined || i < target.records) && size + chunk.length < limit; i++) {
    const r = record(i);
    if (r === undefined) continue;
    chunk += (records++ ? ',' : '') + JSON.stringify(r);
    if (chunk.length > 1 << 20) {
      size += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  for (const r of extra()) chunk += (records++ ? ',' : '') + JSON.stringify(r); // made after the others: a seeded PRNG gives them in order
  chunk += ']';
  out.end(chunk);
  await new Promise<void>((r) => out.on('finish', () => r()));
  return { file, records, bytes: fs.statSync(file).size };
}

/** A fresh database on the PostgreSQL server of `url`, named after `prefix`; drop() removes it. */
export async function freshDatabase(url: string, prefix = 'bench') {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
