/**
 * Capacity of one platform process and of three, in one run: each behind HAProxy (a backend of one, then of
 * three, so that the process count is the only difference), on one PostgreSQL and one radosgw, as the cluster test
 * runs them (packages/platform/test/cluster). For each, in this order, through the proxy:
 *
 *   1. ingest: BENCH_PARALLEL scope files of BENCH_MB each uploaded at once (streamed, validated), BENCH_ROUNDS times;
 *   2. API: autocannon -c BENCH_CONNECTIONS for BENCH_SECONDS on `GET /api/integration`, then `GET /api/files`, each
 *      after BENCH_WARMUP seconds of the same not counted;
 *   3. download: BENCH_PARALLEL downloads at once of one of those files (curl into /dev/null), BENCH_ROUNDS times,
 *      beside the baseline of the same object fetched straight from radosgw the same way (signed curls);
 *   4. deliveries: BENCH_EVENTS events committed in one transaction over BENCH_APPLICATIONS applications, each on a
 *      loopback host of its own (as bench:webhooks does), drained to a receiver in a process of its own.
 *
 * Beside each figure, the cores each party used meanwhile (from /proc: the platform processes, PostgreSQL's,
 * radosgw's and its OSD's and mon's, HAProxy, this process with autocannon, the receiver) and the machine's busy
 * share: where the limit is. Each side gets a fresh database and bucket (the start-up sweep looks at a whole bucket).
 *
 *   source .ci/postgres.sh && start_throwaway_postgres
 *   source .ci/radosgw.sh && start_throwaway_radosgw
 *   BENCH_DATABASE_URL=$TEST_DATABASE_URL BENCH_S3_ENDPOINT=$TEST_S3_ENDPOINT BENCH_S3_REGION=$TEST_S3_REGION \
 *     BENCH_S3_ACCESS_KEY_ID=$TEST_S3_ACCESS_KEY_ID BENCH_S3_SECRET_ACCESS_KEY=$TEST_S3_SECRET_ACCESS_KEY \
 *     npm run bench:cluster
 *   BENCH_PROCESSES=1,2,3 BENCH_SECONDS=10 BENCH_MB=100 npm run bench:cluster
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import { request } from 'undici';
import { loadConfig } from '../packages/platform/src/config.js';
import { createLogger } from '../packages/platform/src/infra/log.js';
import { createPlatform } from '../packages/platform/src/platform.js';
import { addApplications, loopbackEndpoint } from './applications.js';
import { cephPids, ofPids, postgresCpu, watched, type Parties } from './cpu.js';
import {
  call,
  databaseEnv,
  epochMs,
  freePort,
  freshDatabase,
  ownChild,
  prng,
  spawnPlatform,
  startPlatform,
  timed,
  writeJsonArray,
  type PlatformProcess,
} from './platform.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const S3_VARS = ['ENDPOINT', 'REGION', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY'] as const;
const missing = [
  'BENCH_DATABASE_URL',
  ...S3_VARS.map((v) => `BENCH_S3_${v}`),
  ...(spawnSync('haproxy', ['-v']).status === 0 ? [] : ['haproxy (apt-get install -y haproxy)']),
].filter((v) => v.startsWith('haproxy') || !process.env[v]);
if (missing.length > 0) {
  console.error(`bench:cluster needs ${missing.join(', ')}. A throwaway PostgreSQL and radosgw:

  source .ci/postgres.sh && start_throwaway_postgres
  source .ci/radosgw.sh && start_throwaway_radosgw
  export BENCH_DATABASE_URL=$TEST_DATABASE_URL BENCH_S3_ENDPOINT=$TEST_S3_ENDPOINT BENCH_S3_REGION=$TEST_S3_REGION
  export BENCH_S3_ACCESS_KEY_ID=$TEST_S3_ACCESS_KEY_ID BENCH_S3_SECRET_ACCESS_KEY=$TEST_S3_SECRET_ACCESS_KEY
  npm run bench:cluster
  stop_throwaway_radosgw; stop_throwaway_postgres`);
  process.exit(2);
}

const PROCESSES = (process.env.BENCH_PROCESSES ?? '1,3').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const MB = Number(process.env.BENCH_MB ?? 20);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 8_000);
const APPLICATIONS = Number(process.env.BENCH_APPLICATIONS ?? 256);
const PG_URL = process.env.BENCH_DATABASE_URL!;
const s3 = {
  endpoint: process.env.BENCH_S3_ENDPOINT!,
  region: process.env.BENCH_S3_REGION!,
  forcePathStyle: true,
  credentials: {
    accessKeyId: process.env.BENCH_S3_ACCESS_KEY_ID!,
    secretAccessKey: process.env.BENCH_S3_SECRET_ACCESS_KEY!,
  },
  requestChecksumCalculation: 'WHEN_REQUIRED' as const,
  responseChecksumValidation: 'WHEN_REQUIRED' as const,
};
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-cluster-'));

/** A bucket of its own for one side, emptied and removed by drop(). */
async function freshBucket() {
  const client = new S3Client(s3);
  const bucket = `cc-bench-${randomBytes(6).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    /** The key and size of the object whose key ends with `suffix`. */
    async find(suffix: string) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const o = page.Contents?.find((c) => c.Key!.endsWith(suffix));
      if (!o) throw new Error(`no object ending ${suffix}`);
      return { key: o.Key!, bytes: o.Size! };
    },
    async drop() {
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
        if (!page.Contents?.length) break;
        const Objects = page.Contents.map((o) => ({ Key: o.Key! }));
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
      client.destroy();
    },
  };
}

/** A products scope file of about `mb` megabytes, the same on every run. */
function productsFile(mb: number) {
  const rand = prng(42);
  return writeJsonArray(path.join(work, `products-${mb}MB.json`), { mb }, (i) => ({
    id: `P${String(i).padStart(8, '0')}`,
    name: `Product ${i}`,
    shortDescription: `A sturdy tool for the garden, model ${Math.floor(rand() * 1e6)}`,
    longDescription: 'Made of steel and ash. '.repeat(1 + Math.floor(rand() * 6)),
    barCodeType: 'EAN13',
    barCode: String(Math.floor(rand() * 1e13)).padStart(13, '0'),
    netPrice: Math.round(rand() * 100000) / 100,
    tax: 20,
    discountByUnit: true,
    stockQuantity: Math.floor(rand() * 500),
    timestamp: '2026-11-28T10:00:00.000Z',
  }));
}

// The webhook receiver in a process of its own (bench/receiver.ts), as bench:webhooks runs it.
const receiver = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
type FromReceiver = { port?: number; arrivals?: Array<[string, number]> };
const fromReceiver = <T>(pick: (m: FromReceiver) => T | undefined) =>
  new Promise<T>((resolve) => {
    const on = (m: FromReceiver) => {
      const v = pick(m);
      if (v === undefined) return;
      receiver.off('message', on);
      resolve(v);
    };
    receiver.on('message', on);
  });
receiver.send({ listen: true });
const receiverPort = await fromReceiver((m) => m.port);
async function collect(): Promise<Array<[string, number]>> {
  receiver.send({ collect: true });
  return fromReceiver((m) => m.arrivals);
}

const file = await productsFile(MB);
const pgCpu = await postgresCpu(PG_URL);
const ceph = cephPids(s3.endpoint);
process.stderr.write(
  `CPU counted for PostgreSQL's postmaster and its children, and ${ceph.length} of radosgw's processes (radosgw, OSD, mon)\n`,
);

interface Side {
  n: number;
  ingest: { rps: number; mbps: number; cores: string };
  api: Array<{
    route: string;
    rps: number;
    p50: number;
    p99: number;
    cores: string;
    platformUs: number;
    postgresUs: number;
  }>;
  download: { mbps: number; cores: string; direct: number; directCores: string };
  deliveries: { rps: number; seconds: number; cores: string };
  rss: number[];
  down: string[];
}

async function side(n: number): Promise<Side> {
  const [db, bucket] = await Promise.all([freshDatabase(PG_URL, 'bench_cluster'), freshBucket()]);
  const env = {
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: bucket.bucket,
    S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  };
  const procs: PlatformProcess[] = [];
  let proxy: ReturnType<typeof spawn> | undefined;
  /** HAProxy's reports of a process marked down (its health check failed twice). */
  const down: string[] = [];
  let inProcess: Awaited<ReturnType<typeof createPlatform>> | undefined;
  try {
    // The first process makes the instance and the integration (its mail is in its own folder), then the others.
    const first = await startPlatform(work, {
      databaseUrl: db.url,
      env,
      notificationUrl: `http://127.0.0.1:${receiverPort}/hook`,
    });
    procs.push(first);
    procs.push(
      ...(await Promise.all(Array.from({ length: n - 1 }, () => spawnPlatform(work, { databaseUrl: db.url, env })))),
    );
    const port = await freePort();
    const cfg = path.join(work, `haproxy-${n}.cfg`);
    // The cluster test's configuration (README: Running several processes).
    fs.writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 2000',
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 60s',
        '  timeout server 60s',
        '  retries 3',
        '  option redispatch',
        'frontend web',
        `  bind 127.0.0.1:${port}`,
        '  default_backend platform',
        'backend platform',
        '  balance roundrobin',
        '  option httpchk GET /ready',
        '  http-check expect status 200',
        '  retry-on conn-failure empty-response response-timeout',
        // The README's health check: the cluster test's (every 500 ms) marks a process down while ingest keeps
        // it busy on this loaded machine, and with one process that is an outage (503: no server available).
        ...procs.map((p, i) => `  server p${i} 127.0.0.1:${p.port} check inter 2s fall 2 rise 1`),
      ].join('\n') + '\n',
    );
    proxy = ownChild(spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] }));
    proxy.stderr!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (/ is DOWN/.test(line)) down.push(line.trim());
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await call(base, 'GET', '/ready').then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (i > 200) throw new Error('HAProxy did not answer');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1500)); // every server's health check has passed
    const parties: Parties = {
      platform: ofPids(() => procs.map((p) => String(p.pid))),
      postgres: pgCpu,
      radosgw: ofPids(() => ceph),
      haproxy: ofPids(() => [String(proxy!.pid)]),
      receiver: ofPids(() => [String(receiver.pid)]),
    };
    const apiKey = { 'x-api-key': first.apikey };
    process.stderr.write(`${n} process${n > 1 ? 'es' : ''} ready behind HAProxy\n`);

    // 1. Ingest: PARALLEL scope files at once, ROUNDS times.
    let records = 0;
    let lastFileId = '';
    const ingest = await watched(parties, () =>
      timed(async () => {
        for (let r = 0; r < ROUNDS; r++) {
          await Promise.all(
            Array.from({ length: PARALLEL }, async () => {
              const res = await request(`${base}/api/connector/solutions/ecommerce/scopes/products`, {
                method: 'PUT',
                headers: { 'content-type': 'application/json', 'x-instance-key': first.instanceKey },
                body: fs.createReadStream(file.file, { highWaterMark: 1 << 20 }),
              }).catch((error: Error) => {
                // Answered (and closed) before the body was sent: HAProxy's 503 when it has no process up.
                throw new Error(
                  `scope file: ${error.message}; HAProxy: ${down.join('; ') || 'no process marked down'}`,
                );
              });
              const body = (await res.body.json()) as { fileId: string; records: number };
              if (res.statusCode !== 201) throw new Error(`scope file: ${res.statusCode} ${JSON.stringify(body)}`);
              records += body.records;
              lastFileId = body.fileId;
            }),
          );
        }
      }),
    );
    const ingested = {
      rps: records / ingest.result,
      mbps: (ROUNDS * PARALLEL * file.bytes) / 1e6 / ingest.result,
      cores: ingest.cores,
    };
    process.stderr.write(`  ingest ${ingested.rps.toFixed(0)} records/s; cores: ${ingest.cores}\n`);

    // 2. The API: authenticated GETs, one route after the other.
    const api: Side['api'] = [];
    for (const route of ['/api/integration', '/api/files']) {
      const options = { url: base + route, headers: apiKey, connections: CONNECTIONS };
      await autocannon({ ...options, duration: WARMUP }); // every process warmed up (JIT, key cache), not counted
      const run = await watched(parties, () => autocannon({ ...options, duration: SECONDS }));
      const r = run.result;
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${route}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      const us = (party: string) => (run.seconds[party]! * 1e6) / r.requests.total;
      api.push({
        route,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        cores: run.cores,
        platformUs: us('platform'),
        postgresUs: us('postgres'),
      });
      process.stderr.write(`  GET ${route} ${r.requests.average.toFixed(0)} req/s; cores: ${run.cores}\n`);
    }

    // 3. Downloads: PARALLEL at once of the last file, ROUNDS times, curl into /dev/null; beside it, the same
    // object fetched straight from radosgw by as many curls (signed): what the storage gives here, the baseline.
    const curl = (url: string, args: string[]) =>
      new Promise<void>((resolve, reject) => {
        const c = spawn('curl', ['-sf', '-o', '/dev/null', ...args, url], { stdio: 'ignore' });
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`curl ${url} exited with ${code}`))));
      });
    const downloads = (url: string, args: string[]) =>
      timed(async () => {
        for (let r = 0; r < ROUNDS; r++) await Promise.all(Array.from({ length: PARALLEL }, () => curl(url, args)));
      });
    const download = await watched(parties, () =>
      downloads(`${base}/api/files/${lastFileId}/content`, ['-H', `x-api-key: ${first.apikey}`]),
    );
    const blob = await bucket.find(`/${lastFileId}.json`);
    const direct = await watched(parties, () =>
      downloads(`${s3.endpoint}/${bucket.bucket}/${blob.key}`, [
        '--aws-sigv4',
        `aws:amz:${s3.region}:s3`,
        '--user',
        `${s3.credentials.accessKeyId}:${s3.credentials.secretAccessKey}`,
        '-H',
        `x-amz-content-sha256: ${EMPTY_SHA256}`, // radosgw wants the payload's hash, which curl does not send
      ]),
    );
    const downloaded = {
      mbps: (ROUNDS * PARALLEL * file.bytes) / 1e6 / download.result,
      cores: download.cores,
      direct: (ROUNDS * PARALLEL * blob.bytes) / 1e6 / direct.result,
      directCores: direct.cores,
    };
    process.stderr.write(`  download ${downloaded.mbps.toFixed(0)} MB/s; cores: ${download.cores}\n`);
    process.stderr.write(`  straight from radosgw ${downloaded.direct.toFixed(0)} MB/s; cores: ${direct.cores}\n`);

    // 4. Deliveries: EVENTS events committed at once over APPLICATIONS applications on as many hosts.
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: fs.mkdtempSync(path.join(work, 'events-')),
      ADMIN_TOKEN: 'b'.repeat(32),
      ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
      ...databaseEnv(db.url),
    });
    inProcess = await createPlatform(config, createLogger('warn')); // not started: it only writes the events
    const apps = await addApplications(
      inProcess,
      Array.from({ length: APPLICATIONS }, (_, i) => loopbackEndpoint(i, APPLICATIONS, receiverPort)),
    );
    await new Promise((r) => setTimeout(r, 1000)); // the seed's and the scope files' events are delivered
    await collect();
    const { events } = inProcess;
    const ids = new Set(
      await inProcess.store.db.transaction().execute(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < EVENTS; i++)
          out.push(await events.record(tx, { applicationId: apps[i % APPLICATIONS]!, type: 'webhook.test', data: {} }));
        return out;
      }),
    );
    const committedAt = epochMs();
    const delivered = await watched(parties, async () => {
      const arrivals: number[] = [];
      while (arrivals.length < EVENTS) {
        await new Promise((r) => setTimeout(r, 100));
        for (const [id, at] of await collect()) if (ids.has(id)) arrivals.push(at - committedAt);
      }
      return arrivals;
    });
    const last = Math.max(...delivered.result);
    const deliveries = { rps: EVENTS / (last / 1000), seconds: last / 1000, cores: delivered.cores };
    process.stderr.write(`  deliveries ${deliveries.rps.toFixed(0)}/s; cores: ${delivered.cores}\n`);

    const rss = procs.map((p) => p.peakRssMb());
    return { n, ingest: ingested, api, download: downloaded, deliveries, rss, down };
  } finally {
    await inProcess?.close();
    proxy?.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.stopped()));
    await Promise.allSettled([db.drop(), bucket.drop()]);
  }
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const loadBefore = load();
const sides: Side[] = [];
try {
  for (const n of PROCESSES) sides.push(await side(n));
} finally {
  receiver.disconnect();
  fs.rmSync(work, { recursive: true, force: true });
}

const order = sides.map((s) => s.n).join(', then ');
sides.sort((a, b) => a.n - b.n); // shown from the fewest processes; BENCH_PROCESSES=3,1 measures three first
const fmt = (v: number, digits = 0) =>
  v.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (pick: (s: Side) => number) =>
  sides.length > 1 ? `**${(pick(sides[sides.length - 1]!) / pick(sides[0]!)).toFixed(2)}**` : '';
const rows: string[][] = [
  ...sides[0]!.api.flatMap((_, i) => [
    [
      `GET ${sides[0]!.api[i]!.route} req/s (p50 / p99 ms)`,
      ...sides.map((s) => `${fmt(s.api[i]!.rps)} (${s.api[i]!.p50} / ${s.api[i]!.p99})`),
      ratio((s) => s.api[i]!.rps),
    ],
    [
      `  µs CPU per request: platform (all processes) / PostgreSQL`,
      ...sides.map((s) => `${fmt(s.api[i]!.platformUs)} / ${fmt(s.api[i]!.postgresUs)}`),
      ratio((s) => s.api[i]!.platformUs),
    ],
  ]),
  [
    `deliveries/s, ${fmt(EVENTS)} events committed at once, ${APPLICATIONS} applications on as many hosts (drained in s)`,
    ...sides.map((s) => `${fmt(s.deliveries.rps)} (${fmt(s.deliveries.seconds, 1)})`),
    ratio((s) => s.deliveries.rps),
  ],
  [
    `ingest records/s, ${PARALLEL} × ${MB} MB scope files at once (MB/s)`,
    ...sides.map((s) => `${fmt(s.ingest.rps)} (${fmt(s.ingest.mbps)})`),
    ratio((s) => s.ingest.rps),
  ],
  [
    `download MB/s, ${PARALLEL} at once (curl into /dev/null)`,
    ...sides.map((s) => fmt(s.download.mbps)),
    ratio((s) => s.download.mbps),
  ],
  [
    `baseline: the same object straight from radosgw, ${PARALLEL} curls at once, MB/s`,
    ...sides.map((s) => fmt(s.download.direct)),
    ratio((s) => s.download.direct),
  ],
  ['peak RSS MB per process', ...sides.map((s) => s.rss.map((r) => fmt(r)).join(', ')), ''],
  ['processes marked down by HAProxy (failed health checks)', ...sides.map((s) => String(s.down.length)), ''],
];
const names = sides.map((s) => `${s.n} process${s.n > 1 ? 'es' : ''}`);
console.log(
  `\n${os.cpus().length} cores; load average ${loadBefore} before, ${load()} after; each side behind HAProxy on PostgreSQL and radosgw (measured: ${order} processes); ` +
    `autocannon -c ${CONNECTIONS} -d ${SECONDS}; ${ROUNDS} rounds of ${PARALLEL} uploads and downloads of ${fmt(file.bytes / 1e6)} MB (${fmt(file.records)} records)\n`,
);
console.log(`| figure | ${names.join(' | ')} | ${sides.length > 1 ? `${names.at(-1)} ÷ ${names[0]}` : ''} |`);
console.log(`|---|${sides.map(() => '---|').join('')}---|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(
  '\nCores used meanwhile (cpu-seconds ÷ wall seconds; "other": the machine\'s remaining busy time: neighbours, curl, the kernel):\n',
);
for (const s of sides) {
  console.log(`${names[sides.indexOf(s)]}:`);
  console.log(`  ingest:       ${s.ingest.cores}`);
  for (const a of s.api) console.log(`  GET ${a.route.padEnd(16)} ${a.cores}`);
  console.log(`  download:     ${s.download.cores}`);
  console.log(`  from radosgw: ${s.download.directCores}`);
  console.log(`  deliveries:   ${s.deliveries.cores}`);
  for (const line of s.down) console.log(`  HAProxy: ${line}`);
}
