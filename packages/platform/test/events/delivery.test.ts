import { afterEach, expect, it } from 'vitest';
import { registerApplication, sendTestEvent, type RegisteredApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver, verify } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('event delivery to a real receiver', (store) => {
  const ctx = usePlatformWithMail(store, {
    env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '0,0,0' },
    configure: (c) => (c.webhookTimeoutMs = 500),
  });
  const receivers: Receiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
  });

  async function setUp(): Promise<{ receiver: Receiver; app: RegisteredApplication }> {
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    return { receiver, app };
  }

  const db = () => ctx.platform.platform.store.db;
  const eventRow = (id: string) => db().selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const attempts = (id: string) =>
    db().selectFrom('event_attempts').selectAll().where('event_id', '=', id).orderBy('attempt').execute();
  const settled = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      if ((await eventRow(id)).status !== 'pending') return eventRow(id);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`event ${id} still pending`);
  };

  it('delivers a signed event that the Standard Webhooks verifier accepts, and logs the attempt', async () => {
    const { receiver, app } = await setUp();
    const eventId = await sendTestEvent(ctx.platform.url, app);
    await receiver.waitFor((r) => r.delivered.length === 1);
    const [delivery] = receiver.delivered;
    expect(delivery!.id).toBe(eventId);
    const body = verify(app.webhookSecret, delivery!);
    expect(body).toEqual({
      type: 'webhook.test',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*\.\d{3}Z$/),
      data: {},
    });
    expect(() => verify(`whsec_${Buffer.alloc(32, 9).toString('base64')}`, delivery!)).toThrow();
    expect(() =>
      verify(app.webhookSecret, { ...delivery!, body: delivery!.body.replace('webhook.test', 'webhook.tesT') }),
    ).toThrow();

    const row = await settled(eventId);
    expect(row).toMatchObject({
      status: 'delivered',
      attempts: 1,
      type: 'webhook.test',
      application_id: app.applicationId,
    });
    expect(row.payload_sealed).not.toContain('webhook.test'); // stored sealed
    expect(await attempts(eventId)).toEqual([
      expect.objectContaining({ attempt: 1, http_status: 204, error: null, duration_ms: expect.any(Number) }),
    ]);
  });

  it('retries a 500 with the same webhook-id until it is accepted', async () => {
    const { receiver, app } = await setUp();
    receiver.behaviour = ({ attempt }) => ({ status: attempt <= 2 ? 500 : 200 });
    const eventId = await sendTestEvent(ctx.platform.url, app);
    await receiver.waitFor((r) => r.delivered.length === 1);
    expect(receiver.requests.map((r) => [r.id, r.status])).toEqual([
      [eventId, 500],
      [eventId, 500],
      [eventId, 200],
    ]);
    for (const r of receiver.requests) verify(app.webhookSecret, r); // every attempt is signed afresh
    expect((await settled(eventId)).status).toBe('delivered');
    expect((await attempts(eventId)).map((a) => a.http_status)).toEqual([500, 500, 200]);
  });

  it('retries a timeout and a redirect (never followed), and gives up after the schedule, keeping the dead job', async () => {
    const { receiver, app } = await setUp();
    receiver.behaviour = ({ attempt, path }) =>
      path !== '/hook'
        ? { status: 200 }
        : attempt === 1
          ? 'hang'
          : attempt === 2
            ? { status: 302, headers: { location: '/elsewhere' } }
            : { status: 503 };
    const eventId = await sendTestEvent(ctx.platform.url, app);
    const row = await settled(eventId);
    expect(row.status).toBe('failed');
    const tried = await attempts(eventId);
    expect(tried.map((a) => a.http_status)).toEqual([null, 302, 503]); // one attempt per entry of the schedule "0,0,0"
    expect(tried[0]!.error).toMatch(/timed out after 500 ms/);
    expect(receiver.requests.filter((r) => r.path === '/elsewhere')).toEqual([]);
    const dead = await db().selectFrom('jobs').selectAll().where('status', '=', 'dead').execute();
    expect(dead.some((j) => JSON.parse(j.payload).eventId === eventId)).toBe(true);
  });

  it('retries a refused connection', async () => {
    const { receiver, app } = await setUp();
    await receiver.stop();
    receivers.splice(receivers.indexOf(receiver), 1);
    const eventId = await sendTestEvent(ctx.platform.url, app);
    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    for (const a of await attempts(eventId)) expect(a.error).toMatch(/ECONNREFUSED/);
  });

  it('stops delivering to a URL that answered 410, until the developer sends a test event', async () => {
    const { receiver, app } = await setUp();
    receiver.behaviour = () => ({ status: 410 });
    const first = await sendTestEvent(ctx.platform.url, app);
    expect(await settled(first)).toMatchObject({ status: 'failed', attempts: 1 });

    receiver.behaviour = () => ({ status: 200 });
    const later = await db()
      .transaction()
      .execute((tx) =>
        ctx.platform.platform.events.record(tx, { applicationId: app.applicationId, type: 'webhook.test', data: {} }),
      );
    expect(await settled(later)).toMatchObject({ status: 'failed', attempts: 0 });
    expect(receiver.requests).toHaveLength(1);

    const again = await sendTestEvent(ctx.platform.url, app); // an explicit request lifts the stop
    expect(await settled(again)).toMatchObject({ status: 'delivered' });
  });

  it('waits for a 503’s Retry-After before the next attempt', async () => {
    const { receiver, app } = await setUp();
    receiver.behaviour = ({ attempt }) =>
      attempt === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 };
    const eventId = await sendTestEvent(ctx.platform.url, app);
    await receiver.waitFor((r) => r.delivered.length === 1);
    const [first, second] = receiver.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1900);
    expect((await settled(eventId)).status).toBe('delivered');
  });

  it('delivers the events of one application in order, holding later ones while an earlier one is retried', async () => {
    const { receiver, app } = await setUp();
    receiver.behaviour = () => ({ status: receiver.requests.length < 2 ? 500 : 200 }); // the first two requests fail
    const ids = await db()
      .transaction()
      .execute(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < 5; i++)
          out.push(
            await ctx.platform.platform.events.record(tx, {
              applicationId: app.applicationId,
              type: 'webhook.test',
              data: {},
            }),
          );
        return out;
      });
    await receiver.waitFor((r) => r.delivered.length === 5);
    expect(receiver.requests.slice(0, 3).map((r) => r.id)).toEqual([ids[0], ids[0], ids[0]]); // the first, retried, before any other
    expect(receiver.delivered.map((r) => r.id)).toEqual(ids);
  });

  it('takes over a job whose worker died holding it, once the lease has ended', async () => {
    const { receiver, app } = await setUp();
    const eventId = await db()
      .transaction()
      .execute(async (tx) => {
        const id = await ctx.platform.platform.events.record(tx, {
          applicationId: app.applicationId,
          type: 'webhook.test',
          data: {},
        });
        // As if another process had claimed it and then died: leased for one more second.
        await tx
          .updateTable('jobs')
          .set({ locked_by: 'ghost', locked_until: new Date(Date.now() + 1000).toISOString() })
          .execute();
        return id;
      });
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests).toHaveLength(0);
    await receiver.waitFor((r) => r.delivered.length === 1, 10_000);
    expect(receiver.delivered[0]!.id).toBe(eventId);
  });
});
