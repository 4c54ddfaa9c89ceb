import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClock } from '../../src/infra/clock.js';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

const products = (v: number) =>
  JSON.stringify([
    { id: 'p1', name: `Product v${v}`, netPrice: v, tax: 20, discountByUnit: true, timestamp: '2026-11-28T10:00:00Z' },
  ]);

/**
 * An event's time (its `timestamp`, the event log's order) is the order in which its integration's events are
 * delivered, whichever process records it and whatever that process's clock says: several processes record events
 * of one integration at once (the cluster test found deliveries whose timestamps went backwards, by up to 140 ms:
 * the time was read before the integration's queue was, and another transaction queued in between).
 */
describeEachStore('event times in the order of delivery', (store) => {
  const clock = new TestClock();
  const ctx = usePlatformWithMail(store, { clock, env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } });
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
  });
  afterAll(async () => receiver?.stop());

  it('times an event after the events queued before it on its integration, even by a clock that is behind', async () => {
    const { platform, mail } = ctx;
    const { instanceKey } = await provisionInstance(platform);
    const app = await registerApplication(platform.url, mail, { notificationUrl: receiver.url() });
    const { apikey } = await integrate(platform, app, instanceKey);
    const put = async (v: number) => {
      const res = await platform.api(
        'PUT',
        '/api/connector/solutions/ecommerce/scopes/products',
        products(v),
        asInstance(instanceKey),
      );
      expect(res.status, res.text).toBe(201);
    };
    await put(1);
    await receiver.waitFor((r) => r.delivered.length === 2); // apikey.issued, file.available
    // The next change is recorded by a process whose clock is 2 s behind the one that recorded the last.
    clock.advance(-2_000);
    try {
      await put(2);
      await put(3);
      await receiver.waitFor((r) => r.delivered.length === 4);
    } finally {
      clock.advance(2_000);
    }

    const delivered = receiver.delivered.map((d) => ({
      id: d.id,
      timestamp: (JSON.parse(d.body) as { timestamp: string }).timestamp,
    }));
    const times = delivered.map((d) => d.timestamp);
    expect(times).toEqual([...times].sort());
    expect(new Set(times).size).toBe(times.length); // strictly later: no tie for the id to break
    const log = await platform.api('GET', '/api/events', undefined, withKey(apikey));
    expect((log.body as Array<{ eventId: string; createdAt: string }>).map((e) => [e.eventId, e.createdAt])).toEqual(
      delivered.map((d) => [d.id, d.timestamp]).reverse(), // newest first
    );
  });
});
