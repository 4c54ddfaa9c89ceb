/**
 * Event delivery benchmark: deliveries per second to a local receiver and commit-to-receipt latency, beside a
 * bare HTTP POST loop to the same receiver as the baseline, in the same run.
 *
 *   npm run bench:webhooks                      # SQLite
 *   BENCH_DATABASE_URL=postgres://… npm run bench:webhooks   # PostgreSQL as well, beside graphile-worker
 *
 * Goals (issues 3 and 19): ≥ 2,000 deliveries/s from one process on SQLite and on PostgreSQL; commit-to-receipt
 * p50 < 20 ms. On PostgreSQL, graphile-worker drains the same number of no-op jobs on the same server in the same
 * run (a queue doing nothing but queueing: the most a PostgreSQL job queue gives here), and the ratio is printed.
 */
import fs from 'node:fs';
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { Agent, request } from 'undici';
import { run as runGraphileWorker, makeWorkerUtils } from 'graphile-worker';
import { loadConfig } from '../packages/platform/src/config.js';
import { createLogger } from '../packages/platform/src/infra/log.js';
import type { Db } from '../packages/platform/src/infra/store/index.js';
import { createPlatform } from '../packages/platform/src/platform.js';
import { addApplications, loopbackEndpoint } from './applications.js';
import { epochMs, freshDatabase, pct } from './platform.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 500);
const APPLICATIONS = Number(process.env.BENCH_APPLICATIONS ?? 256); // events of one application go in order, one at a time: the parallelism is across them
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

// The receiver runs in its own process, so that the platform's event loop does only the platform's work.
const child = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
const fromReceiver = <T>(pick: (m: any) => T | undefined) =>
  new Promise<T>((resolve) => {
    const on = (m: unknown) => {
      const v = pick(m);
      if (v === undefined) return;
      child.off('message', on);
      resolve(v);
    };
    child.on('message', on);
  });
child.send({ listen: true });
const receiverPort = await fromReceiver<number>((m) => m.port);
const receiverUrl = `http://127.0.0.1:${receiverPort}/hook`;
// Each application's endpoint is a host of its own (a loopback address), as applications' receivers are: the
// per-endpoint concurrency (WEBHOOK_ENDPOINT_CONCURRENCY) then bounds each, not the run. BENCH_HOSTS=1 puts every
// application on one host, to see that bound.
const HOSTS = Number(process.env.BENCH_HOSTS ?? APPLICATIONS);
const endpointOf = (i: number) => loopbackEndpoint(i, HOSTS, receiverPort);
const now = epochMs;
async function collect(): Promise<Map<string, number>> {
  child.send({ collect: true });
  return new Map(await fromReceiver<Array<[string, number]>>((m) => m.arrivals));
}

const rows: string[][] = [];

async function benchPlatform(label: string, databaseUrl?: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-'));
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    ADMIN_TOKEN: 'b'.repeat(32),
    ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  config.queue.concurrency = CONCURRENCY;
  // The platform without its HTTP side: the events are committed here, as a feature's transaction would.
  const platform = await createPlatform(config, createLogger('warn'));
  const { db } = platform.store;
  const { events } = platform;
  const record = (tx: Db, i: number) =>
    events.record(tx, { applicationId: apps[i % APPLICATIONS]!, type: 'webhook.test', data: {} });

  const apps = await addApplications(
    platform,
    Array.from({ length: APPLICATIONS }, (_, i) => endpointOf(i)),
  );

  // 1. Commit EVENTS events (transactions of 100) with the worker not yet running: the outbox's own cost.
  await collect();
  let t0 = now();
  for (let b = 0; b < EVENTS / 100; b++) {
    await db.transaction().execute(async (tx) => {
      for (let i = 0; i < 100; i++) await record(tx, b * 100 + i);
    });
  }
  const commitRate = EVENTS / ((now() - t0) / 1000);
  // Statistics as a running database has them: autovacuum analyses a table a minute or so after it fills, but
  // a run on a fresh database drains within that minute, and whether it did yet made the drain vary threefold.
  if (databaseUrl) await sql`analyze`.execute(db);

  // 2. Start the worker and drain them all: deliveries per second.
  t0 = now();
  await platform.start();
  const received = new Map<string, number>();
  while (received.size < EVENTS) {
    await new Promise((r) => setTimeout(r, 100));
    for (const [id, at] of await collect()) received.set(id, at);
  }
  const drainRate = EVENTS / ((Math.max(...received.values()) - t0) / 1000);

  // 3. Latency with the platform idle: one event at a time, commit to receipt.
  const single: number[] = [];
  child.send({ watch: true });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const id = await db.transaction().execute((tx) => record(tx, i));
    const commitAt = now();
    single.push((await fromReceiver((m) => (m.id === id ? (m.at as number) : undefined))) - commitAt);
  }
  child.send({ watch: false });

  // 4. Latency under a steady load of half the drain rate, for 5 s, in transactions of 10 events.
  await collect();
  const committed = new Map<string, number>();
  const rate = Math.max(100, Math.floor(drainRate / 2));
  t0 = now();
  for (let n = 0; n < rate * 5; n += 10) {
    const due = t0 + (n / rate) * 1000;
    if (due > now()) await new Promise((r) => setTimeout(r, due - now()));
    const ids = await db
      .transaction()
      .execute(async (tx) => Promise.all(Array.from({ length: 10 }, (_, i) => record(tx, n + i))));
    const at = now();
    for (const id of ids) committed.set(id, at);
  }
  const loadedReceived = new Map<string, number>();
  while (loadedReceived.size < committed.size) {
    await new Promise((r) => setTimeout(r, 100));
    for (const [id, at] of await collect()) loadedReceived.set(id, at);
  }
  const loaded = [...committed].map(([id, at]) => loadedReceived.get(id)! - at);

  await platform.close();
  rows.push([
    label,
    commitRate.toFixed(0),
    drainRate.toFixed(0),
    pct(single, 50).toFixed(2),
    pct(single, 99).toFixed(2),
    `${rate}/s`,
    pct(loaded, 50).toFixed(2),
    pct(loaded, 99).toFixed(2),
  ]);
  return drainRate;
}

async function benchBaseline() {
  const agent = new Agent({ connections: CONCURRENCY });
  const post = async () => {
    const res = await request(receiverUrl, {
      method: 'POST',
      body: '{"type":"webhook.test","timestamp":"2026-11-28T10:00:00.000Z","data":{}}',
      headers: { 'content-type': 'application/json' },
      dispatcher: agent,
    });
    await res.body.dump();
  };
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < EVENTS) await post();
    }),
  );
  const rate = EVENTS / ((performance.now() - t0) / 1000);
  const single: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const s = now();
    await post();
    single.push(now() - s); // request to response: an upper bound of send to receipt
  }
  rows.push([
    'baseline: bare POST loop',
    '-',
    rate.toFixed(0),
    pct(single, 50).toFixed(2),
    pct(single, 99).toFixed(2),
    '-',
    '-',
    '-',
  ]);
  await agent.close();
}

/** graphile-worker draining EVENTS no-op jobs (keyed as our deliveries are: one queue per application), same concurrency. */
async function benchGraphileWorker(databaseUrl: string): Promise<number> {
  const schema = `bench_gw_${process.pid}`;
  const utils = await makeWorkerUtils({ connectionString: databaseUrl, schema });
  await utils.migrate();
  const add = async (queued: boolean) => {
    for (let b = 0; b < EVENTS; b += 1000) {
      // Added before the worker runs (not timed), as the platform's events are.
      await Promise.all(
        Array.from({ length: Math.min(1000, EVENTS - b) }, (_, i) =>
          utils.addJob('noop', { i: b + i }, queued ? { queueName: `app-${(b + i) % APPLICATIONS}` } : {}),
        ),
      );
    }
  };
  let done = 0;
  const drain = async () => {
    let finished: () => void = () => {};
    const all = new Promise<void>((r) => (finished = r));
    const t0 = now();
    const runner = await runGraphileWorker({
      connectionString: databaseUrl,
      schema,
      concurrency: CONCURRENCY,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: undefined,
      taskList: {
        noop: async () => {
          if (++done % EVENTS === 0) finished();
        },
      },
    });
    await all;
    const rate = EVENTS / ((now() - t0) / 1000);
    await runner.stop();
    return rate;
  };
  const query = async (text: string) => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await add(false);
  await query('analyze'); // as the platform's run does
  const unordered = await drain();
  await add(true);
  await query('analyze');
  const ordered = await drain();
  await utils.release();
  await query(`drop schema ${schema} cascade`);
  rows.push(['graphile-worker, no-op jobs', '-', unordered.toFixed(0), '-', '-', '-', '-', '-']);
  rows.push(['graphile-worker, no-op jobs in 256 queues', '-', ordered.toFixed(0), '-', '-', '-', '-', '-']);
  return ordered;
}

await benchBaseline();
await benchPlatform('platform, SQLite');
let ratio = '';
if (process.env.BENCH_DATABASE_URL) {
  // A fresh database each run: a database that earlier runs filled would make each run slower than the last.
  const database = await freshDatabase(process.env.BENCH_DATABASE_URL, 'bench_webhooks');
  const ours = await benchPlatform('platform, PostgreSQL', database.url).finally(() => database.drop());
  const theirs = await benchGraphileWorker(process.env.BENCH_DATABASE_URL);
  ratio = `PostgreSQL: platform deliveries/s ÷ graphile-worker no-op jobs/s (ordered by queue, as ours are) = ${(ours / theirs).toFixed(2)}`;
}
child.disconnect();

const head = [
  'run',
  'events committed/s',
  'deliveries/s',
  'idle p50 ms',
  'idle p99 ms',
  'steady load',
  'load p50 ms',
  'load p99 ms',
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(
  `\n${EVENTS} events over ${APPLICATIONS} applications, ${CONCURRENCY} in flight; ${LATENCY_SAMPLES} one-at-a-time samples; ${os.cpus().length} cores`,
);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log('latency: from the commit of the event to its receipt by the receiver (the baseline: request to response)');
if (ratio) console.log(ratio);
console.log('goals: ≥ 2000 deliveries/s from one process (SQLite and PostgreSQL); commit-to-receipt p50 < 20 ms');
