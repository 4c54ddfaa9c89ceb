/**
 * Hostile bodies (issue 14): the platform's event-loop delay (monitorEventLoopDelay, inside its process) and peak
 * RSS while huge JSON elements stream in (scope files and uploads at once), beside the same figures for a clean
 * file of the same run. Each phase runs on a platform process of its own, so that each peak RSS is its own.
 *
 *   npm run bench:hostile
 *   BENCH_CLEAN_MB=50 BENCH_HOSTILE_MB=100 npm run bench:hostile
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pct, startPlatform, writeJsonArray, type BenchPlatform } from './platform.js';

const CLEAN_MB = Number(process.env.BENCH_CLEAN_MB ?? 100);
const HOSTILE_MB = Number(process.env.BENCH_HOSTILE_MB ?? 400);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-hostile-'));
const monitor = fileURLToPath(new URL('./loop-monitor.mjs', import.meta.url));
process.env.BENCH_NODE_FLAGS = `--import=${monitor}`;

/** The platform's event-loop delay since the last call (the monitor resets on each signal). */
async function loopDelay(pid: number): Promise<{ p50: number; p99: number; max: number }> {
  const file = `/tmp/cc-loop-${pid}.json`;
  fs.rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  while (!fs.existsSync(file)) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 10)); // written whole
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** /health polled every 20 ms beside some work: its answer times. */
function pollHealth(base: string) {
  let stop = false;
  const times: number[] = [];
  const done = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await fetch(`${base}/health`);
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    stop = true;
    await done;
    return times;
  };
}

/** `head`, `mb` megabytes of 'a' made as they are sent, then `tail`: one JSON element that big. */
function hugeElement(head: string, mb: number, tail: string): Readable {
  const block = Buffer.alloc(1 << 16, 'a');
  return Readable.from(
    (async function* () {
      yield Buffer.from(head);
      for (let left = mb * 1e6; left > 0; left -= block.length)
        yield left >= block.length ? block : block.subarray(0, left);
      yield Buffer.from(tail);
    })(),
  );
}

function send(url: string, method: string, headers: Record<string, string>, body: Readable): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => {
        body.destroy();
        resolve(res.statusCode!);
      });
    });
    req.on('error', () => resolve(0)); // the platform closed the connection once it had answered
    body.pipe(req);
  });
}

async function phase(name: string, p: BenchPlatform, work: () => Promise<string>) {
  await loopDelay(p.pid); // reset
  const health = pollHealth(p.base);
  const t0 = performance.now();
  const outcome = await work();
  const seconds = (performance.now() - t0) / 1000;
  const times = await health();
  const loop = await loopDelay(p.pid);
  console.log(
    `${name.padEnd(44)} ${seconds.toFixed(1).padStart(6)} s  loop delay p50 ${loop.p50} ms, p99 ${loop.p99} ms, max ${loop.max} ms;` +
      ` /health p99 ${pct(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms;  peak RSS ${p.peakRssMb().toFixed(0)} MB  (${outcome})`,
  );
}

const now = '2026-11-28T10:00:00.000Z';
const clean = await writeJsonArray(path.join(work, 'clean.json'), { mb: CLEAN_MB }, (i) => ({
  id: `p${i}`,
  name: `Product ${i}`,
  netPrice: 9.5,
  tax: 20,
  discountByUnit: true,
  timestamp: now,
}));
console.log(
  `clean file: ${clean.records} records, ${(clean.bytes / 1e6).toFixed(0)} MB; hostile: elements of ${HOSTILE_MB} MB; MAX_RECORD_BYTES 1 MiB`,
);

const a = await startPlatform(work);
try {
  await phase(`clean scope file (${(clean.bytes / 1e6).toFixed(0)} MB)`, a, async () => {
    const status = await send(
      `${a.base}/api/connector/solutions/ecommerce/scopes/products`,
      'PUT',
      { 'x-instance-key': a.instanceKey },
      fs.createReadStream(clean.file),
    );
    return `HTTP ${status}`;
  });
} finally {
  a.stop();
}

const b = await startPlatform(work);
try {
  await phase(`3 scope files + 3 uploads, one ${HOSTILE_MB} MB element each`, b, async () => {
    const scope = () =>
      send(
        `${b.base}/api/connector/solutions/ecommerce/scopes/products`,
        'PUT',
        { 'x-instance-key': b.instanceKey },
        hugeElement('[{"id":"', HOSTILE_MB, '"}]'),
      );
    const upload = () =>
      send(
        `${b.base}/api/uploads?type=orders`,
        'POST',
        { 'x-api-key': b.apikey },
        hugeElement('[{"id":"', HOSTILE_MB, '"}]'),
      );
    const statuses = await Promise.all([scope(), scope(), scope(), upload(), upload(), upload()]);
    // The uploads were stored as sent (202); their validation jobs end at the first MiB of the element.
    for (;;) {
      const res = await fetch(`${b.base}/api/uploads?status=invalid`, { headers: { 'x-api-key': b.apikey } });
      if (((await res.json()) as unknown[]).length === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return `HTTP ${statuses.join(' ')}, then 3 uploads invalid`;
  });
} finally {
  b.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
