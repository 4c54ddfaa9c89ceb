import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/infra/store/index.js';
import { registerApplication, sendTestEvent } from '../support/onboarding.js';
import { freePort } from '../support/platform.js';
import { built, runPlatform, waitUp, type PlatformProcess } from '../support/process.js';
import { Receiver, verify } from '../support/receiver.js';
import { MailCatcher } from '../support/smtp.js';
import { createDatabase, describeEachStore } from '../support/stores.js';

const SECRETS_KEY = 'ab'.repeat(32);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!built)('events survive the platform being killed', () => {
  describeEachStore('SIGKILL after the event was committed, before it was delivered', (store) => {
    let mail: MailCatcher;
    const cleanup: Array<() => Promise<unknown>> = [];
    beforeAll(async () => {
      mail = await new MailCatcher().start();
    });
    afterAll(async () => mail?.stop());
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
    });

    it('delivers it after a restart, with the same webhook-id', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-kill-'));
      const port = await freePort();
      const receiverPort = await freePort(); // nothing listens there yet: the first attempt is refused
      const url = `http://127.0.0.1:${port}`;
      const env = {
        PORT: String(port),
        DATA_DIR: dataDir,
        SMTP_URL: mail.url,
        SECRETS_KEY,
        ADMIN_TOKEN: 'k'.repeat(32),
        ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
        WEBHOOK_RETRY_SCHEDULE: '0,3,1,1',
        ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
      };
      const startPlatform = async () => {
        const p = runPlatform(env);
        cleanup.push(async () => p.child.kill('SIGKILL'));
        await waitUp(url, p);
        return p;
      };
      const observer: Store = await openStore({ databaseUrl: store.databaseUrl, dataDir });
      cleanup.push(() => observer.close());

      const first = await startPlatform();
      const app = await registerApplication(url, mail, { notificationUrl: `http://127.0.0.1:${receiverPort}/hook` });
      const eventId = await sendTestEvent(url, app);
      const attempt = await until('the refused first attempt', () =>
        observer.db.selectFrom('event_attempts').selectAll().where('event_id', '=', eventId).executeTakeFirst(),
      );
      expect(attempt.error).toMatch(/ECONNREFUSED/);
      first.child.kill('SIGKILL');
      await first.exited;

      const receiver = await new Receiver().start(receiverPort);
      cleanup.push(() => receiver.stop());
      await startPlatform();
      await receiver.waitFor((r) => r.delivered.length === 1, 15_000);
      expect(receiver.delivered[0]!.id).toBe(eventId);
      expect(verify(app.webhookSecret, receiver.delivered[0]!).type).toBe('webhook.test');
      const row = await until('the delivered state', async () => {
        const r = await observer.db
          .selectFrom('events')
          .selectAll()
          .where('id', '=', eventId)
          .executeTakeFirstOrThrow();
        return r.status === 'delivered' ? r : undefined;
      });
      expect(row.attempts).toBe(2);
      expect(receiver.requests).toHaveLength(1);
    });
  });

  describe.skipIf(!process.env.TEST_DATABASE_URL)('two platform processes on one PostgreSQL', () => {
    const cleanup: Array<() => Promise<unknown>> = [];
    afterAll(async () => {
      for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
    });

    it('deliver every event, none twice, each application’s in order', async () => {
      const database = await createDatabase(process.env.TEST_DATABASE_URL!);
      cleanup.push(() => database.drop());
      const mail = await new MailCatcher().start();
      cleanup.push(() => mail.stop());
      const receiver = await new Receiver().start();
      cleanup.push(() => receiver.stop());

      const platforms: Array<{ url: string; p: PlatformProcess }> = [];
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const p = runPlatform({
          PORT: String(port),
          DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'cc-two-')),
          DATABASE_URL: database.url,
          SECRETS_KEY,
          ADMIN_TOKEN: 't'.repeat(32),
          SMTP_URL: mail.url,
          ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
        });
        cleanup.push(async () => p.child.kill('SIGKILL'));
        const url = `http://127.0.0.1:${port}`;
        await waitUp(url, p);
        platforms.push({ url, p });
      }

      const apps = [];
      for (let i = 0; i < 4; i++) {
        apps.push(
          await registerApplication(platforms[i % 2]!.url, mail, { notificationUrl: receiver.url(`/hook/${i}`) }),
        );
      }
      const sent = new Map<string, string[]>(apps.map((a) => [a.applicationId, []]));
      const perApp = 50;
      await Promise.all(
        apps.map(async (app, a) => {
          for (let n = 0; n < perApp; n++) {
            sent.get(app.applicationId)!.push(await sendTestEvent(platforms[(a + n) % 2]!.url, app));
          }
        }),
      );
      const total = apps.length * perApp;
      await receiver.waitFor((r) => r.delivered.length >= total, 30_000);
      await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up
      const ids = receiver.requests.map((r) => r.id);
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      apps.forEach((app, i) => {
        const got = receiver.requests.filter((r) => r.path === `/hook/${i}`);
        for (const d of got) verify(app.webhookSecret, d);
        expect(got.map((d) => d.id)).toEqual(sent.get(app.applicationId));
      });
    }, 120_000); // two processes starting, 200 events, on a loaded machine
  });
});
