import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedAgent, literalAddressProblem } from '../../src/infra/net/guarded-agent.js';
import { registerApplication, sendTestEvent } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';
import { request } from 'undici';

describe('the SSRF guard', () => {
  it('refuses loopback, private, link-local and metadata literals before any connection', () => {
    for (const url of [
      'http://127.0.0.1/x',
      'http://10.0.0.1/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
      'http://192.168.1.5/',
      'http://[::ffff:10.0.0.1]/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
    ]) {
      expect(literalAddressProblem(new URL(url), false), url).toMatch(/loopback, private or reserved/);
      expect(literalAddressProblem(new URL(url), true), url).toBeUndefined();
    }
    expect(literalAddressProblem(new URL('https://93.184.215.14/'), false)).toBeUndefined();
    expect(literalAddressProblem(new URL('https://shop.example.com/'), false)).toBeUndefined(); // names: checked at look-up
  });

  it('refuses a name that resolves to loopback, at look-up time', async () => {
    const receiver = await new Receiver().start();
    const agent = guardedAgent({ allowPrivate: false, connectTimeoutMs: 2000 });
    try {
      await expect(
        request(`http://localhost:${receiver.port}/hook`, { method: 'POST', body: '{}', dispatcher: agent }),
      ).rejects.toThrow(/resolves to (127\.0\.0\.1|::1), a loopback, private or reserved address/);
      expect(receiver.requests).toHaveLength(0);
      const allowed = guardedAgent({ allowPrivate: true, connectTimeoutMs: 2000 });
      const res = await request(`http://localhost:${receiver.port}/hook`, {
        method: 'POST',
        body: '{}',
        dispatcher: allowed,
      });
      await res.body.dump();
      expect(receiver.requests).toHaveLength(1);
      await allowed.close();
    } finally {
      await agent.close();
      await receiver.stop();
    }
  });
});

describeEachStore('delivery when insecure notification URLs are not allowed', (store) => {
  const ctx = usePlatformWithMail(store);
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
  });
  afterAll(async () => receiver?.stop());

  for (const target of ['127.0.0.1', 'localhost']) {
    it(`refuses to deliver to ${target}, even when the URL was changed after registration`, async () => {
      const app = await registerApplication(ctx.platform.url, ctx.mail, {
        notificationUrl: 'https://shop.example.com/events',
      });
      const db = ctx.platform.platform.store.db;
      // As a DNS change or a tampered row would: the stored URL now points at this machine.
      await db
        .updateTable('applications')
        .set({ notification_url: `http://${target}:${receiver.port}/hook` })
        .where('id', '=', app.applicationId)
        .execute();
      const eventId = await sendTestEvent(ctx.platform.url, app);
      let attempt;
      for (let i = 0; i < 100 && !attempt; i++) {
        attempt = await db.selectFrom('event_attempts').selectAll().where('event_id', '=', eventId).executeTakeFirst();
        if (!attempt) await new Promise((r) => setTimeout(r, 25));
      }
      expect(attempt?.error).toMatch(/loopback, private or reserved address/);
      expect(attempt?.http_status).toBeNull();
      expect(receiver.requests).toHaveLength(0);
    });
  }
});
