/**
 * Fair delivery (issue 14): the latency of application A's webhook.test events, from the request to their
 * arrival at A's receiver, p50 and p99, alone, then while B's 80 applications (receivers on another host,
 * 127.0.0.2) hang and B fires a test event at each every 3 s; and, for the figure the fix is measured against,
 * the same with the per-endpoint concurrency lifted (WEBHOOK_ENDPOINT_CONCURRENCY=1000: only the breaker left).
 *
 *   npm run bench:fairness
 *   BENCH_SAMPLES=100 BENCH_B_APPS=80 npm run bench:fairness
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { call, pct, startPlatform } from './platform.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const B_APPS = Number(process.env.BENCH_B_APPS ?? 80);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-fair-'));

/** A's receiver: when each event arrived. */
const arrived = new Map<string, number>();
const fast = http.createServer((req, res) => {
  arrived.set(String(req.headers['webhook-id']), performance.now());
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
await new Promise<void>((r) => fast.listen(0, '127.0.0.1', r));
/** B's receivers: one server on another host, every path hangs. */
const hanging = http.createServer(() => {});
await new Promise<void>((r) => hanging.listen(0, '127.0.0.2', r));
const fastUrl = `http://127.0.0.1:${(fast.address() as { port: number }).port}/a`;
const slowUrl = (i: number) => `http://127.0.0.2:${(hanging.address() as { port: number }).port}/b${i}`;

async function run(name: string, withB: boolean, env: Record<string, string> = {}) {
  const p = await startPlatform(work, {
    notificationUrl: fastUrl,
    env: { RATE_LIMIT_APPLICATIONS: 'off', RATE_LIMIT_TEST_EVENTS: 'off', ...env },
  });
  let firing: NodeJS.Timeout | undefined;
  try {
    const apps = (await call(p.base, 'GET', `/api/integration`, undefined, { 'x-api-key': p.apikey })) as {
      application: { id: string };
    };
    const testEvent = (appId: string) =>
      call(p.base, 'POST', `/api/developers/${p.developerId}/applications/${appId}/events/test`);
    if (withB) {
      const bApps: string[] = [];
      for (let i = 0; i < B_APPS; i++) {
        const created = await call(p.base, 'POST', `/api/developers/${p.developerId}/applications`, {
          name: `B${i}`,
          solution: 'ecommerce',
          notificationUrl: slowUrl(i),
        });
        bApps.push(created.applicationId);
      }
      const fire = () => void Promise.all(bApps.map(testEvent)).catch(() => {});
      fire();
      firing = setInterval(fire, 3000);
      await new Promise((r) => setTimeout(r, 3000)); // B's receivers hold their requests by now
    }
    const latencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      const { eventId } = await testEvent(apps.application.id);
      while (!arrived.has(eventId)) await new Promise((r) => setTimeout(r, 5));
      latencies.push(arrived.get(eventId)! - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(
      `${name.padEnd(64)} A's latency p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
    );
  } finally {
    clearInterval(firing);
    p.stop();
  }
}

try {
  await run('A alone', false);
  await run(`A while B's ${B_APPS} endpoints hang (per-endpoint concurrency 8)`, true);
  await run(`A while B's ${B_APPS} endpoints hang (per-endpoint concurrency lifted)`, true, {
    WEBHOOK_ENDPOINT_CONCURRENCY: '1000',
  });
} finally {
  fast.closeAllConnections();
  hanging.closeAllConnections();
  fast.close();
  hanging.close();
  fs.rmSync(work, { recursive: true, force: true });
}
