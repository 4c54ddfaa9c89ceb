/**
 * Soak (issue 14; not part of npm test): for SOAK_SECONDS (default 180) the platform takes normal traffic —
 * uploads with Idempotency-Keys, scope files — mixed with hostile traffic: giant elements in scope files and
 * uploads, registration floods, applications whose receivers hang while test events are fired at them, and a
 * kill -9 and restart every SOAK_KILL_SECONDS (default 45). Then it checks that every upload and scope file the
 * platform accepted is there exactly once with its bytes, that every accepted upload's upload.validated event
 * arrived, and that RSS stayed under SOAK_RSS_LIMIT_MB (default 600). Exits 1 when a check fails.
 *
 *   npm run soak
 *   SOAK_SECONDS=600 DATABASE_URL=postgres://… npm run soak
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startPlatform } from './platform.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const KILL_EVERY = Number(process.env.SOAK_KILL_SECONDS ?? 45);
const RSS_LIMIT = Number(process.env.SOAK_RSS_LIMIT_MB ?? 600);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-soak-'));
const sha = (b: string) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = '2026-11-28T10:00:00.000Z';

// The application's receiver: which uploads' upload.validated arrived (at least once: duplicates are allowed).
const validated = new Set<string>();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    try {
      const event = JSON.parse(body);
      if (event.type === 'upload.validated') validated.add(event.data.fileId);
    } catch {}
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
// Receivers that never answer, on a host of their own.
const hanging = http.createServer(() => {});
await new Promise<void>((r) => hanging.listen(0, '127.0.0.2', r));

const env: Record<string, string> = {
  SCOPE_FILE_VERSIONS: '1000', // every accepted version stays, to be checked
  RATE_LIMIT_UPLOADS: '100000/1h',
  INVALID_UPLOAD_RETENTION: '5',
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
};
const p = await startPlatform(work, {
  notificationUrl: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`,
  env,
});
const headers = { 'x-api-key': p.apikey, 'content-type': 'application/json' };
const counts: Record<string, number> = {};
const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);

/** A request that gives up quietly when the platform is down (killed): status 0. */
async function attempt(url: string, init: RequestInit & { duplex?: 'half' }): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    count(`  (no answer: ${e.cause?.code ?? e.name})`);
    return { status: 0, body: undefined };
  }
}

function giant(mb: number): Readable {
  const block = Buffer.alloc(1 << 16, 'a');
  return Readable.from(
    (async function* () {
      yield Buffer.from('[{"id":"');
      for (let left = mb * 1e6; left > 0; left -= block.length) yield block;
      yield Buffer.from('"}]');
    })(),
  );
}

const acceptedUploads = new Map<string, { fileId: string; sha256: string }>(); // by Idempotency-Key
const acceptedFiles = new Map<string, string>(); // fileId → sha256
let rssMax = 0;
let stopping = false;
const until = Date.now() + SECONDS * 1000;

const loops = [
  // Normal: small uploads, each retried with its Idempotency-Key until the platform answers.
  (async () => {
    for (let n = 0; Date.now() < until; n++) {
      const key = randomUUID();
      const body = JSON.stringify([{ id: `o${n}`, note: key }]);
      for (;;) {
        const res = await attempt(`${p.base}/api/uploads?type=orders`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': key },
          body,
        });
        if (res.status === 202) {
          acceptedUploads.set(key, { fileId: res.body.fileId, sha256: sha(body) });
          count('upload 202');
          break;
        }
        count(`upload ${res.status}`);
        if (res.status !== 0 && res.status !== 503) break; // refused: not accepted, nothing to check
        await sleep(200);
      }
      await sleep(150);
    }
  })(),
  // Normal: scope files.
  (async () => {
    for (let n = 0; Date.now() < until; n++) {
      const body = JSON.stringify(
        Array.from({ length: 200 }, (_, i) => ({
          id: `p${i}`,
          name: `Product ${i} v${n}`,
          netPrice: 9.5,
          tax: 20,
          discountByUnit: true,
          timestamp: now,
        })),
      );
      const res = await attempt(`${p.base}/api/connector/solutions/ecommerce/scopes/products`, {
        method: 'PUT',
        headers: { 'x-instance-key': p.instanceKey, 'content-type': 'application/json' },
        body,
      });
      count(`scope file ${res.status}`);
      if (res.status === 201) acceptedFiles.set(res.body.fileId, sha(body));
      await sleep(1000);
    }
  })(),
  // Hostile: giant elements, in scope files (refused at 1 MiB) and uploads (stored, then invalid, then removed).
  (async () => {
    while (Date.now() < until) {
      const [scope, upload] = await Promise.all([
        attempt(`${p.base}/api/connector/solutions/ecommerce/scopes/customers`, {
          method: 'PUT',
          headers: { 'x-instance-key': p.instanceKey, 'content-type': 'application/json' },
          body: giant(200) as never,
          duplex: 'half',
        }),
        attempt(`${p.base}/api/uploads?type=orders`, {
          method: 'POST',
          headers,
          body: giant(50) as never,
          duplex: 'half',
        }),
      ]);
      count(`giant scope file ${scope.status}`);
      count(`giant upload ${upload.status}`);
      await sleep(3000);
    }
  })(),
  // Hostile: registration floods, from one address.
  (async () => {
    while (Date.now() < until) {
      const flood = Array.from({ length: 50 }, (_, i) =>
        attempt(`${p.base}/api/developers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'Flood',
            email: `flood${i}@example.com`,
            application: { name: 'F', solution: 'ecommerce', notificationUrl: 'http://127.0.0.1:9/x' },
          }),
        }),
      );
      for (const r of await Promise.all(flood)) count(`registration ${r.status}`);
      await sleep(5000);
    }
  })(),
  // Hostile: applications whose receivers hang, fired at every 3 s.
  (async () => {
    const apps: string[] = [];
    for (let i = 0; i < 20; i++) {
      const url = `http://127.0.0.2:${(hanging.address() as { port: number }).port}/b${i}`;
      const res = await attempt(`${p.base}/api/developers/${p.developerId}/applications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `B${i}`, solution: 'ecommerce', notificationUrl: url }),
      });
      if (res.status === 201) apps.push(res.body.applicationId);
    }
    while (Date.now() < until) {
      for (const app of apps)
        count(
          `test event ${(await attempt(`${p.base}/api/developers/${p.developerId}/applications/${app}/events/test`, { method: 'POST' })).status}`,
        );
      await sleep(3000);
    }
  })(),
  // kill -9 and restart.
  (async () => {
    while (Date.now() + KILL_EVERY * 1000 < until) {
      await sleep(KILL_EVERY * 1000);
      await p.killAndRestart();
      count('kill -9 and restart');
    }
  })(),
  // RSS, every half second.
  (async () => {
    while (!stopping) {
      try {
        const rss = p.rssMb(); // NaN for a process that is gone (its /proc entry has no VmRSS)
        if (Number.isFinite(rss)) rssMax = Math.max(rssMax, rss);
      } catch {}
      await sleep(500);
    }
  })(),
];

await Promise.all(loops.slice(0, -1));
// Every accepted upload validated and announced (a restart may have delayed it).
const deadline = Date.now() + 120_000;
while (Date.now() < deadline && [...acceptedUploads.values()].some((u) => !validated.has(u.fileId))) await sleep(500);
stopping = true;
await loops.at(-1);

const problems: string[] = [];
for (const [key, u] of acceptedUploads) {
  const tracking = await attempt(`${p.base}/api/uploads/${u.fileId}/tracking`, { headers });
  if (tracking.status !== 200) problems.push(`upload ${u.fileId} (key ${key}) accepted, now ${tracking.status}`);
  else if (!['valid', 'pending', 'invalid'].includes(tracking.body.status))
    problems.push(`upload ${u.fileId}: ${tracking.body.status}`);
  if (!validated.has(u.fileId)) problems.push(`upload ${u.fileId}: upload.validated never arrived`);
  // The same key again answers with the same upload: it was not made twice.
  const again = await attempt(`${p.base}/api/uploads?type=orders`, {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': key },
    body: JSON.stringify([{ id: 'x', note: key }]),
  });
  if (again.status !== 409)
    problems.push(`upload key ${key}: a different body with the same key gave ${again.status}, not 409`);
}
for (const [fileId, digest] of acceptedFiles) {
  const res = await attempt(`${p.base}/api/files/${fileId}`, { headers });
  if (res.status !== 200 || res.body.sha256 !== digest)
    problems.push(`scope file ${fileId}: ${res.status} ${res.body?.sha256 ?? ''}`);
}
// When an announcement is missing, say where it is: never made, or made and not (yet) delivered.
if (problems.some((x) => x.includes('upload.validated never arrived'))) {
  const made = await attempt(`${p.base}/api/events?type=upload.validated&limit=500`, { headers });
  const events = (made.body ?? []) as Array<{
    eventId: string;
    status: string;
    attempts: number;
    nextAttemptAt: string;
  }>;
  problems.push(
    `the platform holds ${events.length} upload.validated events for ${acceptedUploads.size} accepted uploads ` +
      `(${validated.size} distinct arrived)`,
  );
  for (const e of events.filter((x) => x.status !== 'delivered')) {
    const detail = await attempt(`${p.base}/api/events/${e.eventId}`, { headers });
    problems.push(
      `  ${e.eventId} ${e.status}, ${e.attempts} attempts, next ${e.nextAttemptAt}: ` +
        JSON.stringify(detail.body?.attemptLog ?? []),
    );
  }
}
if (p.crashes > 0) problems.push(`the platform exited by itself ${p.crashes} times`);
if (rssMax > RSS_LIMIT) problems.push(`RSS reached ${rssMax.toFixed(0)} MB, over ${RSS_LIMIT} MB`);

console.log(`soak: ${SECONDS} s on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`);
for (const [what, n] of Object.entries(counts).sort()) console.log(`  ${what.padEnd(28)} ${n}`);
console.log(
  `  accepted uploads checked    ${acceptedUploads.size} (events arrived for ${[...acceptedUploads.values()].filter((u) => validated.has(u.fileId)).length})`,
);
console.log(`  accepted scope files checked ${acceptedFiles.size}`);
console.log(
  `  RSS max ${rssMax.toFixed(0)} MB (limit ${RSS_LIMIT} MB), peak of the last process ${p.peakRssMb().toFixed(0)} MB`,
);
console.log(
  problems.length === 0
    ? 'OK: nothing accepted was lost or duplicated; RSS stayed bounded'
    : `FAILED:\n  ${problems.slice(0, 50).join('\n  ')}`,
);
p.stop();
receiver.close();
hanging.closeAllConnections();
hanging.close();
fs.rmSync(work, { recursive: true, force: true });
process.exit(problems.length === 0 ? 0 : 1);
