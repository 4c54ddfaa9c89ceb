import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, asInstance, consentWith } from '../../platform/test/support/consent.js';
import { registerApplication, type RegisteredApplication } from '../../platform/test/support/onboarding.js';
import { order, orderResult } from '../../platform/test/support/orders.js';
import { freePort, usePlatformWithMail } from '../../platform/test/support/platform.js';
import { ownChild } from '../../platform/test/support/process.js';
import { signIn } from '../../platform/test/support/portal.js';
import { Receiver } from '../../platform/test/support/receiver.js';

const BIN = fileURLToPath(new URL('../bin/ccloud.js', import.meta.url));
const built = fs.existsSync(fileURLToPath(new URL('../dist/ccloud.js', import.meta.url)));
const SECRET = 'correct horse battery staple';
const at = '2026-11-28T10:00:00.000Z';
const product = (i: number, price = 9.5) => ({
  id: `p${i}`,
  name: `Product ${i}`,
  netPrice: price,
  tax: 20,
  discountByUnit: true,
  timestamp: at,
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs ccloud as a user would; `whileRunning` acts while it runs (the other side of a wait). */
function spawnCli(args: string[], env: Record<string, string> = {}) {
  const child = ownChild(spawn(BIN, args, { env: { PATH: process.env.PATH!, HOME: os.tmpdir(), ...env } }), 'SIGTERM');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Ran>((resolve) =>
    child.on('exit', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {}
      resolve({ code, stdout, stderr, json });
    }),
  );
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

/** Runs a command in a terminal (`script` gives it a pty, as a person's shell would); `output` is what it drew. */
function inTerminal(args: string[]) {
  const command = args.map((a) => `'${a}'`).join(' ');
  // SIGKILL for `script` closes the terminal, and the hang-up ends the command in it.
  const child = ownChild(
    spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH!, HOME: os.tmpdir(), TERM: 'xterm', COLUMNS: '120' },
    }),
  );
  let output = '';
  let code: number | null | undefined;
  child.stdout.on('data', (d) => (output += d));
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (c) => {
      code = c;
      resolve({ code: c, output });
    }),
  );
  return { child, done, output: () => output, code: () => code };
}

// Each test spawns ccloud several times; a start takes seconds on a loaded machine.
describe.skipIf(!built)('the ccloud command against a running platform', { timeout: 120_000 }, () => {
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } },
  );
  let receiver: Receiver;
  let app: RegisteredApplication;
  let instanceKey: string;
  let keyFile: string;
  let dir: string;
  const cli = (...args: string[]) =>
    spawnCli(['--url', ctx.platform.url, '--key-file', keyFile, '--secret', SECRET, ...args]).done;
  const instance = (method: string, p: string, body?: string) =>
    fetch(ctx.platform.url + p, {
      method,
      headers: { ...asInstance(instanceKey), ...(body ? { 'content-type': 'application/json' } : {}) },
      body,
    }).then((r) => r.json());

  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-cli-'));
    keyFile = path.join(dir, 'apikey');
  });
  afterAll(async () => receiver?.stop());

  it('exits 2 on a usage error and 1 on a refusal, with the problem as JSON under --json', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('upload')).code).toBe(2);
    const refused = await cli('--json', 'application', 'get', app.developerId, 'app_0000000000000000000000');
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ status: 404, code: 'application-not-found' });
    expect(refused.stderr).toMatch(/error: 404 application-not-found/);
  });

  it('registers, creates an instance, reads and adds applications', async () => {
    const registered = await cli(
      '--json',
      'register',
      '--name',
      'Ada',
      '--email',
      'ada-cli@example.com',
      '--app-name',
      'Shop',
      '--solution',
      'ecommerce',
      '--notification-url',
      receiver.url(),
    );
    expect([registered.code, registered.json.registrationUrl]).toEqual([0, expect.stringMatching(/\/register\//)]);
    expect((await cli('admin', 'instance', 'create', '--name', 'X', '--product', 'Sage 50')).code).toBe(1); // no admin token
    const created = await cli(
      '--json',
      '--admin-token',
      ADMIN.authorization.slice(7),
      'admin',
      'instance',
      'create',
      '--name',
      'Acme Ltd',
      '--product',
      'Sage 50',
    );
    expect(created.code).toBe(0);
    instanceKey = created.json.instanceKey;
    expect(instanceKey).toMatch(/^cci_/);
    const got = await cli('--json', 'application', 'get', app.developerId, app.applicationId);
    expect(got.json.applicationId).toBe(app.applicationId);
    const human = await cli('application', 'get', app.developerId, app.applicationId);
    expect(human.stdout).toMatch(new RegExp(`^${app.applicationId}  Test App  ecommerce`));
    const added = await cli(
      '--json',
      'application',
      'create',
      app.developerId,
      '--name',
      'Lens',
      '--solution',
      'comp-nominalv1',
      '--notification-url',
      receiver.url('/lens'),
    );
    expect(added.json.webhookSecret).toMatch(/^whsec_/);
  });

  it('lists, changes and rotates applications with a developer token, never without one', async () => {
    const own = await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: receiver.url('/own'),
      email: 'tokens-cli@example.com',
    });
    const portal = await signIn(ctx.platform.url, ctx.mail, 'tokens-cli@example.com');
    const made = await portal.post('/portal/tokens', { name: 'cli' }, '/portal/tokens');
    const token = /(ccd_[0-9A-Za-z]{46})/.exec(made.text)![1]!;
    const dev = (...args: string[]) => cli('--developer-token', token, ...args);

    const missing = await cli('application', 'list', own.developerId);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/a developer token is needed/)]);
    const forged = await cli(
      '--json',
      '--developer-token',
      `ccd_${'x'.repeat(46)}`,
      'application',
      'list',
      own.developerId,
    );
    expect([forged.code, forged.json.status]).toEqual([1, 401]);
    const others = await dev('--json', 'application', 'list', app.developerId);
    expect([others.code, others.json.status]).toEqual([1, 404]);

    const listed = await dev('application', 'list', own.developerId);
    expect([listed.code, listed.stdout]).toEqual([
      0,
      `${own.applicationId}  Test App  ecommerce  ${receiver.url('/own')}\n`,
    ]);
    expect((await dev('application', 'update', own.developerId, own.applicationId)).code).toBe(2); // nothing to change
    const badUrl = await dev(
      '--json',
      'application',
      'update',
      own.developerId,
      own.applicationId,
      '--notification-url',
      'ftp://x/',
    );
    expect([badUrl.code, badUrl.json.code]).toEqual([1, 'invalid-request']);
    const changed = await dev(
      '--json',
      'application',
      'update',
      own.developerId,
      own.applicationId,
      '--name',
      'Shop Two',
      '--notification-url',
      receiver.url('/moved'),
    );
    expect([changed.code, changed.json.name, changed.json.notificationUrl]).toEqual([
      0,
      'Shop Two',
      receiver.url('/moved'),
    ]);
    expect((await cli('--json', 'application', 'get', own.developerId, own.applicationId)).json.notificationUrl).toBe(
      receiver.url('/moved'),
    );

    const rotated = await dev('application', 'rotate-secret', own.developerId, own.applicationId);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(
      /^webhook signing secret: whsec_\S+\n\(shown once; the previous secret also signs until \d{4}-/,
    );
    expect(rotated.stdout).not.toContain(own.webhookSecret);
  });

  it('shows a passcode and, with --wait, keeps the key once the user consents', async () => {
    const shown = await cli('passcode', app.developerId, app.applicationId);
    expect([shown.code, shown.stdout]).toEqual([0, expect.stringMatching(/^[A-Z]{4}-[A-Z]{4} {2}\(expires /)]);

    const waiting = spawnCli([
      '--url',
      ctx.platform.url,
      '--key-file',
      keyFile,
      '--secret',
      SECRET,
      '--json',
      'passcode',
      app.developerId,
      app.applicationId,
      '--wait',
    ]);
    let passcode: string | undefined;
    for (let i = 0; i < 400 && !passcode; i++) {
      await new Promise((r) => setTimeout(r, 25));
      passcode = /Passcode ([A-Z]{4}-[A-Z]{4})/.exec(waiting.stderr())?.[1]; // for the user, on stderr under --json
    }
    expect(passcode).toBeDefined();
    await consentWith(ctx.platform, instanceKey, passcode!);
    const done = await waiting.done;
    expect(done.code).toBe(0);
    expect(done.json.integrationId).toMatch(/^int_/);
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toMatch(/^cck_/);
    const integration = await cli('--json', 'integration');
    expect(integration.json.integrationId).toBe(done.json.integrationId);
  });

  it('rotates the key and keeps the new one', async () => {
    const before = fs.readFileSync(keyFile, 'utf8').trim();
    const rotated = await cli('--json', 'key', 'rotate');
    expect(rotated.code).toBe(0);
    expect(rotated.json.apikey).not.toBe(before);
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(rotated.json.apikey);
  });

  it('lists, downloads and diffs scope files', async () => {
    const v1 = await instance(
      'PUT',
      '/api/connector/solutions/ecommerce/scopes/products',
      JSON.stringify([product(1), product(2)]),
    );
    const v2 = await instance(
      'PUT',
      '/api/connector/solutions/ecommerce/scopes/products',
      JSON.stringify([product(1), product(2, 11), product(3)]),
    );
    const list = await cli('--json', 'files', 'list');
    expect(list.json.map((f: { fileId: string }) => f.fileId)).toEqual([v2.fileId]);
    const target = path.join(dir, 'products.json');
    const downloaded = await cli('--json', 'files', 'download', v1.fileId, '-o', target);
    expect(downloaded.json).toEqual({ output: target, bytes: fs.statSync(target).size });
    expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual([product(1), product(2)]);
    const toStdout = await cli('files', 'download', '--scope', 'products');
    expect(JSON.parse(toStdout.stdout)).toHaveLength(3);
    const changes = await cli('--json', 'files', 'changes', v2.fileId, '--since', v1.fileId);
    expect(changes.json.map((c: { op: string; id: string }) => `${c.op} ${c.id}`).sort()).toEqual([
      'added p3',
      'updated p2',
    ]);
    const ndjson = await cli('files', 'changes', v2.fileId, '--since', v1.fileId);
    expect(ndjson.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('uploads, follows to the end, and exits 3 for an upload that ends invalid', async () => {
    const file = path.join(dir, 'orders.json');
    fs.writeFileSync(file, JSON.stringify([order(1), order(2)]));
    const sent = await cli('--json', 'upload', file, '--type', 'orders', '--idempotency-key', 'cli-1');
    expect([sent.code, sent.json.status]).toEqual([0, 'uploaded']);
    const id = sent.json.fileId;

    const tracking = spawnCli(['--url', ctx.platform.url, '--key-file', keyFile, '--json', 'track', id]);
    let inbox: Array<{ fileId: string }> = [];
    while (inbox.length === 0) inbox = await instance('GET', '/api/connector/inbox?wait=5');
    await instance('POST', `/api/connector/uploads/${id}/claim`);
    await instance(
      'PUT',
      `/api/connector/uploads/${id}/result?status=accepted`,
      JSON.stringify([orderResult('o1', true), orderResult('o2', true)]),
    );
    const tracked = await tracking.done;
    expect([tracked.code, tracked.json.status, tracked.json.downloadResultUrl]).toEqual([
      0,
      'accepted',
      `${ctx.platform.url}/api/uploads/${id}/result`,
    ]);

    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify([{ id: 'nope' }]));
    const invalid = await cli('--json', 'upload', bad, '--type', 'orders', '--wait');
    expect([invalid.code, invalid.json.status, invalid.json.errorCount]).toEqual([3, 'invalid', expect.any(Number)]);
    const report = await cli('upload', bad, '--type', 'orders', '--validate-only');
    expect(report.code).toBe(3);
    expect(report.stdout).toMatch(/^invalid: 1 records/);
  });

  it('draws a progress bar on a terminal', async () => {
    // `script` gives the command a terminal, as a person's shell would.
    const file = path.join(dir, 'many-orders.json');
    fs.writeFileSync(file, JSON.stringify(Array.from({ length: 2000 }, (_, i) => order(i))));
    const command = [BIN, '--url', ctx.platform.url, '--key-file', keyFile, 'upload', file, '--type', 'orders']
      .map((a) => `'${a}'`)
      .join(' ');
    const ran = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: { PATH: process.env.PATH!, HOME: os.tmpdir(), TERM: 'xterm' },
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('exit', (code) => resolve({ code, stdout: text }));
    });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(
      /upload +\S+ 100% \| [\d.]+ (KiB|MiB) of [\d.]+ (KiB|MiB) \| [\d.]+ (B|KiB|MiB|GiB)\/s \| ETA \d+s/,
    );
    expect(ran.stdout).toMatch(/upl_\w+ {2}uploaded/);
  });

  it(
    'draws a bar per stage while it follows an upload, and counts a passcode down to its expiry, in a terminal',
    { timeout: 120_000 },
    async () => {
      const file = path.join(dir, 'two-orders.json');
      fs.writeFileSync(file, JSON.stringify([order(7001), order(7002)]));
      const following = inTerminal([
        BIN,
        '--url',
        ctx.platform.url,
        '--key-file',
        keyFile,
        'upload',
        file,
        '--type',
        'orders',
        '--wait',
      ]);
      // The instance's part: every upload waiting (the earlier test's too) is accepted.
      while (following.code() === undefined) {
        const inbox: Array<{ fileId: string }> = await instance('GET', '/api/connector/inbox?wait=1');
        for (const item of inbox) {
          await instance('POST', `/api/connector/uploads/${item.fileId}/claim`);
          await instance(
            'PUT',
            `/api/connector/uploads/${item.fileId}/result?status=accepted`,
            JSON.stringify([orderResult('o7001', true), orderResult('o7002', true)]),
          );
        }
      }
      const followed = await following.done;
      expect(followed.code).toBe(0);
      expect(followed.output).toMatch(/upload +\S+ 100% \|/);
      expect(followed.output).toMatch(/validation \S+ 100% \| valid/);
      expect(followed.output).toMatch(/processing \S+ 100% \| accepted/);

      const otherKey = path.join(dir, 'countdown-apikey');
      const waiting = inTerminal([
        BIN,
        '--url',
        ctx.platform.url,
        '--key-file',
        otherKey,
        '--secret',
        SECRET,
        'passcode',
        app.developerId,
        app.applicationId,
        '--wait',
        '--interval',
        '0.5',
      ]);
      const shown = () => [...waiting.output().matchAll(/Expires in (\d+:\d\d)/g)].map((m) => m[1]!);
      await expect.poll(() => new Set(shown()).size, { timeout: 30_000 }).toBeGreaterThanOrEqual(2); // it ticks
      const [first, later] = [shown()[0]!, shown().at(-1)!].map(
        (t) => Number(t.split(':')[0]) * 60 + Number(t.split(':')[1]),
      );
      expect(later).toBeLessThan(first!);
      expect(waiting.output()).toMatch(/Passcode [A-Z]{4}-[A-Z]{4}: type it into the accounting product/);
      waiting.child.kill(); // a consent would replace the integration the next tests use (the earlier test shows a grant)
      await waiting.done;
    },
  );

  it(
    'describes every command with examples, completes in bash, and sends a test event whose attempts it shows',
    { timeout: 240_000 },
    async () => {
      const leaves = [
        'register',
        'application get',
        'application create',
        'application list',
        'application update',
        'application rotate-secret',
        'passcode',
        'key rotate',
        'integration',
        'files list',
        'files download',
        'files changes',
        'upload',
        'upload results',
        'track',
        'uploads list',
        'events list',
        'events get',
        'events resend',
        'events test',
        'admin instance create',
        'admin instance list',
        'completion',
      ];
      for (const leaf of leaves) {
        const help = await cli(...leaf.split(' '), '--help');
        expect(help.code, leaf).toBe(0);
        expect(help.stdout, leaf).toMatch(/\n\n\S.*\n/); // a description under the usage line
        expect(help.stdout, leaf).toMatch(/\nExamples:\n {2}\$ /);
        expect(help.stdout, leaf).not.toMatch(/^ {2}--[\w-]+( <\w+>)? *$/m); // no option without its description
      }
      const script = (await cli('completion', 'bash')).stdout;
      const complete = (...words: string[]) =>
        new Promise<string>((resolve) => {
          const bash = spawn('bash', [
            '-c',
            `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ccloud; echo "\${COMPREPLY[*]}"`,
          ]);
          let text = '';
          bash.stdout.on('data', (d) => (text += d));
          bash.on('exit', () => resolve(text.trim()));
        });
      expect(await complete('ccloud', 'upl')).toBe('upload uploads');
      expect((await complete('ccloud', 'events', '')).split(' ')).toEqual(
        expect.arrayContaining(['list', 'get', 'resend', 'test']),
      );
      expect(await complete('ccloud', 'upload', '--ty')).toBe('--type');
      expect((await cli('completion', 'zsh')).stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n/);

      const sent = await cli('--json', 'events', 'test', app.developerId, app.applicationId);
      expect(sent.json.eventId).toMatch(/^evt_/);
      // The event log is the integration's (a test event is the application's): the attempts of an upload's event.
      const [completed] = (await cli('--json', 'events', 'list', '--type', 'upload.completed')).json as Array<{
        eventId: string;
      }>;
      await expect
        .poll(async () => (await cli('--json', 'events', 'get', completed!.eventId)).json.attemptLog.length, {
          timeout: 30_000,
        })
        .toBeGreaterThanOrEqual(1);
      const human = await cli('events', 'get', completed!.eventId);
      expect(human.stdout).toMatch(
        new RegExp(`^${completed!.eventId}  upload.completed  \\w+  \\d+ attempts\n  #1  \\S+  \\d+  \\d+ ms`),
      );
    },
  );

  it('lists and resends events', async () => {
    const list = await cli('--json', 'events', 'list', '--type', 'upload.completed');
    expect(list.json.length).toBeGreaterThanOrEqual(1);
    const resent = await cli('--json', 'events', 'resend', list.json[0].eventId);
    expect([resent.code, resent.json.eventId]).toEqual([0, list.json[0].eventId]);
    expect((await cli('events', 'list')).stdout).toMatch(/upload\.validated/);
  });

  it('starts the platform and the connector, and passes a stop on to them', { timeout: 150_000 }, async () => {
    const port = await freePort();
    const platform = spawnCli(['platform', 'start'], {
      PORT: String(port),
      DATA_DIR: path.join(dir, 'platform'),
      ADMIN_TOKEN: 'cli-admin-token-0123456789abcdef-x',
      LOG_LEVEL: 'warn',
    });
    let up = false;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !up;) {
      // A start takes seconds on a loaded machine. /ready, not /health: /health answers from the listen on, while the
      // API still answers 503 until the start is done (CI once failed here: no instance key, so no connector).
      up = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    expect(up, platform.stderr()).toBe(true);
    const created = await fetch(`http://127.0.0.1:${port}/api/admin/instances`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli-admin-token-0123456789abcdef-x', 'content-type': 'application/json' },
      body: '{"name":"Shop","product":"Sage 50"}',
    });
    const key = (await created.json()) as { instanceKey: string };
    expect(created.status, JSON.stringify(key)).toBe(201);
    const connectorPort = await freePort();
    const connector = spawnCli(['connector', 'start'], {
      CONNECTOR_INSTANCE_KEY: key.instanceKey,
      CONNECTOR_PLATFORM_URL: `http://127.0.0.1:${port}`,
      CONNECTOR_DATA_DIR: path.join(dir, 'connector'),
      CONNECTOR_PORT: String(connectorPort),
    });
    let page = 0;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && page !== 200;) {
      page = await fetch(`http://127.0.0.1:${connectorPort}/`).then(
        (r) => r.status,
        () => 0,
      );
      if (page !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(page, connector.stderr()).toBe(200);
    connector.child.kill('SIGTERM');
    platform.child.kill('SIGTERM');
    expect((await connector.done).code).toBe(0);
    expect((await platform.done).code).toBe(0);
  });
});
