/**
 * Upload benchmark (issue 6): an orders file of about 100 MB is uploaded, validated and tracked to `valid`
 * (pending for the instance) on a platform of its own, printing records/s, MB/s and the platform's peak RSS;
 * then, over many small uploads, the time from the instance sending its result to upload.completed arriving at
 * a webhook receiver in a process of its own (p50, p99).
 *
 *   npm run bench:uploads
 *   BENCH_UPLOAD_MB=20 BENCH_RESULTS=50 npm run bench:uploads
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { call, epochMs, pct, prng, startPlatform, writeJsonArray, type BenchPlatform } from './platform.js';

const MB = Number(process.env.BENCH_UPLOAD_MB ?? 100);
const RESULTS = Number(process.env.BENCH_RESULTS ?? 200);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-uploads-'));
const now = epochMs;

// The receiver: every arrival, as it happens.
const receiver = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
const arrivals: number[] = [];
let onArrival: (() => void) | undefined;
receiver.on('message', (m: { port?: number; at?: number }) => {
  if (m.at !== undefined) {
    arrivals.push(m.at);
    onArrival?.();
  }
});
const port = await new Promise<number>((resolve) => {
  receiver.once('message', (m: { port: number }) => resolve(m.port));
  receiver.send({ listen: true });
});
receiver.send({ watch: true });
/** The next webhook to arrive (its arrival time). */
async function nextArrival(): Promise<number> {
  while (arrivals.length === 0) await new Promise<void>((r) => (onArrival = r));
  return arrivals.shift()!;
}

function orderOf(i: number, rand: () => number) {
  const address = {
    id: `A${i}`,
    address1: `${i} High Street`,
    city: 'Leeds',
    country: 'GB',
    postCode: 'LS1 1AA',
    telephone1: '0113 496 0000',
    timestamp: '2026-11-28T10:00:00.000Z',
  };
  const lines = Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, l) => ({
    productId: `P${String(Math.floor(rand() * 1e6)).padStart(8, '0')}`,
    quantity: 1 + l,
    unitPrice: 12.5,
    tax: 20,
  }));
  const totalNet = lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
  return {
    id: `SO-${i}`,
    orderDate: '2026-11-28T10:00:00.000Z',
    deliveryAddress: address,
    invoiceAddress: address,
    customer: {
      id: `C${i % 5000}`,
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: `ada${i % 5000}@example.com`,
      addresses: [address],
      timestamp: '2026-11-28T10:00:00.000Z',
    },
    discount: 0,
    currencyRate: 1,
    paymentMethod: 'card',
    totalShipping: 4.95,
    currency: 'GBP',
    lines,
    totalNet,
    totalTax: totalNet * 0.2,
    total: totalNet * 1.2 + 4.95,
  };
}

async function upload(p: BenchPlatform, body: string | fs.ReadStream): Promise<string> {
  const res = await request(`${p.base}/api/uploads?type=orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': p.apikey },
    body,
  });
  const created = (await res.body.json()) as { fileId: string };
  if (res.statusCode !== 202) throw new Error(`upload: ${res.statusCode} ${JSON.stringify(created)}`);
  return created.fileId;
}

async function until(p: BenchPlatform, fileId: string, status: string, everyMs: number) {
  for (;;) {
    const t = await call(p.base, 'GET', `/api/uploads/${fileId}/tracking`, undefined, { 'x-api-key': p.apikey });
    if (t.status === status) return t;
    if (['invalid', 'accepted', 'failed'].includes(t.status))
      throw new Error(`upload ended ${t.status}: ${JSON.stringify(t.errors)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// 1. A large upload, stored, validated and tracked to valid.
const rand = prng(7);
const big = await writeJsonArray(path.join(work, 'orders.json'), { mb: MB }, (i) => orderOf(i, rand));
let p = await startPlatform(work);
const t0 = now();
const fileId = await upload(p, fs.createReadStream(big.file, { highWaterMark: 1 << 20 }));
const acknowledged = (now() - t0) / 1000;
const tracked = await until(p, fileId, 'pending', 50);
const seconds = (now() - t0) / 1000;
if (tracked.records !== big.records) throw new Error(`records: ${tracked.records} of ${big.records}`);
const rss = p.peakRssMb();
p.stop();

// 2. Result to upload.completed at the receiver, one upload after another.
p = await startPlatform(work, { notificationUrl: `http://127.0.0.1:${port}/hook` });
await nextArrival(); // apikey.issued
const small = JSON.stringify([orderOf(1, rand)]);
const result = JSON.stringify([{ id: 'SO-1', outcome: 'accepted', documentNumber: 'INV-1' }]);
const latencies: number[] = [];
const instance = { 'x-instance-key': p.instanceKey, 'content-type': 'application/json' };
for (let i = 0; i < RESULTS; i++) {
  const id = await upload(p, small);
  await until(p, id, 'pending', 5);
  await nextArrival(); // upload.validated: events of an integration arrive in order
  await call(p.base, 'POST', `/api/connector/uploads/${id}/claim`, undefined, { 'x-instance-key': p.instanceKey });
  const sent = now();
  const res = await request(`${p.base}/api/connector/uploads/${id}/result?status=accepted`, {
    method: 'PUT',
    headers: instance,
    body: result,
  });
  if (res.statusCode !== 200) throw new Error(`result: ${res.statusCode} ${await res.body.text()}`);
  await res.body.dump();
  latencies.push((await nextArrival()) - sent); // upload.completed
}
p.stop();
receiver.kill();
fs.rmSync(work, { recursive: true, force: true });

console.log(`\n${os.cpus().length} cores; the platform is a process of its own`);
console.log(
  `orders upload: ${(big.bytes / 1e6).toFixed(0)} MB, ${big.records.toLocaleString('en')} orders, acknowledged in ${acknowledged.toFixed(1)} s, ` +
    `valid in ${seconds.toFixed(1)} s: ${(big.records / seconds).toFixed(0)} records/s, ${(big.bytes / 1e6 / seconds).toFixed(0)} MB/s; peak RSS ${rss.toFixed(0)} MB`,
);
console.log(
  `result → upload.completed at the receiver, ${RESULTS} uploads one after another: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms`,
);
