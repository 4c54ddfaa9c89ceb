import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApplication, sendTestEvent, type RegisteredApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

/**
 * One developer's slow receivers must not delay another's events (issue 14): B's receivers hang, on a host of
 * their own (127.0.0.2); A's answer at once (127.0.0.1).
 */
describeEachStore('fair delivery', (store) => {
  describe('per-endpoint concurrency', () => {
    const ctx = usePlatformWithMail(store, {
      env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', WEBHOOK_ENDPOINT_CONCURRENCY: '2' },
      configure: (config) => {
        config.queue.concurrency = 4; // fewer slots than B has hanging receivers
        config.webhookTimeoutMs = 120_000; // B's requests hang for the whole test
      },
    });
    let slowB: Receiver;
    let fastA: Receiver;
    let appsOfB: RegisteredApplication[];
    let appA: RegisteredApplication;
    beforeAll(async () => {
      slowB = await new Receiver().start(0, '127.0.0.2');
      slowB.behaviour = () => 'hang';
      fastA = await new Receiver().start();
      appA = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: fastA.url() });
      appsOfB = [];
      for (let i = 0; i < 6; i++)
        appsOfB.push(await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: slowB.url(`/b${i}`) }));
    });
    afterAll(async () => {
      await slowB?.stop(); // first: the platform's stop waits for the deliveries in hand
      await fastA?.stop();
    });

    it('delivers A’s event while B’s six receivers hang, B holding no more than its endpoint’s slots', async () => {
      for (const app of appsOfB) await sendTestEvent(ctx.platform.url, app);
      await slowB.waitFor((r) => r.requests.length === 2);
      const eventId = await sendTestEvent(ctx.platform.url, appA);
      await fastA.waitFor((r) => r.delivered.some((d) => d.id === eventId));
      expect(slowB.requests).toHaveLength(2); // still hanging, still only two
    });
  });

  describe('circuit breaker', () => {
    const ctx = usePlatformWithMail(store, {
      env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '0,1,1,1,1,1,1,1' },
      configure: (config) => {
        config.webhookTimeoutMs = 300;
      },
    });
    let slowB: Receiver;
    let fastA: Receiver;
    beforeAll(async () => {
      // A host of its own: on PostgreSQL the suite's earlier platform left its jobs for 127.0.0.2 in the store.
      slowB = await new Receiver().start(0, '127.0.0.3');
      slowB.behaviour = () => 'hang';
      fastA = await new Receiver().start();
    });
    afterAll(async () => {
      await slowB?.stop();
      await fastA?.stop();
    });

    it('pauses an endpoint after three timeouts in a row, without counting attempts, while others are delivered', async () => {
      const appB = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: slowB.url() });
      const eventId = await sendTestEvent(ctx.platform.url, appB);
      const db = ctx.platform.platform.store.db;
      const job = () => db.selectFrom('jobs').selectAll().where('payload', 'like', `%${eventId}%`).executeTakeFirst();
      await expect
        .poll(async () => (await job())?.last_error ?? '', { timeout: 20_000 })
        .toMatch(/127\.0\.0\.3 timed out 3 times in a row: paused/);
      const paused = (await job())!;
      expect(Date.parse(paused.run_at)).toBeGreaterThan(Date.now() + 10_000); // put off for the breaker's 30 s
      const event = await db.selectFrom('events').selectAll().where('id', '=', eventId).executeTakeFirstOrThrow();
      expect([event.status, event.attempts]).toEqual(['pending', 3]);
      expect(slowB.requests).toHaveLength(3);

      const appA = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: fastA.url() });
      const eventOfA = await sendTestEvent(ctx.platform.url, appA);
      await fastA.waitFor((r) => r.delivered.some((d) => d.id === eventOfA));
    });
  });
});
