/**
 * bench:api's floor: the least any Fastify service must do to answer an authenticated GET of this API, and
 * nothing more. One GET route per path of ROUTES, answering the body the platform answered there, after:
 * - one request log line (pino at info, into the same /dev/null as the platform's, with the request's ID), the
 *   lines of a turn of the event loop written together by the platform's own stdout (batchedStdout);
 * - the X-Request-Id header;
 * - the API key checked from memory (its SHA-256, then a Map: what the platform's credential cache does once warm);
 * - one row read from the platform's own database by primary key (`uploads` by ID): SQLite through
 *   better-sqlite3, a statement prepared once, the reads of a turn in one read transaction by the platform's own
 *   TurnReads;
 *   PostgreSQL through a pg pool of 10, a named statement, the reads of a turn in one query by the platform's own
 *   BatchedReads;
 * No validation, no metrics, no hooks of a framework on top. Its ratio to bare Fastify is the ceiling of the
 * platform's on this machine: what the platform does beyond this is what it could still shed.
 */
import { createHash } from 'node:crypto';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { batchedStdout } from '../packages/platform/src/infra/stdout.js';
import { BatchedReads } from '../packages/platform/src/infra/store/batched-reads.js';
import { TurnReads } from '../packages/platform/src/infra/store/turn-reads.js';

const routes = JSON.parse(process.env.ROUTES!) as { path: string; body: unknown }[];
const uploadId = process.env.UPLOAD_ID!;
const log = pino({ level: 'info' }, batchedStdout());
const app = Fastify({ loggerInstance: log });
const SQL = { sqlite: 'select * from uploads where id = ?', postgres: 'select * from uploads where id = $1' };

let read: () => Promise<unknown>;
if (process.env.DATABASE_URL) {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const names = new Map([[SQL.postgres, 'floor']]);
  const batched = new BatchedReads<[string]>({ sql: SQL.postgres, slots: [0] }, 1, {
    run: async (text, values) => (await pool.query({ name: names.get(text), text, values })).rows,
    named: (sql) => void names.set(sql, `floor_${names.size}`),
    parameterTypes: async () => ['text'], // uploads.id
  });
  read = async () => (await batched.load([uploadId]))[0];
} else {
  const reads = new TurnReads(new SQLite(process.env.SQLITE_FILE, { readonly: true }));
  const statement = reads.prepare(SQL.sqlite);
  read = async () => reads.all(statement, [uploadId])?.[0];
}

const principals = new Map<string, { expires: string }>();
app.addHook('onRequest', (request, reply, done) => {
  reply.header('x-request-id', request.id);
  const key = request.headers['x-api-key'] ?? request.headers['x-instance-key'];
  const hash = createHash('sha256')
    .update(String(key ?? ''))
    .digest('hex');
  let principal = principals.get(hash);
  if (!principal) principals.set(hash, (principal = { expires: new Date(Date.now() + 3_600_000).toISOString() }));
  done(Date.parse(principal.expires) > Date.now() ? undefined : new Error('the key has expired'));
});
app.addHook('onResponse', (request, reply, done) => {
  log.info(
    { reqId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
    'request',
  );
  done();
});
for (const r of routes) {
  app.get(r.path, { logLevel: 'silent' }, async () => {
    if (!(await read())) throw new Error('the upload row is missing');
    return r.body;
  });
}
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
