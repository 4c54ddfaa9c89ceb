/**
 * API hot-path benchmark: authenticated GETs of the platform beside a bare Fastify route answering the same body,
 * and beside the floor (api-floor.ts: bare Fastify plus only what any service must do to answer such a GET: one
 * log line, a key checked from memory, one row read from the same database), loaded with autocannon in
 * alternation (platform, bare, floor, then another order) so that all meet the same machine load. Each server is
 * warmed up (2 s of the same load, unmeasured) before its first round, so that no round measures the JIT.
 * The platform runs as `npm start` runs it (bin/platform.js, LOG_LEVEL=info into /dev/null), on SQLite and, when
 * TEST_DATABASE_URL or DATABASE_URL is given, on a fresh PostgreSQL database created beside it.
 *
 *   npm run bench:api
 *   BENCH_DURATION=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 npm run bench:api
 *   BENCH_ROUTES=integration,files BENCH_STORES=sqlite npm run bench:api
 *   BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench:api   # the platform without the GC flags, profiled
 *   BENCH_AGAINST=/path/to/other/checkout npm run bench:api   # that checkout's build too, alternated: before/after
 *
 * Goals (issue 20): authenticated GET on SQLite ≥ 40% of bare Fastify with p99 ≤ 20 ms at 50 connections;
 * PostgreSQL ≥ 25%. On a shared machine absolute figures swing with the neighbours' load; the ratio of two runs
 * made side by side holds much better, so the ratio (median of the rounds' ratios) is the figure to judge by.
 * Steadier still under contention is the CPU time each server spends per request (from /proc: user + system
 * time of its process over the run, divided by the requests answered): `cpu ratio` is bare's over the
 * platform's, what the req/s ratio would be on an idle machine where both are CPU-bound. On PostgreSQL it leaves
 * out the database server's own CPU.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { request } from 'undici';
import {
  call,
  cpuSeconds,
  freePort,
  freshDatabase,
  ownChild,
  pct,
  startPlatform,
  type BenchPlatform,
} from './platform.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUTES = process.env.BENCH_ROUTES?.split(',');
const STORES = process.env.BENCH_STORES?.split(',') ?? ['sqlite', 'postgres'];
const PG_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const AGAINST = process.env.BENCH_AGAINST;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-api-'));

interface Target {
  name: string;
  path: string;
  headers: Record<string, string>;
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** CPU microseconds of the server process per request answered. */
  cpu: number;
}

/** A small scope file and a valid upload waiting in the inbox: what the four routes answer with. */
async function seed(p: BenchPlatform): Promise<{ targets: Target[]; uploadId: string }> {
  const product = (i: number) => ({
    id: `P${i}`,
    name: `Product ${i}`,
    netPrice: 10 + i,
    tax: 20,
    discountByUnit: true,
    timestamp: '2026-11-28T10:00:00.000Z',
  });
  const scope = await request(`${p.base}/api/connector/solutions/ecommerce/scopes/products`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-instance-key': p.instanceKey },
    body: JSON.stringify([product(1), product(2), product(3)]),
  });
  if (scope.statusCode !== 201) throw new Error(`scope file: ${scope.statusCode} ${await scope.body.text()}`);
  await scope.body.dump();
  const orders = fs.readFileSync(
    fileURLToPath(new URL('../packages/connector/examples/orders.json', import.meta.url)),
    'utf8',
  );
  const apiKey = { 'x-api-key': p.apikey };
  const upload = await request(`${p.base}/api/uploads?type=orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...apiKey },
    body: orders,
  });
  const { fileId } = (await upload.body.json()) as { fileId: string };
  if (upload.statusCode !== 202) throw new Error(`upload: ${upload.statusCode}`);
  for (
    let i = 0;
    (await call(p.base, 'GET', `/api/uploads/${fileId}/tracking`, undefined, apiKey)).status !== 'pending';
    i++
  ) {
    if (i > 200) throw new Error('the upload did not become pending');
    await new Promise((r) => setTimeout(r, 50));
  }
  const all: Target[] = [
    { name: 'integration', path: '/api/integration', headers: apiKey },
    { name: 'files', path: '/api/files', headers: apiKey },
    { name: 'tracking', path: `/api/uploads/${fileId}/tracking`, headers: apiKey },
    { name: 'inbox', path: '/api/connector/inbox', headers: { 'x-instance-key': p.instanceKey } },
  ];
  return { targets: all.filter((t) => !ROUTES || ROUTES.includes(t.name)), uploadId: fileId };
}

/**
 * Bare Fastify (api-bare.ts) or the floor (api-floor.ts) in its own process, one route per target answering the
 * body the platform gave for it.
 */
async function startServer(
  name: 'api-bare' | 'api-floor',
  routes: { path: string; body: unknown }[],
  env: Record<string, string> = {},
) {
  const port = await freePort();
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const child = ownChild(
    spawn(process.execPath, ['--import', 'tsx', script], {
      env: { PATH: process.env.PATH!, PORT: String(port), ROUTES: JSON.stringify(routes), ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await call(base, 'GET', routes[0]!.path);
      break;
    } catch {
      if (i > 200) throw new Error(`${name} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    base,
    pid: child.pid!,
    async stopped() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function load(url: string, headers: Record<string, string>, pid: number, duration = DURATION): Promise<Run> {
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpu: ((cpuSeconds(pid) - cpu0) * 1e6) / r.requests.total,
  };
}

const median = (xs: number[]) => pct(xs, 50);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

type Contender = 'platform' | 'bare' | 'floor' | 'before';
const rows: string[][] = [];
for (const store of STORES) {
  if (store === 'postgres' && !PG_URL) {
    console.log(
      'PostgreSQL: skipped (set TEST_DATABASE_URL or DATABASE_URL; `source .ci/postgres.sh && start_throwaway_postgres`)',
    );
    continue;
  }
  const database = store === 'postgres' ? await freshDatabase(PG_URL!, 'bench_api') : undefined;
  const before = store === 'postgres' && AGAINST ? await freshDatabase(PG_URL!, 'bench_api') : undefined;
  const env = { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' };
  const platform = await startPlatform(work, { databaseUrl: database?.url, env });
  const previous = AGAINST ? await startPlatform(work, { databaseUrl: before?.url, env, root: AGAINST }) : undefined;
  let bare: Awaited<ReturnType<typeof startServer>> | undefined;
  let floor: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const { targets, uploadId } = await seed(platform);
    const previousTargets = previous ? (await seed(previous)).targets : undefined;
    const bodies = await Promise.all(
      targets.map(async (t) => ({
        path: t.path,
        body: await call(platform.base, 'GET', t.path, undefined, t.headers),
      })),
    );
    bare = await startServer('api-bare', bodies);
    floor = await startServer('api-floor', bodies, {
      UPLOAD_ID: uploadId,
      ...(database
        ? { DATABASE_URL: database.url }
        : { SQLITE_FILE: path.join(platform.dataDir, 'connected-cloud.db') }),
    });
    for (const [i, t] of targets.entries()) {
      const url: Record<Contender, string> = {
        platform: platform.base + t.path,
        bare: bare.base + t.path,
        floor: floor.base + t.path,
        before: `${previous?.base}${previousTargets?.[i]!.path}`,
      };
      const headers: Record<Contender, Record<string, string>> = {
        platform: t.headers,
        bare: t.headers,
        floor: t.headers,
        before: previousTargets?.[i]!.headers ?? {},
      };
      const contenders: Contender[] = previous
        ? ['platform', 'bare', 'floor', 'before']
        : ['platform', 'bare', 'floor'];
      const pid: Record<Contender, number> = {
        platform: platform.pid,
        bare: bare.pid,
        floor: floor.pid,
        before: previous?.pid ?? 0,
      };
      // Warmed up, unmeasured: no round measures the JIT.
      for (const which of contenders) await load(url[which], headers[which], pid[which], 2);
      const runs: Record<Contender, Run>[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternated: each round starts with another contender and goes the other way round.
        const order = contenders.map((_, k) => contenders[(k + round) % contenders.length]!);
        if (round % 2 === 1) order.reverse();
        const r = {} as Record<Contender, Run>;
        for (const which of order) r[which] = await load(url[which], headers[which], pid[which]);
        runs.push(r);
        const vsBefore = previous
          ? `, before ${fmt(r.before.rps)} (after/before ${fmt(r.platform.rps / r.before.rps, 2)})`
          : '';
        const cpu = `cpu ${fmt(r.platform.cpu)} vs ${fmt(r.bare.cpu)} µs/req (${fmt(r.bare.cpu / r.platform.cpu, 2)})`;
        const vsFloor = `floor ${fmt(r.floor.rps)} req/s, ${fmt(r.floor.cpu)} µs/req`;
        process.stderr.write(
          `${store} ${t.name} round ${round + 1}: ${fmt(r.platform.rps)} vs ${fmt(r.bare.rps)} req/s (${fmt(r.platform.rps / r.bare.rps, 2)}), ${cpu}; ${vsFloor}${vsBefore}\n`,
        );
      }
      const m = (which: Contender, k: keyof Run) => median(runs.map((r) => r[which][k]));
      const ratio = (a: Contender, b: Contender, k: 'rps' | 'cpu' = 'rps') =>
        `**${fmt(median(runs.map((r) => (k === 'rps' ? r[a].rps / r[b].rps : r[b].cpu / r[a].cpu))), 2)}**`;
      const cells = (which: Contender) => [
        fmt(m(which, 'rps')),
        `${fmt(m(which, 'p50'))} / ${fmt(m(which, 'p99'))}`,
        fmt(m(which, 'cpu')),
      ];
      const route = `GET ${t.path.replace(/upl_\w+/, '{id}')}`;
      rows.push([
        store,
        route,
        ...cells('platform'),
        ...cells('bare'),
        ...cells('floor'),
        ratio('platform', 'bare'),
        ratio('platform', 'bare', 'cpu'),
        ratio('floor', 'bare'),
        ratio('floor', 'bare', 'cpu'),
        ratio('platform', 'floor'),
        ...(previous
          ? [
              ...cells('before'),
              ratio('before', 'bare'),
              ratio('before', 'bare', 'cpu'),
              ratio('platform', 'before'),
              ratio('platform', 'before', 'cpu'),
            ]
          : []),
      ]);
    }
  } finally {
    await bare?.stopped();
    await floor?.stopped();
    await platform.stopped();
    await previous?.stopped();
    await database?.drop();
    await before?.drop();
  }
}
fs.rmSync(work, { recursive: true, force: true });

console.log(
  `\n${ROUNDS} rounds of autocannon -c ${CONNECTIONS} -d ${DURATION}, alternated; medians (the ratio: median of the rounds' ratios)\n`,
);
const extra = AGAINST
  ? ' before req/s | p50 / p99 ms | µs CPU/req | before/bare | cpu ratio | after/before | cpu ratio |'
  : '';
console.log(
  '| store | route | platform req/s | p50 / p99 ms | µs CPU/req | bare Fastify req/s | p50 / p99 ms | µs CPU/req ' +
    `| floor req/s | p50 / p99 ms | µs CPU/req | platform/bare | cpu ratio | floor/bare | cpu ratio | platform/floor |${extra}`,
);
console.log(
  `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|${AGAINST ? '---|---|---|---|---|---|---|' : ''}`,
);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
