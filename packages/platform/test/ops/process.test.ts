import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { registerApplication, sendTestEvent } from '../support/onboarding.js';
import { freePort } from '../support/platform.js';
import { built, runPlatform as run, waitUp } from '../support/process.js';
import { Receiver } from '../support/receiver.js';
import { MailCatcher } from '../support/smtp.js';

// Each test starts processes of its own and mostly waits on them: they run together.
describe.skipIf(!built)('the platform process', { concurrent: true, timeout: 120_000 }, () => {
  it('refuses to start on a bad variable, naming it', async ({ expect }) => {
    const p = run({ PORT: 'eighty', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'cc-proc-')) });
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain('PORT: expected a whole number');
  });

  it('refuses to start when its S3 bucket cannot be reached, rather than keep files elsewhere', async ({ expect }) => {
    const s3 = {
      S3_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      S3_BUCKET: 'files',
      S3_REGION: 'eu-west-2',
      S3_ACCESS_KEY_ID: 'AK',
      S3_SECRET_ACCESS_KEY: 'SK',
    };
    const p = run({
      ...s3,
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'cc-proc-')),
      ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    });
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain('S3_ENDPOINT: the bucket "files"');
  });

  it('starts on the embedded default, generates its keys once, and stops gracefully on SIGTERM', async ({ expect }) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-proc-'));
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir };
    const url = `http://127.0.0.1:${port}`;

    const first = run(env);
    await waitUp(url, first);
    expect((await (await fetch(`${url}/ready`)).json()) as object).toEqual({ status: 'ready' });
    const token = /generated (cca_[0-9A-Za-z]+)/.exec(first.err())?.[1];
    expect(token).toBeDefined();
    expect(first.out()).not.toContain(token!); // printed once to the operator, never logged
    const hashFile = path.join(dataDir, 'admin-token.sha256');
    expect(fs.readFileSync(hashFile, 'utf8')).not.toContain(token!);
    expect(fs.statSync(path.join(dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dataDir, 'connected-cloud.db'))).toBe(true);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.out()).toContain('stopping');

    const key = fs.readFileSync(path.join(dataDir, 'secrets.key'), 'utf8');
    const second = run(env);
    await waitUp(url, second);
    expect(second.err()).not.toContain('ADMIN_TOKEN was not set'); // kept from the first start
    expect(fs.readFileSync(path.join(dataDir, 'secrets.key'), 'utf8')).toBe(key);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('writes e-mail as .eml files under DATA_DIR/mail when SMTP_URL is unset, and logs no secret', async ({
    expect,
  }) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-proc-'));
    const port = await freePort();
    const p = run({ PORT: String(port), DATA_DIR: dataDir, ADMIN_TOKEN: 'x'.repeat(32) });
    const url = `http://127.0.0.1:${port}`;
    await waitUp(url, p);
    const { solveRegistrationCaptcha, submitRegistration } = await import('../support/captcha.js');
    const res = await fetch(`${url}/api/developers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Ada',
        email: 'ada@example.com',
        application: { name: 'S', solution: 'ecommerce', notificationUrl: 'https://s.example.com/e' },
      }),
    });
    const { registrationUrl } = (await res.json()) as { registrationUrl: string };
    expect((await submitRegistration(registrationUrl, await solveRegistrationCaptcha(registrationUrl))).status).toBe(
      200,
    );
    const mailDir = path.join(dataDir, 'mail');
    for (
      let i = 0;
      i < 100 && !(fs.existsSync(mailDir) && fs.readdirSync(mailDir).some((f) => f.endsWith('.eml')));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50)); // the e-mail goes out through the job queue
    }
    const files = fs.readdirSync(mailDir);
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.tmp'))).toHaveLength(0);
    const eml = fs.readFileSync(path.join(dataDir, 'mail', files[0]!), 'utf8');
    expect(eml).toMatch(/^To: ada@example\.com$/m);
    expect(eml).toMatch(/^Content-Transfer-Encoding: 7bit$/m); // credentials readable whole in the raw file
    const secret = /^Webhook signing secret: (whsec_\S+)$/m.exec(eml)?.[1];
    expect(secret).toBeDefined();
    expect(eml).toMatch(/^Developer ID: dev_\w+$/m);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.out()).toContain('mail written');
    expect(p.out()).not.toContain(secret!);
    expect(p.out()).not.toContain(registrationUrl.split('/').pop()!);
  });
});

describe.skipIf(!built)('SIGTERM with a job in hand', { concurrent: true }, () => {
  let mail: MailCatcher;
  let receiver: Receiver;
  beforeAll(async () => {
    [mail, receiver] = await Promise.all([new MailCatcher().start(), new Receiver().start()]);
    // The tests run together: /30 answers after 11 s, /1 never.
    receiver.behaviour = ({ path: p }) => (p === '/1' ? 'hang' : { status: 204, delayMs: p === '/30' ? 11_000 : 0 });
  });
  afterAll(async () => {
    await Promise.allSettled([mail?.stop(), receiver?.stop()]);
  });

  /** A platform with SHUTDOWN_GRACE `grace`, stopped while a delivery (to /<grace>) is on its way; its exit code. */
  async function stopDuringDelivery(grace: number) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-proc-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const p = run({
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_TOKEN: 'x'.repeat(32),
      SMTP_URL: mail.url,
      ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
      SHUTDOWN_GRACE: String(grace),
    });
    await waitUp(url, p);
    const app = await registerApplication(url, mail, { notificationUrl: receiver.url(`/${grace}`) });
    const eventId = await sendTestEvent(url, app);
    await receiver.waitFor((r) => r.requests.some((d) => d.id === eventId));
    const at = Date.now();
    p.child.kill('SIGTERM');
    const code = await p.exited;
    const db = new SQLite(path.join(dataDir, 'connected-cloud.db'));
    try {
      return {
        code,
        ms: Date.now() - at,
        out: p.out(),
        event: db.prepare('select status from events where id = ?').get(eventId) as { status: string },
        jobs: db.prepare(`select locked_by, locked_until from jobs where kind = 'deliver-event'`).all(),
      };
    } finally {
      db.close();
    }
  }

  it('lets the job finish for as long as SHUTDOWN_GRACE allows (here beyond 10 s), then exits 0', async ({
    expect,
  }) => {
    const stopped = await stopDuringDelivery(30);
    expect(stopped.code, stopped.out).toBe(0);
    expect(stopped.ms).toBeGreaterThan(10_000); // the receiver answered after 11 s
    expect(stopped.event.status).toBe('delivered');
    expect(stopped.jobs).toEqual([]);
  }, 90_000);

  it('exits 1 when SHUTDOWN_GRACE is over, handing the job back for another process at once', async ({ expect }) => {
    const stopped = await stopDuringDelivery(1);
    expect(stopped.code, stopped.out).toBe(1);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(stopped.out).toContain('still busy after 1 s (SHUTDOWN_GRACE)');
    expect(stopped.event.status).toBe('pending');
    expect(stopped.jobs).toEqual([{ locked_by: null, locked_until: null }]); // not held until its lease ends
  }, 60_000);
});
