import { beforeAll, expect, it } from 'vitest';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { order } from '../support/orders.js';
import { usePlatformWithMail } from '../support/platform.js';
import { signIn, type FormClient } from '../support/portal.js';
import { describeEachStore } from '../support/stores.js';

const product = (i: number) => ({
  id: `p${i}`,
  name: `Product ${i}`,
  netPrice: 9.5,
  tax: 20,
  discountByUnit: true,
  timestamp: '2026-11-28T10:00:00.000Z',
});

describeEachStore('the console: a developer sees and changes only their own things', (store) => {
  const ctx = usePlatformWithMail(store, {
    env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '0' },
  });
  let a: RegisteredApplication;
  let aClient: FormClient;
  let bClient: FormClient;
  const own = {} as {
    integrationId: string;
    apikey: string;
    eventId: string;
    uploadId: string;
    fileId: string;
    tokenId: string;
  };

  beforeAll(async () => {
    a = await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: 'http://127.0.0.1:9/a',
      email: 'a@example.com',
    });
    await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: 'http://127.0.0.1:9/b',
      email: 'b@example.com',
    });
    const { instanceKey } = await provisionInstance(ctx.platform);
    Object.assign(own, await integrate(ctx.platform, a, instanceKey));
    own.eventId = (
      await ctx.platform.api('POST', `/api/developers/${a.developerId}/applications/${a.applicationId}/events/test`)
    ).body.eventId;
    own.uploadId = (
      await ctx.platform.api('POST', '/api/uploads?type=orders', [order(1)], withKey(own.apikey))
    ).body.fileId;
    own.fileId = (
      await ctx.platform.api(
        'PUT',
        '/api/connector/solutions/ecommerce/scopes/products',
        [product(1)],
        asInstance(instanceKey),
      )
    ).body.fileId;
    aClient = await signIn(ctx.platform.url, ctx.mail, 'a@example.com');
    await aClient.post('/portal/tokens', { name: 'ci' }, '/portal/tokens');
    own.tokenId = /(dtk_[0-9A-Za-z]+)/.exec((await aClient.get('/portal/tokens')).text)![1]!;
    bClient = await signIn(ctx.platform.url, ctx.mail, 'b@example.com');
  });

  it('developer A sees their things', async () => {
    for (const [path, id] of [
      ['/portal', a.applicationId],
      ['/portal/integrations', own.integrationId],
      ['/portal/events', own.eventId],
      ['/portal/uploads', own.uploadId],
      ['/portal/files', own.fileId],
      ['/portal/tokens', own.tokenId],
    ] as const) {
      const res = await aClient.get(path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).toContain(id);
    }
    expect((await aClient.get(`/portal/uploads/${own.uploadId}/content`)).status).toBe(200);
    expect((await aClient.get(`/portal/files/${own.fileId}/content`)).status).toBe(200);
  });

  it('developer B gets 404 for every page and action on them, and nothing changes', async () => {
    const app = `/portal/applications/${a.applicationId}`;
    const pages = [
      app,
      `/portal/events/${own.eventId}`,
      `/portal/uploads/${own.uploadId}`,
      `/portal/uploads/${own.uploadId}/content`,
      `/portal/uploads/${own.uploadId}/result`,
      `/portal/files/${own.fileId}/content`,
    ];
    for (const path of pages) {
      const res = await bClient.get(path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain('http://127.0.0.1:9/a');
    }
    const db = ctx.platform.platform.store.db;
    const eventsOfA = async () =>
      (await db.selectFrom('events').select('id').where('application_id', '=', a.applicationId).execute()).length;
    const before = await eventsOfA();
    const sealed = (
      await db
        .selectFrom('applications')
        .select('webhook_secret_sealed')
        .where('id', '=', a.applicationId)
        .executeTakeFirstOrThrow()
    ).webhook_secret_sealed;
    const actions: [string, Record<string, string>][] = [
      [app, { name: 'Hijacked', notificationUrl: 'http://127.0.0.1:9/evil' }],
      [`${app}/webhook-secret`, {}],
      [`${app}/test-event`, {}],
      [`/portal/integrations/${own.integrationId}/revoke`, {}],
      [`/portal/events/${own.eventId}/resend`, {}],
      [`/portal/tokens/${own.tokenId}/revoke`, {}],
    ];
    for (const [path, form] of actions) expect((await bClient.post(path, form)).status, path).toBe(404);
    for (const path of [
      '/portal',
      '/portal/integrations',
      '/portal/events',
      '/portal/uploads',
      '/portal/files',
      '/portal/tokens',
    ]) {
      const res = await bClient.get(path);
      expect(res.status).toBe(200);
      for (const id of [a.applicationId, own.integrationId, own.eventId, own.uploadId, own.fileId, own.tokenId])
        expect(res.text, path).not.toContain(id);
    }

    const stored = await ctx.platform.api('GET', `/api/developers/${a.developerId}/applications/${a.applicationId}`);
    expect(stored.body).toMatchObject({ name: 'Test App', notificationUrl: 'http://127.0.0.1:9/a' });
    expect((await ctx.platform.api('GET', '/api/integration', undefined, withKey(own.apikey))).status).toBe(200);
    expect(await eventsOfA()).toBe(before);
    const after = await db
      .selectFrom('applications')
      .select('webhook_secret_sealed')
      .where('id', '=', a.applicationId)
      .executeTakeFirstOrThrow();
    expect(after.webhook_secret_sealed).toBe(sealed);
    expect((await aClient.get('/portal/tokens')).text).not.toContain('badge bad');
  });
});
