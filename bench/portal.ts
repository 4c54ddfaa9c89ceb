/**
 * Console paging benchmark: a developer with three applications, 20,000 events and 20,000 uploads, among 200
 * other developers with 80,000 of each, on SQLite and, when BENCH_DATABASE_URL or TEST_DATABASE_URL is given, on
 * a fresh PostgreSQL database. The console's pages are fetched over HTTP with the cursor of their Next page link
 * (keyset: the rows after the last one shown): the first page, one halfway and the last; as the baseline, in the
 * same run, the same rows are fetched with LIMIT/OFFSET on the same query through Kysely, as a list paged by
 * offset would. Each figure is the median of the rounds, the three taking turns so that all meet the same load.
 *
 *   npm run bench:portal
 *   BENCH_ROUNDS=15 BENCH_STORES=sqlite npm run bench:portal
 *   BENCH_ROWS=5000 BENCH_OTHER_ROWS=0 npm run bench:portal   # sizes: the developer's rows, the others'
 *   BENCH_EXPLAIN=1 npm run bench:portal   # the plans of the first and the last keyset page too
 *
 * Goal (issue: "the portal's lists page through thousands of rows without slowing down"): a deep page costs
 * about what the first does, over HTTP and in the store; the offset baseline shows what grows with the depth.
 * `query ms` is the keyset query alone, `HTTP ms` the whole page (session, query, HTML) as a browser gets it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompiledQuery } from 'kysely';
import { request } from 'undici';
import { loadConfig } from '../packages/platform/src/config.js';
import type { Clock } from '../packages/platform/src/infra/clock.js';
import { createLogger } from '../packages/platform/src/infra/log.js';
import { newId, newToken, newWebhookSecret, sha256Hex } from '../packages/platform/src/infra/secrets/random.js';
import type { Db } from '../packages/platform/src/infra/store/index.js';
import type { EventsTable, UploadsTable } from '../packages/platform/src/infra/store/schema.js';
import { encodeCursor, PAGE_SIZE } from '../packages/platform/src/features/portal/console/shared.js';
import * as q from '../packages/platform/src/features/portal/queries.js';
import { startPlatform } from '../packages/platform/src/server.js';
import { freshDatabase, pct, prng } from './platform.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000); // the developer's, per list
const OTHER_ROWS = Number(process.env.BENCH_OTHER_ROWS ?? 4 * ROWS); // the other developers', per list
const OTHERS = Number(process.env.BENCH_OTHER_DEVELOPERS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const STORES = process.env.BENCH_STORES?.split(',') ?? ['sqlite', 'postgres'];
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const EXPLAIN = Boolean(process.env.BENCH_EXPLAIN);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-portal-'));

/** Fourteen days of rows, oldest first; every fifth instant is shared by two rows (the ID orders them). */
const SPAN_MS = 14 * 86_400_000;
const instants = (n: number) => {
  const start = Date.now() - SPAN_MS - 3_600_000;
  return (k: number) => new Date(start + Math.floor(((k - (k % 5 === 1 ? 1 : 0)) * SPAN_MS) / n)).toISOString();
};

interface Owner {
  developerId: string;
  applications: Array<{ id: string; integrationId: string }>;
}

/**
 * Developers, their applications and integrations with one instance, as onboarding and consent leave them. These
 * few rows are written directly (as bench/webhooks.ts does): the journey to each is HTTP round trips and e-mails
 * that have nothing to do with the lists.
 */
async function owners(db: Db, seal: (s: string) => string): Promise<{ me: Owner; others: Owner[] }> {
  const now = new Date().toISOString();
  const instanceId = newId('ins');
  const make = async (tx: Db, email: string, apps: number): Promise<Owner> => {
    const developerId = newId('dev');
    await tx
      .insertInto('developers')
      .values({
        id: developerId,
        name: email,
        email,
        company: null,
        status: 'active',
        created_at: now,
        activated_at: now,
      })
      .execute();
    const applications = [];
    for (let i = 0; i < apps; i++) {
      const id = newId('app');
      const integrationId = newId('int');
      await tx
        .insertInto('applications')
        .values({
          id,
          developer_id: developerId,
          name: `${email} app ${i}`,
          description: null,
          solution: 'ecommerce',
          notification_url: 'http://127.0.0.1:9/events',
          status: 'active',
          webhook_secret_sealed: seal(newWebhookSecret()),
          notification_gone_at: null,
          created_at: now,
          previous_webhook_secret_sealed: null,
          previous_secret_valid_until: null,
        })
        .execute();
      await tx
        .insertInto('integrations')
        .values({
          id: integrationId,
          application_id: id,
          instance_id: instanceId,
          solution: 'ecommerce',
          passcode_id: newId('pc'),
          secret_hash: sha256Hex(newToken()),
          status: 'active',
          created_at: now,
          revoked_at: null,
        })
        .execute();
      applications.push({ id, integrationId });
    }
    return { developerId, applications };
  };
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto('instances')
      .values({
        id: instanceId,
        name: 'Acme Ltd',
        product: 'Sage 50',
        key_hash: sha256Hex(newToken()),
        created_at: now,
        deleted_at: null,
      })
      .execute();
    const me = await make(tx, 'bench@example.com', 3);
    const others = [];
    for (let i = 0; i < OTHERS; i++) others.push(await make(tx, `other-${i}@example.com`, 1));
    return { me, others };
  });
}

/**
 * ROWS events and ROWS uploads of the developer's, and OTHER_ROWS of the others', interleaved in time, in the
 * state a running platform leaves most of them in (delivered, accepted). Written as rows, 500 to a statement:
 * the outbox would queue a delivery per event (webhooks to send or to hold back) and the uploads service stores
 * each upload's bytes as a file, minutes of work that no list reads; a statement per row (the features' own
 * insertEvent, insertUpload) took a minute on PostgreSQL.
 */
async function seed(db: Db, seal: (s: string) => string, me: Owner, others: Owner[], instanceId: string) {
  const total = ROWS + OTHER_ROWS;
  const at = instants(total);
  // The developer's rows spread evenly among the others'; theirs go to each application in turn.
  let [mine, theirs] = [0, 0];
  const ownerOf = (k: number) => {
    if (Math.floor(((k + 1) * ROWS) / total) > Math.floor((k * ROWS) / total))
      return me.applications[mine++ % me.applications.length]!;
    return others[theirs++ % others.length]!.applications[0]!;
  };
  const random = prng(1);
  const payload = seal(JSON.stringify({ type: 'webhook.test', timestamp: at(0), data: {} }));
  for (let from = 0; from < total; from += 500) {
    const events: EventsTable[] = [];
    const uploads: UploadsTable[] = [];
    for (let k = from; k < Math.min(total, from + 500); k++) {
      const app = ownerOf(k);
      const createdAt = at(k);
      const [roll, kind] = [random(), random()];
      const status = roll < 0.02 ? 'failed' : roll < 0.03 ? 'pending' : 'delivered';
      events.push({
        id: newId('evt'),
        application_id: app.id,
        integration_id: app.integrationId,
        type: kind < 0.45 ? 'upload.validated' : kind < 0.9 ? 'upload.completed' : 'file.available',
        payload_sealed: payload,
        status,
        attempts: status === 'pending' ? 0 : 1,
        created_at: createdAt,
        last_attempt_at: status === 'pending' ? null : createdAt,
        next_attempt_at: status === 'pending' ? createdAt : null,
        delivered_at: status === 'delivered' ? createdAt : null,
      });
      const id = newId('upl');
      uploads.push({
        id,
        integration_id: app.integrationId,
        application_id: app.id,
        instance_id: instanceId,
        solution: 'ecommerce',
        type: 'orders',
        status: roll < 0.025 ? 'invalid' : 'accepted',
        progress: 100,
        blob_key: `uploads/${instanceId}/${id}.json`,
        size: 2048,
        sha256: '0'.repeat(64),
        records: 10,
        error_count: 0,
        errors: '[]',
        idempotency_key: null,
        lease_until: null,
        result_blob_key: null,
        result_size: null,
        result_sha256: null,
        ids_digest: null,
        result_accepted: null,
        result_rejected: null,
        body_removed_at: null,
        created_at: createdAt,
        updated_at: createdAt,
      });
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('events').values(events).execute();
      await tx.insertInto('uploads').values(uploads).execute();
    });
  }
}

const median = (xs: number[]) => pct(xs, 50);
const ms = async (work: () => Promise<unknown>) => {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
};
const fmt = (n: number) => n.toFixed(n < 10 ? 2 : 1);

interface List {
  name: string;
  path: string;
  all(): Promise<Array<{ id: string; created_at: string }>>;
  keyset(cursor: q.Cursor | undefined): { execute(): Promise<Array<{ id: string }>>; compile(): CompiledQuery };
  offset(n: number): { execute(): Promise<Array<{ id: string }>> };
}

const rows: string[][] = [];
const plans: string[] = [];
for (const store of STORES) {
  if (store === 'postgres' && !PG_URL) {
    console.log(
      'PostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL; `source .ci/postgres.sh && start_throwaway_postgres`)',
    );
    continue;
  }
  const database = store === 'postgres' ? await freshDatabase(PG_URL!, 'bench_portal') : undefined;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: fs.mkdtempSync(path.join(work, 'data-')),
    ADMIN_TOKEN: 'b'.repeat(32),
    LOG_LEVEL: 'warn',
    ...(database ? { DATABASE_URL: database.url } : {}),
  });
  const clock: Clock = { now: () => Date.now(), date: () => new Date(), onJump: () => {} };
  const running = await startPlatform(config, createLogger('warn'), { clock });
  try {
    const { platform } = running;
    await platform.queue.stop(); // nothing of the lists' runs in the background; the retention must not prune
    const db = platform.store.db;
    const seal = (s: string) => platform.secrets.seal(s);
    const t0 = performance.now();
    const { me, others } = await owners(db, seal);
    const instanceId = (await db.selectFrom('instances').select('id').executeTakeFirstOrThrow()).id;
    await seed(db, seal, me, others, instanceId);
    if (store === 'postgres') await db.executeQuery(CompiledQuery.raw('analyze'));
    const seeded = (performance.now() - t0) / 1000;

    // A session of the developer's, as the sign-in link opens one (the e-mail round trip is not what is measured).
    const session = newToken();
    const now = new Date();
    await q.insertSession(db, {
      token_hash: sha256Hex(session),
      developer_id: me.developerId,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 86_400_000).toISOString(),
      ended_at: null,
    });
    const page = async (p: string) => {
      const res = await request(running.url + p, { headers: { cookie: `cc_session=${session}` } });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${p}: ${res.statusCode}`);
      return text;
    };

    // Each list three ways: all its rows (to know each page's cursor and rows), the console's keyset query, and
    // the same query by offset.
    const eventsList = (name: string, path: string, filter: { status?: string }): List => {
      const base = () => q.eventsOf(db, me.developerId, filter);
      return {
        name,
        path,
        all: () => base().orderBy('e.created_at', 'desc').orderBy('e.id', 'desc').execute(),
        keyset: (cursor) => q.newestFirst(base(), 'e', cursor, PAGE_SIZE),
        offset: (n) =>
          base()
            .orderBy('e.created_at', 'desc')
            .orderBy('e.id', 'desc')
            .limit(PAGE_SIZE + 1)
            .offset(n),
      };
    };
    const uploadsBase = () => q.uploadsOf(db, me.developerId, {});
    const lists: List[] = [
      eventsList('events', '/portal/events', {}),
      eventsList('events?status=failed', '/portal/events?status=failed', { status: 'failed' }),
      {
        name: 'uploads',
        path: '/portal/uploads',
        all: () => uploadsBase().orderBy('u.created_at', 'desc').orderBy('u.id', 'desc').execute(),
        keyset: (cursor) => q.newestFirst(uploadsBase(), 'u', cursor, PAGE_SIZE),
        offset: (n) =>
          uploadsBase()
            .orderBy('u.created_at', 'desc')
            .orderBy('u.id', 'desc')
            .limit(PAGE_SIZE + 1)
            .offset(n),
      },
    ];
    for (const list of lists) {
      const all = await list.all();
      const last = Math.ceil(all.length / PAGE_SIZE);
      if (last === 0) throw new Error(`${store} ${list.name}: no rows`);
      const pageNumbers = [...new Set([1, Math.ceil(last / 2), last])];
      for (const n of pageNumbers) {
        const offset = (n - 1) * PAGE_SIZE;
        const before = offset > 0 ? all[offset - 1]! : undefined;
        const cursor = before ? { createdAt: before.created_at, id: before.id } : undefined;
        const link = before
          ? `${list.path}${list.path.includes('?') ? '&' : '?'}after=${encodeCursor(before)}`
          : list.path;
        const keysetQuery = () => list.keyset(cursor).execute();
        const offsetQuery = () => list.offset(offset).execute();
        // The three agree on the page: the same rows, in the same order.
        const want = JSON.stringify(all.slice(offset, offset + PAGE_SIZE).map((r) => r.id));
        const shown = [...(await page(link)).matchAll(/href="\/portal\/(?:events|uploads)\/((?:evt|upl)_\w+)"/g)];
        for (const got of [shown.map((m) => m[1]), await keysetQuery(), await offsetQuery()].map((ids) =>
          ids.slice(0, PAGE_SIZE).map((r) => (typeof r === 'string' ? r : r?.id)),
        ))
          if (JSON.stringify(got) !== want) throw new Error(`${store} ${list.name} page ${n}: not the same rows`);
        if (EXPLAIN && (n === 1 || n === last))
          plans.push(await explain(db, store, `${list.name} page ${n}`, list.keyset(cursor).compile()));
        for (let w = 0; w < 2; w++) await Promise.all([page(link), keysetQuery(), offsetQuery()]); // warm up
        const http: number[] = [];
        const keyset: number[] = [];
        const offsetMs: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          const turns = [
            async () => http.push(await ms(() => page(link))),
            async () => keyset.push(await ms(keysetQuery)),
            async () => offsetMs.push(await ms(offsetQuery)),
          ];
          for (const turn of r % 2 ? turns.reverse() : turns) await turn();
        }
        rows.push([store, list.name, `${n} of ${last}`, fmt(median(http)), fmt(median(keyset)), fmt(median(offsetMs))]);
      }
    }
    console.log(`${store}: seeded ${(2 * (ROWS + OTHER_ROWS)).toLocaleString('en-GB')} rows in ${seeded.toFixed(1)} s`);
  } finally {
    await running.stop();
    await database?.drop();
  }
}

async function explain(db: Db, store: string, label: string, c: CompiledQuery): Promise<string> {
  const prefix =
    store === 'postgres' ? 'explain (analyze, costs off, timing off, summary off) ' : 'explain query plan ';
  const res = await db.executeQuery(CompiledQuery.raw(prefix + c.sql, [...c.parameters]));
  const lines = (res.rows as Array<Record<string, unknown>>).map((r) =>
    String(store === 'postgres' ? r['QUERY PLAN'] : r.detail),
  );
  return `${store}, ${label}:\n  ${lines.join('\n  ')}`;
}

const header = ['store', 'list', 'page', 'keyset HTTP ms', 'keyset query ms', 'offset query ms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(
  `\n${ROWS.toLocaleString('en-GB')} events and as many uploads of one developer (${OTHER_ROWS.toLocaleString('en-GB')} of ${OTHERS} others), ${PAGE_SIZE} a page; medians of ${ROUNDS} rounds\n`,
);
console.log(line(header));
for (const r of rows) console.log(line(r));
if (plans.length) console.log(`\n${plans.join('\n\n')}`);
fs.rmSync(work, { recursive: true, force: true });
