/**
 * Scope file benchmark: deterministic product files of 10 MB, 100 MB and 1 GB are uploaded (streamed, validated)
 * and downloaded, beside the baseline of copying the same file with the operating system, in the same run; the
 * platform runs as its own process, one per size, and its peak RSS is read from /proc. Then the changes between
 * two 1,000,000-record versions.
 *
 *   npm run bench:files                 # all sizes
 *   BENCH_SIZES=10,100 npm run bench:files
 *
 * Goals (issue 5): ingest ≥ 100,000 records/s (about 50 MB/s); download ≥ 70% of the copy baseline; peak RSS
 * < 150 MB at every size; changes between two 1,000,000-record versions in < 15 s.
 *
 * Downloads are timed twice, into a file on the same disk as the copy: with curl (a client that costs little, so
 * the figure is the platform's) and with undici in this process (what a Node application sees; on a small
 * machine the client's own copying competes with the server for the CPU).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { solveChallenge } from 'altcha-lib';
import { request } from 'undici';

const MAIN = fileURLToPath(new URL('../packages/platform/dist/main.js', import.meta.url));
const BIN = fileURLToPath(new URL('../packages/platform/bin/platform.js', import.meta.url));
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-files-'));
const ADMIN = 'bench-admin-token-0123456789abcdef';
const SECRET = 'benchmark secret, long enough';

/** A seeded PRNG (mulberry32): the same files on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function product(i: number, rand: () => number, version = 0) {
  return {
    id: `P${String(i).padStart(8, '0')}`,
    reference: `REF-${i}`,
    name: `Product ${i} ${['Hammer', 'Spade', 'Rake', 'Hose', 'Trowel', 'Shears'][i % 6]}`,
    shortDescription: `A sturdy tool for the garden, model ${Math.floor(rand() * 1e6)}`,
    longDescription: 'Made of steel and ash. '.repeat(1 + Math.floor(rand() * 6)),
    barCodeType: 'EAN13',
    barCode: String(Math.floor(rand() * 1e13)).padStart(13, '0'),
    netPrice: Math.round(rand() * 100000 + version) / 100,
    tax: 20,
    discount: 0,
    discountByUnit: true,
    brand: ['Acme', 'Bulldog', 'Spear & Jackson'][i % 3],
    category: 'Garden/Tools',
    stockQuantity: Math.floor(rand() * 500),
    timestamp: '2026-11-28T10:00:00.000Z',
  };
}

/** Writes a products file of about `mb` megabytes; returns its path and record count. */
async function generate(name: string, target: { mb?: number; records?: number }, vary?: (i: number) => 'keep' | 'change' | 'drop', extra = 0) {
  const file = path.join(work, name);
  const out = fs.createWriteStream(file, { highWaterMark: 1 << 20 });
  const rand = prng(42);
  let size = 0;
  let records = 0;
  let chunk = '[';
  const limit = target.mb ? target.mb * 1e6 : Infinity;
  for (let i = 0; (target.records === undefined || i < target.records) && size + chunk.length < limit; i++) {
    const p = product(i, rand);
    const v = vary?.(i) ?? 'keep';
    if (v === 'drop') continue;
    if (v === 'change') p.netPrice += 1;
    chunk += (records++ ? ',' : '') + JSON.stringify(p);
    if (chunk.length > 1 << 20) {
      size += chunk.length;
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      chunk = '';
    }
  }
  for (let i = 0; i < extra; i++) chunk += (records++ ? ',' : '') + JSON.stringify(product(10_000_000 + i, rand));
  chunk += ']';
  out.end(chunk);
  await new Promise((r) => out.on('finish', r));
  return { file, records, bytes: fs.statSync(file).size };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function call(base: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await request(base + p, { method: method as 'GET', headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${p}: ${res.statusCode} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A platform process with an instance and an integration: what the upload and download need. */
async function startPlatform() {
  const dataDir = fs.mkdtempSync(path.join(work, 'data-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // As `npm start` runs it, or with other Node flags to compare (BENCH_NODE_FLAGS).
  const flags = process.env.BENCH_NODE_FLAGS;
  const [command, args] = flags === undefined ? [BIN, []] : [process.execPath, [...flags.split(' ').filter(Boolean), MAIN]];
  const child = spawn(command, args, { env: { PATH: process.env.PATH!, PORT: String(port), DATA_DIR: dataDir, ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      await call(base, 'GET', '/health');
      break;
    } catch {
      if (i > 200) throw new Error('platform did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const instance = await call(base, 'POST', '/api/admin/instances', { name: 'Bench', product: 'Sage 50' }, { authorization: `Bearer ${ADMIN}` });
  const { registrationUrl } = await call(base, 'POST', '/api/developers', { name: 'Bench', email: 'bench@example.com', application: { name: 'Bench', solution: 'ecommerce', notificationUrl: 'https://bench.example.com/e' } });
  const challenge = await (await fetch(`${registrationUrl}/challenge`)).json();
  const solved = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  await fetch(registrationUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `altcha=${encodeURIComponent(Buffer.from(JSON.stringify({ ...challenge, number: solved!.number })).toString('base64'))}` });
  const mailDir = path.join(dataDir, 'mail');
  while (!fs.existsSync(mailDir) || !fs.readdirSync(mailDir).some((f) => f.endsWith('.eml'))) await new Promise((r) => setTimeout(r, 20));
  const eml = fs.readFileSync(path.join(mailDir, fs.readdirSync(mailDir).find((f) => f.endsWith('.eml'))!), 'utf8');
  const developerId = /Developer ID: (\S+)/.exec(eml)![1];
  const applicationId = /Application ID: (\S+)/.exec(eml)![1];
  const pc = await call(base, 'POST', `/api/developers/${developerId}/applications/${applicationId}/passcodes`, { secret: SECRET });
  const consent = await call(base, 'POST', '/api/connector/consents', { passcode: pc.passcode }, { 'x-instance-key': instance.instanceKey });
  await call(base, 'POST', `/api/connector/consents/${consent.consentId}/grant`, undefined, { 'x-instance-key': instance.instanceKey });
  const { apikey } = await call(base, 'POST', `/api/developers/${developerId}/applications/${applicationId}/passcodes/${pc.passcodeId}/apikey`, { secret: SECRET });
  const peakRssMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  return { base, instanceKey: instance.instanceKey as string, apikey: apikey as string, peakRssMb, stop: () => child.kill('SIGTERM') };
}

async function timed(work: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await work();
  return (performance.now() - t0) / 1000;
}

async function upload(p: Awaited<ReturnType<typeof startPlatform>>, file: string) {
  const t0 = performance.now();
  const res = await request(`${p.base}/api/connector/solutions/ecommerce/scopes/products`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-instance-key': p.instanceKey },
    body: fs.createReadStream(file, { highWaterMark: 1 << 20 }),
  });
  const body = (await res.body.json()) as { fileId: string; records: number; code?: string };
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${JSON.stringify(body)}`);
  return { ...body, seconds: (performance.now() - t0) / 1000 };
}

const rows: string[][] = [];
for (const mb of SIZES) {
  const { file, records, bytes } = await generate(`products-${mb}MB.json`, { mb });
  const copyTo = path.join(work, 'copy.json');
  const copySeconds = await timed(async () => execFileSync('cp', [file, copyTo]));
  fs.rmSync(copyTo);

  const p = await startPlatform();
  const up = await upload(p, file);
  const url = `${p.base}/api/files/${up.fileId}/content`;
  const curlSeconds = await timed(async () => {
    const curl = spawn('curl', ['-sf', '-o', copyTo, '-H', `x-api-key: ${p.apikey}`, url], { stdio: 'ignore' });
    const code = await new Promise((r) => curl.on('exit', r));
    if (code !== 0) throw new Error(`curl exited with ${code}`);
  });
  if (fs.statSync(copyTo).size !== bytes) throw new Error('download size differs');
  fs.rmSync(copyTo);
  const undiciSeconds = await timed(async () => {
    const res = await request(url, { headers: { 'x-api-key': p.apikey } });
    await pipeline(res.body, fs.createWriteStream(copyTo, { highWaterMark: 1 << 20 }));
  });
  if (fs.statSync(copyTo).size !== bytes) throw new Error('download size differs');
  fs.rmSync(copyTo);
  const rss = p.peakRssMb();
  p.stop();
  const mbps = (s: number) => (bytes / 1e6 / s).toFixed(0);
  const ofCopy = (s: number) => `${((copySeconds / s) * 100).toFixed(0)}%`;
  rows.push([`${mb} MB`, String(records), (records / up.seconds).toFixed(0), mbps(up.seconds), mbps(copySeconds), mbps(curlSeconds), ofCopy(curlSeconds), mbps(undiciSeconds), ofCopy(undiciSeconds), rss.toFixed(0)]);
  fs.rmSync(file);
}

// Changes between two versions of 1,000,000 records: 1% changed, 0.5% removed, 5,000 added.
const n = Number(process.env.BENCH_CHANGES_RECORDS ?? 1_000_000);
const older = await generate('v1.json', { records: n });
const newer = await generate('v2.json', { records: n }, (i) => (i % 200 === 7 ? 'drop' : i % 100 === 3 ? 'change' : 'keep'), n / 200);
const p = await startPlatform();
const a = await upload(p, older.file);
const b = await upload(p, newer.file);
let lines = 0;
const changesSeconds = await timed(async () => {
  const res = await request(`${p.base}/api/files/${b.fileId}/changes?since=${a.fileId}`, { headers: { 'x-api-key': p.apikey } });
  for await (const chunk of res.body) for (const c of chunk as Buffer) if (c === 10) lines++;
});
const changesRss = p.peakRssMb();
p.stop();
fs.rmSync(work, { recursive: true, force: true });

const head = ['size', 'records', 'ingest rec/s', 'ingest MB/s', 'copy MB/s', 'curl MB/s', 'of copy', 'undici MB/s', 'of copy', 'peak RSS MB'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join('  ');
console.log(`\n${os.cpus().length} cores; the platform is a process of its own, one per size`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`changes between two ${n.toLocaleString('en')}-record versions: ${lines.toLocaleString('en')} lines in ${changesSeconds.toFixed(1)} s (peak RSS ${changesRss.toFixed(0)} MB)`);
console.log('goals: ingest ≥ 100,000 records/s (~50 MB/s); download ≥ 70% of copy; peak RSS < 150 MB; changes of 1,000,000 records < 15 s');
