import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectedCloud, FileKeyStore, MemoryKeyStore, type UploadTracking } from '@connected-cloud/client';
import { Command, Option } from 'commander';
import { EXIT, fail, output } from './output.js';

const program = new Command('ccloud')
  .description('Connected Cloud from the command line: onboarding, keys, files, uploads, events, and starting the platform and the connector')
  .option('--url <url>', 'the platform', process.env.CCLOUD_URL ?? 'http://127.0.0.1:8080')
  .addOption(new Option('--apikey <key>', 'the integration’s API key').env('CCLOUD_APIKEY'))
  .option('--key-file <file>', 'where the API key is kept (a rotated key is written back)', process.env.CCLOUD_KEY_FILE ?? path.join(os.homedir(), '.config', 'ccloud', 'apikey'))
  .addOption(new Option('--secret <secret>', 'the secret the passcode was asked with (rotating the key needs it)').env('CCLOUD_SECRET'))
  .addOption(new Option('--admin-token <token>', 'the operator’s admin token').env('CCLOUD_ADMIN_TOKEN'))
  .option('--json', 'print one JSON document (for scripts)', false)
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT.usage))
  .showHelpAfterError();

interface Globals {
  url: string;
  apikey?: string;
  keyFile: string;
  secret?: string;
  adminToken?: string;
  json: boolean;
}
const globals = () => program.opts<Globals>();
const out = () => output(globals().json);
/** The SDK with the key of --apikey, else of the key file. */
function sdk(): ConnectedCloud {
  const g = globals();
  const keyStore = g.apikey ? new MemoryKeyStore(g.apikey) : new FileKeyStore(g.keyFile);
  return new ConnectedCloud({ baseUrl: g.url, keyStore, ...(g.secret ? { secret: g.secret } : {}) });
}
/** Runs a command's work; any failure is reported and sets the exit code. */
const run =
  <A extends unknown[]>(work: (...args: A) => Promise<void>) =>
  async (...args: A) => {
    try {
      await work(...args);
    } catch (error) {
      fail(error, globals().json);
    }
  };

program
  .command('register')
  .description('register as a developer with a first application; finish in a browser at the URL printed')
  .requiredOption('--name <name>').requiredOption('--email <email>').option('--company <company>')
  .requiredOption('--app-name <name>').requiredOption('--solution <domain>').requiredOption('--notification-url <url>').option('--description <text>')
  .action(run(async (o: { name: string; email: string; company?: string; appName: string; solution: string; notificationUrl: string; description?: string }) => {
    const started = await sdk().register({ name: o.name, email: o.email, ...(o.company ? { company: o.company } : {}), application: { name: o.appName, solution: o.solution, notificationUrl: o.notificationUrl, ...(o.description ? { description: o.description } : {}) } });
    out().result(started, (r) => `Open ${r.registrationUrl} in a browser to finish (before ${r.expires}); the IDs come by e-mail.`);
  }));

const application = program.command('application').description('applications of a developer');
application
  .command('get <developerId> <applicationId>')
  .action(run(async (developerId: string, applicationId: string) => out().result(await sdk().application(developerId, applicationId), (a) => `${a.applicationId}  ${a.name}  ${a.solution}  ${a.notificationUrl}`)));
application
  .command('create <developerId>')
  .requiredOption('--name <name>').requiredOption('--solution <domain>').requiredOption('--notification-url <url>').option('--description <text>')
  .action(run(async (developerId: string, o: { name: string; solution: string; notificationUrl: string; description?: string }) => {
    const created = await sdk().createApplication(developerId, { name: o.name, solution: o.solution, notificationUrl: o.notificationUrl, ...(o.description ? { description: o.description } : {}) });
    out().result(created, (a) => `${a.applicationId}  ${a.name}\nwebhook signing secret: ${a.webhookSecret}`);
  }));

program
  .command('passcode <developerId> <applicationId>')
  .description('a passcode to show your user; with --wait, waits for consent and keeps the key in the key file')
  .option('--wait', 'wait until the user consents, then store the API key', false)
  .action(run(async (developerId: string, applicationId: string, o: { wait: boolean }) => {
    const g = globals();
    if (!g.secret) throw new Error('--secret (or CCLOUD_SECRET) is needed: it is this integration’s secret, for rotating its key later');
    const client = new ConnectedCloud({ baseUrl: g.url, keyStore: new FileKeyStore(g.keyFile) });
    const pc = await client.createPasscode(developerId, applicationId, g.secret);
    if (!o.wait) return out().result(pc, (p) => `${p.passcode}  (expires ${p.expires}; ${p.passcodeId})`);
    out().note(`Passcode ${pc.passcode}: type it into the accounting product. Waiting for consent…`);
    for (;;) {
      const issued = await client.pollApiKey(developerId, applicationId, pc.passcodeId, g.secret);
      if (issued) return out().result({ ...pc, integrationId: issued.integrationId, keyExpires: issued.expires, keyFile: g.keyFile }, () => `Granted: integration ${issued.integrationId}; the key is in ${g.keyFile}`);
      await sleep(2000);
    }
  }));

program
  .command('key')
  .description('the API key')
  .command('rotate')
  .description('replace the key (needs --secret); the old one stays valid for the grace period')
  .action(run(async () => {
    const client = sdk();
    const apikey = await client.rotateKey();
    if (!globals().apikey) out().note(`stored in ${globals().keyFile}`);
    out().result({ apikey }, (r) => r.apikey);
  }));

program.command('integration').description('the integration of the key').action(run(async () => out().result(await sdk().integration(), (i) => `${i.integrationId}  ${i.application.name} ↔ ${i.instance.name} (${i.instance.product})  ${i.solution}  ${i.status}  key expires ${i.keyExpires}`)));

const files = program.command('files').description('the instance’s scope files');
files.command('list').action(run(async () => out().result(await sdk().files.list(), (fs_) => fs_.map((f: { fileId: string; scope: string; records: number; size: number; createdAt: string }) => `${f.fileId}  ${f.scope.padEnd(18)} ${String(f.records).padStart(8)} records  ${f.createdAt}`).join('\n') || 'no files yet')));
files
  .command('download [fileId]')
  .description('a file’s content (or, with --scope, the current file of a scope) to a file or stdout')
  .option('--scope <scope>').option('-o, --output <file>', 'write here instead of stdout')
  .action(run(async (fileId: string | undefined, o: { scope?: string; output?: string }) => {
    if (!fileId && !o.scope) throw new Error('give a fileId or --scope');
    const client = sdk();
    const size = fileId ? (await client.files.get(fileId)).size : undefined;
    const body = await client.files.download(fileId ?? { scope: o.scope! });
    const bar = o.output ? out().bar(size, 'bytes') : { update() {}, stop() {} };
    let seen = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        bar.update(seen);
        done(null, chunk);
      },
    });
    await pipeline(body, counting, o.output ? fs.createWriteStream(o.output) : process.stdout);
    bar.stop();
    if (o.output) out().result({ output: o.output, bytes: seen }, (r) => `${r.bytes} bytes → ${r.output}`);
  }));
files
  .command('changes <fileId>')
  .requiredOption('--since <olderFileId>')
  .description('what changed since an older version (NDJSON; an array with --json)')
  .action(run(async (fileId: string, o: { since: string }) => {
    const changes = await sdk().files.changes(fileId, o.since);
    if (globals().json) {
      const all = [];
      for await (const c of changes) all.push(c);
      return out().result(all);
    }
    for await (const c of changes) process.stdout.write(`${JSON.stringify(c)}\n`);
  }));

program
  .command('upload <file>')
  .description('send a JSON array file as an upload, with a progress bar; --wait follows it to the end')
  .requiredOption('--type <type>', 'an upload type of the solution, e.g. orders')
  .option('--idempotency-key <key>').option('--validate-only', 'validate and report; nothing is stored', false).option('--wait', 'follow the upload until a final status', false)
  .action(run(async (file: string, o: { type: string; idempotencyKey?: string; validateOnly: boolean; wait: boolean }) => {
    const client = sdk();
    if (o.validateOnly) {
      const report = await client.uploads.validate(o.type, { path: file });
      out().result(report, (r) => `${r.status}: ${r.records} records, ${r.errorCount} errors${r.errors.map((e: { pointer: string; message: string }) => `\n  ${e.pointer}: ${e.message}`).join('')}`);
      if (report.status === 'invalid') process.exitCode = EXIT.uploadFailed;
      return;
    }
    const bar = out().bar(fs.statSync(file).size, 'bytes');
    const created = await client.uploads.create(o.type, { path: file }, { ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}), onProgress: (p) => bar.update(p.sent) });
    bar.stop();
    if (!o.wait) return out().result(created, (c) => `${c.fileId}  ${c.status}  ${c.trackingUrl}`);
    await follow(client, created.fileId);
  }));

program.command('track <fileId>').description('follow an upload until a final status').action(run(async (fileId: string) => follow(sdk(), fileId)));

/** Prints each change of status until a final one; exit code 3 when it ends invalid or failed. */
async function follow(client: ConnectedCloud, fileId: string): Promise<void> {
  let last = '';
  const final = await client.uploads.waitForCompletion(fileId, {
    onUpdate: (t) => {
      const line = `${t.status} (${t.stage}, ${t.progress}%)`;
      if (line !== last && !globals().json) out().note(line);
      last = line;
    },
  });
  out().result(final, (t: UploadTracking) => `${t.fileId}  ${t.status}${t.downloadResultUrl ? `  result: ${t.downloadResultUrl}` : ''}${t.errors.map((e) => `\n  ${e.pointer}: ${e.message}`).join('')}`);
  if (final.status === 'invalid' || final.status === 'failed') process.exitCode = EXIT.uploadFailed;
}

const events = program.command('events').description('the integration’s events and their delivery');
events
  .command('list')
  .option('--status <status>', 'pending, delivered or failed').option('--type <type>')
  .action(run(async (o: { status?: 'pending' | 'delivered' | 'failed'; type?: string }) =>
    out().result(await sdk().events.list({ ...(o.status ? { status: o.status } : {}), ...(o.type ? { type: o.type as never } : {}) }), (list) => list.map((e: { eventId: string; type: string; status: string; attempts: number; createdAt: string }) => `${e.eventId}  ${e.type.padEnd(18)} ${e.status.padEnd(9)} ${e.attempts} attempts  ${e.createdAt}`).join('\n') || 'no events'),
  ));
events.command('resend <eventId>').action(run(async (eventId: string) => out().result(await sdk().events.resend(eventId), (e) => `${e.eventId}  ${e.status}`)));

program
  .command('admin')
  .description('operator commands (--admin-token)')
  .command('instance')
  .command('create')
  .requiredOption('--name <name>').requiredOption('--product <product>', 'e.g. Sage 50')
  .action(run(async (o: { name: string; product: string }) => {
    const g = globals();
    if (!g.adminToken) throw new Error('--admin-token (or CCLOUD_ADMIN_TOKEN) is needed');
    const res = await fetch(`${g.url.replace(/\/+$/, '')}/api/admin/instances`, { method: 'POST', headers: { authorization: `Bearer ${g.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: o.name, product: o.product }) });
    const body = (await res.json()) as { instanceId: string; instanceKey: string; code?: string; detail?: string };
    if (!res.ok) throw new Error(`${res.status} ${body.code}: ${body.detail}`);
    out().result(body, (b) => `${b.instanceId}\ninstance key (shown once): ${b.instanceKey}`);
  }));

const require = createRequire(import.meta.url);
/** Runs a package's own command in the foreground, passing signals on; exits with its code. */
function startBin(pkg: string, bin: string): void {
  const file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), bin);
  const child = spawn(file, [], { stdio: 'inherit', env: process.env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 1));
}
program.command('platform').command('start').description('start the platform (configured by its environment variables)').action(() => startBin('@connected-cloud/platform', 'bin/platform.js'));
program.command('connector').command('start').description('start the reference connector (CONNECTOR_* variables)').action(() => startBin('@connected-cloud/connector', 'bin/connector.js'));

await program.parseAsync();
