import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_S3, createBucket, testS3Client } from '../support/blobs.js';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { order, orderResult } from '../support/orders.js';
import { apiClient, freePort } from '../support/platform.js';
import { built, runPlatform, waitUp, type PlatformProcess } from '../support/process.js';
import { Receiver, verify } from '../support/receiver.js';
import { MailCatcher } from '../support/smtp.js';
import { createDatabase } from '../support/stores.js';

/**
 * Three platform processes behind HAProxy, on one PostgreSQL and one radosgw bucket: the journey under a steady
 * mixed load, one process SIGKILLed mid-load and restarted, another stopped gracefully; then everything accepted
 * is there and intact, every event delivered in order per integration (one in ten is refused once, and delivered
 * again under the same webhook-id), nothing stuck, nothing orphaned.
 */
const haproxy = spawnSync('haproxy', ['-v']).status === 0;
// Run when TEST_CLUSTER=1 (it takes minutes: three cold starts, a kill, a restart, a graceful stop).
const ready = process.env.TEST_CLUSTER === '1' && built && haproxy && !!process.env.TEST_DATABASE_URL && !!TEST_S3;
const why = [
  process.env.TEST_CLUSTER !== '1' && 'TEST_CLUSTER unset',
  !built && 'not built',
  !haproxy && 'no haproxy',
  !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL unset',
  !TEST_S3 && 'TEST_S3_* unset',
]
  .filter(Boolean)
  .join(', ');

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const refusedFirst = (id: string) => createHash('sha256').update(id).digest()[0]! % 10 === 0;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const now = '2026-11-28T10:00:00.000Z';
const products = (n: number, v: number) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      id: `p${i}`,
      name: `Product ${i} v${v}`,
      netPrice: v,
      tax: 20,
      discountByUnit: true,
      timestamp: now,
    })),
  );

/** Checks each item, eight at a time: a thousand checks one after another took most of the test's time. */
async function eachAtOnce<T>(items: Iterable<T>, check: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await check(item);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

describe.skipIf(!ready)(`a cluster of three behind HAProxy${ready ? '' : ` [${why}]`}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-cluster-'));
  let mail: MailCatcher;
  let receiver: Receiver;
  let db: { url: string; drop(): Promise<void> };
  let bucket: { bucket: string; drop(): Promise<void> };
  let proxy: ChildProcess;
  let url: string;
  const ports: number[] = [];
  const procs: PlatformProcess[] = [];
  let env: (i: number) => Record<string, string>;

  const start = async (i: number) => {
    procs[i] = runPlatform(env(i));
    await waitUp(`http://127.0.0.1:${ports[i]}`, procs[i]);
  };

  beforeAll(async () => {
    [mail, receiver, db, bucket] = await Promise.all([
      new MailCatcher().start(),
      new Receiver().start(),
      createDatabase(process.env.TEST_DATABASE_URL!),
      createBucket(),
    ]);
    for (let i = 0; i < 4; i++) ports.push(await freePort());
    url = `http://127.0.0.1:${ports[3]}`;
    env = (i) => ({
      PORT: String(ports[i]),
      PUBLIC_URL: url,
      DATA_DIR: path.join(dir, `p${i}`), // nothing shared on disk: files are in the bucket
      DATABASE_URL: db.url,
      S3_ENDPOINT: TEST_S3!.endpoint,
      S3_REGION: TEST_S3!.region,
      S3_BUCKET: bucket.bucket,
      S3_ACCESS_KEY_ID: TEST_S3!.accessKeyId,
      S3_SECRET_ACCESS_KEY: TEST_S3!.secretAccessKey,
      SECRETS_KEY: 'cd'.repeat(32),
      ADMIN_TOKEN,
      SMTP_URL: mail.url,
      ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0,0,1,1,1,1,1,1,1,1,1,1', // a refused delivery is tried again at once
      UPLOAD_LEASE: '5',
      // Time enough for a graceful stop under load on a busy machine (requests in flight and jobs in hand finish).
      SHUTDOWN_GRACE: '60',
      LOG_LEVEL: 'warn',
    });
    const cfg = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 2000',
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 60s',
        '  timeout server 60s', // above the longest long poll (wait ≤ 30 s)
        '  retries 3',
        '  option redispatch',
        'frontend web',
        `  bind 127.0.0.1:${ports[3]}`,
        '  default_backend platform',
        'backend platform',
        '  balance roundrobin',
        '  option httpchk GET /ready',
        '  http-check expect status 200',
        '  retry-on conn-failure empty-response response-timeout',
        ...[0, 1, 2].map((i) => `  server p${i} 127.0.0.1:${ports[i]} check inter 500 fall 2 rise 1`),
      ].join('\n') + '\n',
    );
    proxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: 'ignore' });
    // One event in ten is refused on its first attempt: each is delivered again, by whichever process claims it.
    receiver.behaviour = ({ id, attempt }) => ({ status: attempt === 1 && refusedFirst(id) ? 503 : 204 });
    await Promise.all([0, 1, 2].map(start)); // all at once: migrations and sweeps race
  }, 300_000);

  afterAll(async () => {
    proxy?.kill('SIGTERM');
    for (const p of procs) {
      if (p && p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
    }
    await Promise.allSettled([receiver?.stop(), mail?.stop(), db?.drop(), bucket?.drop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps every accepted file and upload, delivers every event in order, through a kill and a stop', async () => {
    const platform = { url, api: apiClient(url) };
    await expect
      .poll(async () => (await fetch(`${url}/ready`).catch(() => undefined))?.status, { timeout: 30_000 })
      .toBe(200);

    // The journey, through the proxy: instances, registered applications, consent, keys.
    const INTEGRATIONS = 3;
    const parties: Array<{ instanceKey: string; apikey: string; integrationId: string; app: RegisteredApplication }> =
      [];
    for (let i = 0; i < INTEGRATIONS; i++) {
      const instance = await provisionInstance(platform, `Company ${i}`);
      const app = await registerApplication(url, mail, { notificationUrl: receiver.url(`/hook/${i}`) });
      parties.push({
        instanceKey: instance.instanceKey,
        app,
        ...(await integrate(platform, app, instance.instanceKey)),
      });
    }

    // A steady mixed load until told to stop: scope files from instances, uploads from applications, processed by
    // their instances. What the platform accepted is written down, to be checked at the end.
    const scopeFiles = new Map<string, { sha256: string; apikey: string }>();
    const uploads = new Map<string, { sha256: string; party: number }>();
    let stopping = false;
    const errors: string[] = [];
    const tolerate = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await work();
      } catch (error) {
        errors.push(`${what}: ${String(error)}`); // a request cut by the kill: not accepted, so not expected
        return undefined;
      }
    };
    const loops = parties.flatMap((p, n) => [
      (async () => {
        for (let v = 0; !stopping; v++) {
          const body = products(50 + v, v);
          const res = await tolerate('scope', () =>
            platform.api('PUT', '/api/connector/solutions/ecommerce/scopes/products', body, asInstance(p.instanceKey)),
          );
          if (res?.status === 201) scopeFiles.set(res.body.fileId, { sha256: sha(body), apikey: p.apikey });
        }
      })(),
      (async () => {
        for (let k = 0; !stopping; k++) {
          const body = JSON.stringify([order(n * 10_000 + k)]);
          const res = await tolerate('upload', () =>
            platform.api('POST', '/api/uploads?type=orders', body, withKey(p.apikey)),
          );
          if (res?.status === 202) uploads.set(res.body.fileId, { sha256: sha(body), party: n });
        }
      })(),
      processInstance(n),
    ]);
    // The instance's side: long-poll the inbox, claim, read, answer; and once more after the load for the rest.
    async function processInstance(n: number) {
      const p = parties[n]!;
      const api = (m: string, u: string, b?: unknown) => platform.api(m, u, b, asInstance(p.instanceKey));
      for (;;) {
        const inbox = await tolerate('inbox', () => api('GET', '/api/connector/inbox?wait=2'));
        const pending = inbox?.status === 200 ? (inbox.body as Array<{ fileId: string }>) : [];
        if (pending.length === 0 && stopping && (await settled(n))) return;
        for (const u of pending) {
          if ((await tolerate('claim', () => api('POST', `/api/connector/uploads/${u.fileId}/claim`)))?.status !== 200)
            continue;
          const content = await tolerate('content', async () => {
            const res = await fetch(`${url}/api/connector/uploads/${u.fileId}/content`, {
              headers: asInstance(p.instanceKey),
            });
            return res.status === 200 ? await res.text() : undefined;
          });
          if (content === undefined) continue;
          const records = JSON.parse(content) as Array<{ id: string }>;
          await tolerate('result', () =>
            api(
              'PUT',
              `/api/connector/uploads/${u.fileId}/result?status=accepted`,
              JSON.stringify(records.map((r) => orderResult(r.id, true))),
            ),
          );
        }
      }
    }
    async function settled(n: number): Promise<boolean> {
      for (const [id, u] of uploads) {
        if (u.party !== n) continue;
        const t = await tolerate('tracking', () =>
          platform.api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(parties[n]!.apikey)),
        );
        if (!t || !['accepted', 'failed', 'invalid'].includes(t.body.status)) return false;
      }
      return true;
    }

    const loadFor = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Seconds of load on each side of the kill and of the stop: hundreds of requests and events, some in flight.
    await loadFor(2_500);
    // One process killed mid-load, then restarted.
    procs[0]!.child.kill('SIGKILL');
    await procs[0]!.exited;
    await loadFor(2_000);
    await start(0);
    // Another stopped gracefully: its requests, long polls and jobs drain, it exits 0 (within SHUTDOWN_GRACE).
    const stopAt = Date.now();
    procs[1]!.child.kill('SIGTERM');
    const code = await procs[1]!.exited;
    const stopMs = Date.now() - stopAt;
    expect(code, procs[1]!.out().slice(-3000)).toBe(0);
    await loadFor(2_000);
    stopping = true;
    await Promise.race([
      Promise.all(loops),
      loadFor(120_000).then(() => Promise.reject(new Error('the load did not settle'))),
    ]);

    expect(scopeFiles.size).toBeGreaterThan(0);
    expect(uploads.size).toBeGreaterThan(0);

    // Every accepted scope file present and intact.
    await eachAtOnce(scopeFiles, async ([fileId, f]) => {
      const res = await fetch(`${url}/api/files/${fileId}/content`, {
        headers: { ...withKey(f.apikey), 'accept-encoding': 'identity' },
      });
      if (res.status === 404) return; // pruned: only the last versions are kept (SCOPE_FILE_VERSIONS)
      expect(res.status, fileId).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer())), fileId).toBe(f.sha256);
    });
    // Every accepted upload present, intact and finished: none stuck.
    await eachAtOnce(uploads, async ([fileId, u]) => {
      const t = await platform.api(
        'GET',
        `/api/uploads/${fileId}/tracking`,
        undefined,
        withKey(parties[u.party]!.apikey),
      );
      expect(t.body.status, fileId).toBe('accepted');
      const content = await fetch(`${url}/api/connector/uploads/${fileId}/content`, {
        headers: asInstance(parties[u.party]!.instanceKey),
      });
      expect(sha(Buffer.from(await content.arrayBuffer())), fileId).toBe(u.sha256);
    });

    // Every event delivered at least once, in order per integration, with its id as webhook-id on every attempt.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await expect
        .poll(
          async () =>
            (await client.query(`select count(*)::int as n from events where status <> 'delivered'`)).rows[0].n,
          { timeout: 60_000 },
        )
        .toBe(0);
      const events = (
        await client.query<{ id: string; integration_id: string | null; application_id: string }>(
          `select id, integration_id, application_id from events order by created_at, id`,
        )
      ).rows;
      const firstReceipt = new Map<string, number>();
      receiver.requests.forEach((r, i) => {
        if (r.status < 300 && !firstReceipt.has(r.id)) firstReceipt.set(r.id, i);
      });
      for (const e of events) expect(firstReceipt.has(e.id), e.id).toBe(true);
      // Every request carried the id of an event, the same on each attempt: a redelivery is the same event, signed.
      const known = new Set(events.map((e) => e.id));
      const bodies = new Map<string, string>();
      for (const r of receiver.requests) {
        expect(known.has(r.id), r.id).toBe(true);
        expect(bodies.get(r.id) ?? r.body, r.id).toBe(r.body);
        bodies.set(r.id, r.body);
        verify(parties[Number(r.path.split('/').pop())]!.app.webhookSecret, r);
      }
      const redelivered = new Set(
        receiver.requests.filter((r, i) => receiver.requests.findIndex((q) => q.id === r.id) !== i).map((r) => r.id),
      );
      expect(redelivered.size).toBeGreaterThan(0);
      console.log(
        `cluster: ${scopeFiles.size} scope files and ${uploads.size} uploads accepted, ${events.length} events in ` +
          `${receiver.requests.length} webhook requests (${redelivered.size} events redelivered), ` +
          `${errors.length} client requests cut off; the graceful stop took ${stopMs} ms`,
      );
      const byIntegration = new Map<string, string[]>();
      for (const e of events)
        byIntegration.set(e.integration_id ?? e.application_id, [
          ...(byIntegration.get(e.integration_id ?? e.application_id) ?? []),
          e.id,
        ]);
      for (const ids of byIntegration.values()) {
        const received = ids.map((id) => firstReceipt.get(id)!);
        expect(received).toEqual([...received].sort((a, b) => a - b));
      }

      // No orphaned object in the bucket, no unfinished multipart upload.
      const referenced = new Set(
        (
          await client.query<{ key: string }>(
            `select blob_key as key from scope_files union all select blob_key || '.index' from scope_files
             union all select blob_key from uploads union all select result_blob_key from uploads where result_blob_key is not null`,
          )
        ).rows.map((r) => r.key),
      );
      const s3 = testS3Client();
      await expect
        .poll(
          async () => {
            const keys: string[] = [];
            let token: string | undefined;
            do {
              const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket.bucket, ContinuationToken: token }));
              keys.push(...(page.Contents ?? []).map((o) => o.Key!));
              token = page.NextContinuationToken;
            } while (token);
            return keys.filter((k) => !referenced.has(k));
          },
          { timeout: 30_000 },
        )
        .toEqual([]);
      const unfinished = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket.bucket }));
      expect(unfinished.Uploads ?? []).toEqual([]);
      s3.destroy();
    } finally {
      await client.end();
    }
  }, 400_000);
});
