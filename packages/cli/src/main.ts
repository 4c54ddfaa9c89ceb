import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Application,
  ConnectedCloud,
  ConnectedCloudAdmin,
  MemoryKeyStore,
  type RequestLog,
  type Tracking,
} from '@connected-cloud/client';
import { FileKeyStore, defaultKeyFile, fromFile } from '@connected-cloud/client/node';
import { Command, Option } from 'commander';
import { completionScript } from './completion.js';
import { EXIT, bytesBar, drawing, fail, output, stageBars } from './output.js';
import { resultsTable, trackingLine } from './tables.js';

const VERSION = '0.1.0';
const program = new Command('ccloud')
  .version(VERSION, '-V, --version', 'print the version')
  .description('Connected Cloud from the command line: onboarding, keys, scope files, uploads and events')
  .addOption(new Option('--url <url>', 'the platform').env('CCLOUD_URL').default('http://127.0.0.1:8080'))
  .addOption(new Option('--apikey <key>', 'the integration’s API key (instead of the key file)').env('CCLOUD_APIKEY'))
  .addOption(
    new Option('--key-file <file>', 'where the API key is kept; a rotated key is written back')
      .env('CCLOUD_KEY_FILE')
      .default(defaultKeyFile({ ...process.env, CCLOUD_KEY_FILE: undefined })),
  )
  .addOption(
    new Option(
      '--secret <secret>',
      'the passcode secret: the one the passcode was asked with (rotating the key needs it)',
    ).env('CCLOUD_SECRET'),
  )
  .addOption(new Option('--admin-token <token>', 'the operator’s admin token').env('CCLOUD_ADMIN_TOKEN'))
  .addOption(
    new Option(
      '--developer-token <token>',
      'a developer token (ccd_…, made in the console at /portal/tokens): lists and changes your applications',
    ).env('CCLOUD_DEVELOPER_TOKEN'),
  )
  .option('--json', 'print one JSON document on stdout (for scripts); messages go to stderr', false)
  .option('--verbose', 'log every HTTP attempt with its request id on stderr', false)
  .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT.usage))
  .showHelpAfterError('(add --help for usage and examples)')
  .addHelpText(
    'after',
    `
Examples:
  $ ccloud register --name 'Ada Lovelace' --email ada@example.com --app-name ShopSync --solution ecommerce \\
      --notification-url https://shop.example.com/hooks
  $ ccloud --secret "$SECRET" passcode dev_… app_… --wait     # shows a passcode, waits for consent, keeps the key
  $ ccloud files list
  $ ccloud upload orders.json --type orders --wait
  $ ccloud upload results upl_…
  $ ccloud --json events list --status failed | jq '.[].eventId'

Environment: CCLOUD_URL, CCLOUD_APIKEY, CCLOUD_KEY_FILE, CCLOUD_SECRET, CCLOUD_ADMIN_TOKEN, CCLOUD_DEVELOPER_TOKEN.
Exit codes: 0 done; 1 the platform refused or could not be reached; 2 a usage error;
            3 an upload ended invalid or failed, or some of its records were rejected.
Shell completion: eval "$(ccloud completion bash)"   (or zsh)`,
  );

interface Globals {
  url: string;
  apikey?: string;
  keyFile: string;
  secret?: string;
  adminToken?: string;
  developerToken?: string;
  json: boolean;
  verbose: boolean;
}
const globals = () => program.opts<Globals>();
const out = () => output(globals().json);
const transportOptions = () => {
  const g = globals();
  return {
    baseUrl: g.url,
    userAgent: `ccloud/${VERSION}`,
    ...(g.verbose
      ? {
          log: (e: RequestLog) =>
            process.stderr.write(
              `${e.requestId} ${e.method} ${e.path} #${e.attempt} → ${e.status ?? e.error} (${e.durationMs} ms)${e.retryInMs !== undefined ? `, again in ${e.retryInMs} ms` : ''}\n`,
            ),
        }
      : {}),
  };
};
/** The SDK with the key of --apikey, else of the key file. */
function sdk(): ConnectedCloud {
  const g = globals();
  const keyStore = g.apikey ? new MemoryKeyStore(g.apikey) : new FileKeyStore(g.keyFile);
  return new ConnectedCloud({ ...transportOptions(), keyStore, ...(g.secret ? { secret: g.secret } : {}) });
}
function admin(): ConnectedCloudAdmin {
  const g = globals();
  if (!g.adminToken)
    throw new Error(
      'the admin token is needed: --admin-token, or CCLOUD_ADMIN_TOKEN (printed once when the platform first started)',
    );
  return new ConnectedCloudAdmin({ ...transportOptions(), adminToken: g.adminToken });
}
/** The developer token; the routes that change an application never take the Developer ID alone. */
function developerToken(): string {
  const token = globals().developerToken;
  if (!token)
    throw new Error(
      'a developer token is needed: --developer-token, or CCLOUD_DEVELOPER_TOKEN (sign in at /portal and create one under Developer tokens)',
    );
  return token;
}
/** Runs a command's work; any failure is reported and sets the exit code. */
const run =
  <A extends unknown[]>(work: (...args: A) => Promise<void>) =>
  async (...args: A) => {
    try {
      await work(...args);
    } catch (error) {
      const g = globals();
      fail(error, g.json, { url: g.url, keyWhere: g.apikey ? '--apikey / CCLOUD_APIKEY' : g.keyFile });
    }
  };
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;

program
  .command('register')
  .description('register as a developer with a first application; finish in a browser at the URL printed')
  .requiredOption('--name <name>', 'your name')
  .requiredOption('--email <email>', 'where the IDs and the webhook signing secret are sent')
  .option('--company <company>', 'your company')
  .requiredOption('--app-name <name>', 'the application’s name, shown to the accounting product’s user')
  .requiredOption('--solution <domain>', 'the solution it uses, e.g. ecommerce (see GET /api/solutions)')
  .requiredOption('--notification-url <url>', 'where events are delivered (https)')
  .option('--description <text>', 'what the application does')
  .addHelpText(
    'after',
    examples(
      "ccloud register --name 'Ada Lovelace' --email ada@example.com --app-name ShopSync --solution ecommerce --notification-url https://shop.example.com/hooks",
    ),
  )
  .action(
    run(
      async (o: {
        name: string;
        email: string;
        company?: string;
        appName: string;
        solution: string;
        notificationUrl: string;
        description?: string;
      }) => {
        const started = await sdk().register({
          name: o.name,
          email: o.email,
          ...(o.company ? { company: o.company } : {}),
          application: {
            name: o.appName,
            solution: o.solution,
            notificationUrl: o.notificationUrl,
            ...(o.description ? { description: o.description } : {}),
          },
        });
        out().result(
          started,
          (r) => `Open ${r.registrationUrl} in a browser to finish (before ${r.expires}); the IDs come by e-mail.`,
        );
      },
    ),
  );

const application = program.command('application').description('a developer’s applications');
const applicationLine = (a: Application) => `${a.applicationId}  ${a.name}  ${a.solution}  ${a.notificationUrl}`;
application
  .command('get <developerId> <applicationId>')
  .description('show an application')
  .addHelpText('after', examples('ccloud application get dev_… app_…'))
  .action(
    run(async (developerId: string, applicationId: string) =>
      out().result(await sdk().application(developerId, applicationId), applicationLine),
    ),
  );
application
  .command('create <developerId>')
  .description('add an application; prints its webhook signing secret (whsec_…) once')
  .requiredOption('--name <name>', 'the application’s name')
  .requiredOption('--solution <domain>', 'e.g. ecommerce or comp-nominalv1')
  .requiredOption('--notification-url <url>', 'where events are delivered')
  .option('--description <text>', 'what it does')
  .addHelpText(
    'after',
    examples(
      'ccloud application create dev_… --name LedgerLens --solution comp-nominalv1 --notification-url https://lens.example.com/hooks',
    ),
  )
  .action(
    run(
      async (
        developerId: string,
        o: { name: string; solution: string; notificationUrl: string; description?: string },
      ) => {
        const created = await sdk().createApplication(developerId, {
          name: o.name,
          solution: o.solution,
          notificationUrl: o.notificationUrl,
          ...(o.description ? { description: o.description } : {}),
        });
        out().result(created, (a) => `${a.applicationId}  ${a.name}\nwebhook signing secret: ${a.webhookSecret}`);
      },
    ),
  );

application
  .command('list <developerId>')
  .description('your applications (needs --developer-token)')
  .addHelpText('after', examples('CCLOUD_DEVELOPER_TOKEN=ccd_… ccloud application list dev_…'))
  .action(
    run(async (developerId: string) =>
      out().result(await sdk().applications(developerId, developerToken()), (list) =>
        list.length ? list.map(applicationLine).join('\n') : 'no applications',
      ),
    ),
  );
const update = application
  .command('update <developerId> <applicationId>')
  .description('change the name, description or notificationUrl (needs --developer-token)')
  .option('--name <name>', 'the new name')
  .option('--description <text>', 'the new description')
  .option('--notification-url <url>', 'where events go from now on (the same rules as at registration)')
  .addHelpText(
    'after',
    examples(
      'ccloud --developer-token ccd_… application update dev_… app_… --notification-url https://shop.example.com/hooks',
    ),
  )
  .action(
    run(
      async (
        developerId: string,
        applicationId: string,
        o: { name?: string; description?: string; notificationUrl?: string },
      ) => {
        const patch = {
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.description !== undefined ? { description: o.description } : {}),
          ...(o.notificationUrl !== undefined ? { notificationUrl: o.notificationUrl } : {}),
        };
        if (Object.keys(patch).length === 0)
          return update.error('error: nothing to change: give --name, --description or --notification-url', {
            exitCode: EXIT.usage,
          });
        out().result(
          await sdk().updateApplication(developerId, applicationId, patch, developerToken()),
          applicationLine,
        );
      },
    ),
  );
application
  .command('rotate-secret <developerId> <applicationId>')
  .description(
    'a new webhook signing secret (whsec_…), printed once; events are signed with both secrets until the old one expires',
  )
  .addHelpText('after', examples('ccloud --developer-token ccd_… application rotate-secret dev_… app_…'))
  .action(
    run(async (developerId: string, applicationId: string) =>
      out().result(
        await sdk().rotateWebhookSecret(developerId, applicationId, developerToken()),
        (r) =>
          `webhook signing secret: ${r.webhookSecret}\n(shown once; the previous secret also signs until ${r.previousSecretValidUntil})`,
      ),
    ),
  );

program
  .command('passcode <developerId> <applicationId>')
  .description(
    'a passcode to show your user; with --wait, counts down to its expiry while waiting for consent, then keeps the key',
  )
  .option('--wait', 'wait until the user consents, then store the API key in the key file', false)
  .option('--interval <seconds>', 'how often to ask while waiting', '2')
  .addHelpText(
    'after',
    examples('ccloud --secret "$SECRET" passcode dev_… app_…', 'CCLOUD_SECRET=… ccloud passcode dev_… app_… --wait'),
  )
  .action(
    run(async (developerId: string, applicationId: string, o: { wait: boolean; interval: string }) => {
      const g = globals();
      if (!g.secret)
        throw new Error(
          'the passcode secret is needed: --secret, or CCLOUD_SECRET (any 16+ characters you keep; rotating the key needs it later)',
        );
      const client = new ConnectedCloud({ ...transportOptions(), keyStore: new FileKeyStore(g.keyFile) });
      const pc = await client.createPasscode(developerId, applicationId, g.secret);
      if (!o.wait) return out().result(pc, (p) => `${p.passcode}  (expires ${p.expires}; ${p.passcodeId})`);
      const expires = Date.parse(pc.expires);
      const line = () => {
        const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
        return `Passcode ${pc.passcode}: type it into the accounting product. Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
      };
      const tty = drawing(g.json);
      if (tty) process.stderr.write(line());
      else (g.json ? process.stderr : process.stdout).write(`${line()}. Waiting for consent…\n`);
      const ticker = tty ? setInterval(() => process.stderr.write(`\r\x1b[2K${line()}`), 1000) : undefined;
      try {
        for (;;) {
          const issued = await client.pollApiKey(developerId, applicationId, pc.passcodeId, g.secret);
          if (issued) {
            if (tty) process.stderr.write('\n');
            return out().result(
              { ...pc, integrationId: issued.integrationId, keyExpires: issued.expires, keyFile: g.keyFile },
              () => `Granted: integration ${issued.integrationId}; the key is in ${g.keyFile}`,
            );
          }
          if (Date.now() > expires)
            throw new Error(`passcode ${pc.passcode} expired before the user consented: ask for another`);
          await new Promise((r) => setTimeout(r, Number(o.interval) * 1000));
        }
      } finally {
        clearInterval(ticker);
      }
    }),
  );

program
  .command('key')
  .description('the API key')
  .command('rotate')
  .description('replace the key (needs --secret); the old one stays valid for the grace period')
  .addHelpText('after', examples('ccloud --secret "$SECRET" key rotate'))
  .action(
    run(async () => {
      const apikey = await sdk().rotateKey();
      if (!globals().apikey) out().note(`stored in ${globals().keyFile}`);
      out().result({ apikey }, (r) => r.apikey);
    }),
  );

program
  .command('integration')
  .description('the integration of the key: application, instance, solution, status')
  .addHelpText('after', examples('ccloud integration', 'CCLOUD_APIKEY=cck_… ccloud --json integration'))
  .action(
    run(async () =>
      out().result(
        await sdk().integration(),
        (i) =>
          `${i.integrationId}  ${i.application.name} ↔ ${i.instance.name} (${i.instance.product})  ${i.solution}  ${i.status}  key expires ${i.keyExpires}`,
      ),
    ),
  );

const files = program.command('files').description('the instance’s scope files (products, customers…)');
files
  .command('list')
  .description('the current file of every scope')
  .addHelpText('after', examples('ccloud files list'))
  .action(
    run(async () =>
      out().result(
        await sdk().files.list(),
        (list) =>
          list
            .map((f) => `${f.fileId}  ${f.scope.padEnd(18)} ${String(f.records).padStart(8)} records  ${f.createdAt}`)
            .join('\n') || 'no files yet',
      ),
    ),
  );
files
  .command('download [fileId]')
  .description('a file’s content (or, with --scope, the current file of a scope) to a file or stdout')
  .option('--scope <scope>', 'the current file of this scope, e.g. products')
  .option('-o, --output <file>', 'write here (with a progress bar) instead of stdout')
  .addHelpText(
    'after',
    examples('ccloud files download --scope products -o products.json', 'ccloud files download file_… | jq length'),
  )
  .action(
    run(async (fileId: string | undefined, o: { scope?: string; output?: string }) => {
      if (!fileId && !o.scope) throw new Error('give a fileId or --scope');
      const client = sdk();
      const size = fileId
        ? (await client.files.get(fileId)).size
        : (await client.files.list()).find((f) => f.scope === o.scope)?.size;
      const body = await client.files.download(fileId ?? { scope: o.scope! });
      const bar = o.output ? bytesBar(globals().json, 'download', size) : bytesBar(true, '', undefined);
      let seen = 0;
      const counting = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          seen += chunk.length;
          bar.update(seen);
          done(null, chunk);
        },
      });
      await pipeline(
        Readable.fromWeb(body as import('node:stream/web').ReadableStream),
        counting,
        o.output ? fs.createWriteStream(o.output) : process.stdout,
      );
      bar.stop();
      if (o.output) out().result({ output: o.output, bytes: seen }, (r) => `${r.bytes} bytes → ${r.output}`);
    }),
  );
files
  .command('changes <fileId>')
  .description('what changed since an older version (NDJSON; an array with --json)')
  .requiredOption('--since <olderFileId>', 'the version you hold')
  .addHelpText('after', examples('ccloud files changes file_new… --since file_old…'))
  .action(
    run(async (fileId: string, o: { since: string }) => {
      const changes = await sdk().files.changes(fileId, o.since);
      if (globals().json) {
        const all = [];
        for await (const c of changes) all.push(c);
        return out().result(all);
      }
      for await (const c of changes) process.stdout.write(`${JSON.stringify(c)}\n`);
    }),
  );

const upload = program
  .command('upload')
  .description('send a JSON array file as an upload, with a progress bar; --wait follows it to the end')
  .argument('<file>', 'a JSON array of records of the upload type')
  // Not requiredOption: Commander would then ask it of `upload results` too.
  .option('--type <type>', 'an upload type of the solution, e.g. orders (required)')
  .option('--idempotency-key <key>', 'the same key and file give back the same upload (safe to repeat)')
  .option('--validate-only', 'validate and report; nothing is stored', false)
  .option('--wait', 'follow the upload until a final status, a bar per stage', false)
  .addHelpText(
    'after',
    examples(
      'ccloud upload orders.json --type orders',
      'ccloud upload orders.json --type orders --idempotency-key batch-42 --wait',
      'ccloud upload orders.json --type orders --validate-only',
    ),
  )
  .action(
    run(async (file: string, o: { type?: string; idempotencyKey?: string; validateOnly: boolean; wait: boolean }) => {
      if (!o.type)
        return upload.error("error: required option '--type <type>' not specified", { exitCode: EXIT.usage });
      const type = o.type;
      const client = sdk();
      if (o.validateOnly) {
        const report = await client.uploads.validate(type, await fromFile(file));
        out().result(
          report,
          (r) =>
            `${r.status}: ${r.records} records, ${r.errorCount} errors${r.errors.map((e) => `\n  ${e.pointer}: ${e.message}`).join('')}`,
        );
        if (report.status === 'invalid') process.exitCode = EXIT.uploadFailed;
        return;
      }
      const blob = await fromFile(file);
      const bar = bytesBar(globals().json, 'upload', blob.size);
      const created = await client.uploads.create(type, blob, {
        ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
        onProgress: (p) => bar.update(p.sent),
      });
      bar.update(blob.size);
      bar.stop();
      if (!o.wait) return out().result(created, (c) => `${c.fileId}  ${c.status}  ${c.trackingUrl}`);
      await follow(client, created.fileId);
    }),
  );
upload
  .command('results <fileId>')
  .description('the per-record outcomes of a finished upload, as a table (--json for scripts)')
  .option('--rejected', 'only the rejected records', false)
  .addHelpText(
    'after',
    examples(
      'ccloud upload results upl_…',
      'ccloud --json upload results upl_… | jq \'.[] | select(.outcome == "rejected")\'',
    ),
  )
  .action(
    run(async (fileId: string, o: { rejected: boolean }) => {
      const all = [];
      for await (const r of sdk().uploads.result(fileId)) if (!o.rejected || r.outcome === 'rejected') all.push(r);
      out().result(all, resultsTable);
    }),
  );

program
  .command('track <fileId>')
  .description('follow an upload until a final status, a bar per stage')
  .addHelpText('after', examples('ccloud track upl_…'))
  .action(run(async (fileId: string) => follow(sdk(), fileId)));

const uploads = program.command('uploads').description('the integration’s uploads');
uploads
  .command('list')
  .description('the uploads, newest first')
  .option(
    '--status <status>',
    'only uploads in this status (uploaded, validating, valid, invalid, pending, downloaded, processing, accepted, failed)',
  )
  .option('--limit <n>', 'at most this many', '50')
  .addHelpText('after', examples('ccloud uploads list', 'ccloud uploads list --status failed --limit 10'))
  .action(
    run(async (o: { status?: Tracking['status']; limit: string }) => {
      const list = await sdk().uploads.list({ ...(o.status ? { status: o.status } : {}), limit: Number(o.limit) });
      out().result(list, (l) => l.map(trackingLine).join('\n') || 'no uploads');
    }),
  );

/** Shows tracking until a final status; exit code 3 when it ends invalid or failed, or with rejected records. */
async function follow(client: ConnectedCloud, fileId: string): Promise<void> {
  const bars = stageBars(globals().json);
  let last = '';
  const final = await client.uploads.waitForCompletion(fileId, {
    onUpdate: (t) => {
      const percent = t.stage === 'validation' ? (t.progress / 40) * 100 : ((t.progress - 40) / 60) * 100;
      bars.update(t.stage, Math.max(0, Math.min(100, percent)), t.status);
      const line = `${t.status} (${t.stage}, ${t.progress}%)`;
      if (!drawing(globals().json) && line !== last && !globals().json) out().note(line);
      last = line;
    },
  });
  bars.stop();
  const rejected = final.summary?.rejected ?? 0;
  out().result(
    final,
    (t) =>
      `${trackingLine(t)}${t.downloadResultUrl ? `\nresult: ${t.downloadResultUrl}` : ''}${t.errors.map((e) => `\n  ${e.pointer}: ${e.message}`).join('')}`,
  );
  if (rejected > 0)
    process.stderr.write(
      `${rejected} of ${final.summary!.records} records were rejected: \`ccloud upload results ${fileId} --rejected\` says why\n`,
    );
  if (final.status === 'invalid' || final.status === 'failed' || rejected > 0) process.exitCode = EXIT.uploadFailed;
}

const events = program.command('events').description('the integration’s events and their delivery');
events
  .command('list')
  .description('the events, newest first, with their delivery status')
  .option('--status <status>', 'pending, delivered or failed')
  .option('--type <type>', 'e.g. upload.completed')
  .addHelpText('after', examples('ccloud events list --status failed', 'ccloud events list --type file.available'))
  .action(
    run(async (o: { status?: 'pending' | 'delivered' | 'failed'; type?: string }) =>
      out().result(
        await sdk().events.list({
          ...(o.status ? { status: o.status } : {}),
          ...(o.type ? { type: o.type as never } : {}),
        }),
        (list) =>
          list
            .map(
              (e) => `${e.eventId}  ${e.type.padEnd(18)} ${e.status.padEnd(9)} ${e.attempts} attempts  ${e.createdAt}`,
            )
            .join('\n') || 'no events',
      ),
    ),
  );
events
  .command('get <eventId>')
  .description('one event with its delivery attempts (time, HTTP status, duration, error)')
  .addHelpText('after', examples('ccloud events get evt_…'))
  .action(
    run(async (eventId: string) =>
      out().result(await sdk().events.get(eventId), (e) =>
        [
          `${e.eventId}  ${e.type}  ${e.status}  ${e.attempts} attempts`,
          ...e.attemptLog.map(
            (a) =>
              `  #${a.attempt}  ${a.attemptedAt}  ${a.httpStatus ?? '—'}  ${a.durationMs} ms${a.error ? `  ${a.error}` : ''}`,
          ),
        ].join('\n'),
      ),
    ),
  );
events
  .command('resend <eventId>')
  .description('deliver an event again')
  .addHelpText('after', examples('ccloud events resend evt_…'))
  .action(
    run(async (eventId: string) =>
      out().result(await sdk().events.resend(eventId), (e) => `${e.eventId}  ${e.status}`),
    ),
  );
events
  .command('test <developerId> <applicationId>')
  .description('send a webhook.test event to the application’s notificationUrl')
  .addHelpText('after', examples('ccloud events test dev_… app_…'))
  .action(
    run(async (developerId: string, applicationId: string) =>
      out().result(
        await sdk().sendTestEvent(developerId, applicationId),
        (e) => `${e.eventId} sent: \`ccloud events get ${e.eventId}\` shows its delivery`,
      ),
    ),
  );

const instance = program
  .command('admin')
  .description('operator commands (need --admin-token)')
  .command('instance')
  .description('accounting-product instances');
instance
  .command('create')
  .description('provision an instance; prints its key once')
  .requiredOption('--name <name>', 'the company, e.g. Acme Ltd')
  .requiredOption('--product <product>', 'e.g. Sage 50')
  .addHelpText(
    'after',
    examples("ccloud --admin-token cca_… admin instance create --name 'Acme Garden Supplies Ltd' --product 'Sage 50'"),
  )
  .action(
    run(async (o: { name: string; product: string }) => {
      const created = await admin().instances.create({ name: o.name, product: o.product });
      out().result(created, (b) => `${b.instanceId}\ninstance key (shown once): ${b.instanceKey}`);
    }),
  );
instance
  .command('list')
  .description('the instances')
  .addHelpText('after', examples('CCLOUD_ADMIN_TOKEN=cca_… ccloud admin instance list'))
  .action(
    run(async () =>
      out().result(
        await admin().instances.list(),
        (l) =>
          l.map((i) => `${i.instanceId}  ${i.name.padEnd(28)} ${i.product.padEnd(10)} ${i.createdAt}`).join('\n') ||
          'no instances',
      ),
    ),
  );

const require = createRequire(import.meta.url);
/** Runs a package's own command in the foreground, passing signals on; exits with its code. Optional packages. */
function startBin(pkg: string, bin: string): void {
  let file: string;
  try {
    file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), bin);
  } catch {
    process.stderr.write(
      `error: ${pkg} is not installed beside ccloud: install it (npm install ${pkg}), or run it from the repository (npm start)\n`,
    );
    process.exit(EXIT.usage);
  }
  const child = spawn(file, [], { stdio: 'inherit', env: process.env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 1));
}
program
  .command('platform')
  .description('run the platform (when @connected-cloud/platform is installed)')
  .command('start')
  .description('start the platform (configured by its environment variables)')
  .action(() => startBin('@connected-cloud/platform', 'bin/platform.js'));
program
  .command('connector')
  .description('run the reference connector (when @connected-cloud/connector is installed)')
  .command('start')
  .description('start the reference connector (CONNECTOR_* variables)')
  .action(() => startBin('@connected-cloud/connector', 'bin/connector.js'));

program
  .command('completion')
  .description('print a shell completion script')
  .argument('<shell>', 'bash or zsh')
  .addHelpText(
    'after',
    examples(
      'eval "$(ccloud completion bash)"      # in ~/.bashrc',
      'eval "$(ccloud completion zsh)"       # in ~/.zshrc',
    ),
  )
  .action((shell: string) => {
    if (shell !== 'bash' && shell !== 'zsh') program.error('completion: bash or zsh', { exitCode: EXIT.usage });
    process.stdout.write(completionScript(program, shell as 'bash' | 'zsh'));
  });

// Not a top-level await: the bundle this file becomes is CommonJS (scripts/bundle.mjs).
void program.parseAsync();
