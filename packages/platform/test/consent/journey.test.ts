import { afterEach, expect, it } from 'vitest';
import { TestClock } from '../../src/infra/clock.js';
import { asInstance, consentWith, newPasscode, pollApiKey, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver, verify } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

const SECRET = 'correct horse battery staple';

describeEachStore('the consent journey: passcode, grant, API key, expiry, rotation, revocation', (store) => {
  // Time is the platform's: the test moves it past TTLs and grace periods rather than waiting for them.
  const clock = new TestClock();
  const ctx = usePlatformWithMail(store, {
    env: {
      ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
      APIKEY_TTL: '4',
      APIKEY_GRACE: '2',
      WEBHOOK_RETRY_SCHEDULE: '0,0,0',
    },
    clock,
  });
  const receivers: Receiver[] = [];
  afterEach(async () => Promise.all(receivers.splice(0).map((r) => r.stop())));

  it('takes an application from passcode to a rotated key and a revoked integration', async () => {
    const { platform, mail } = ctx;
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const instance = await provisionInstance(platform);
    expect(instance.instanceId).toMatch(/^ins_/);
    expect(instance.instanceKey).toMatch(/^cci_[0-9A-Za-z]{46}$/);
    const app = await registerApplication(platform.url, mail, { notificationUrl: receiver.url() });

    const pc = await newPasscode(platform, app, SECRET);
    expect(pc.passcode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(pc.passcodeId).toMatch(/^pc_/);
    expect((await pollApiKey(platform, app, pc.passcodeId, SECRET)).status).toBe(202);

    // The user types it carelessly: case, spaces and dashes do not matter.
    const typed = ` ${pc.passcode.toLowerCase().replace('-', ' - ')} `;
    const challenge = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: typed },
      asInstance(instance.instanceKey),
    );
    expect(challenge.status).toBe(201);
    expect(challenge.body).toMatchObject({
      consentId: expect.stringMatching(/^con_/),
      application: { id: app.applicationId, name: 'Test App' },
      developer: { name: 'Test Developer' },
      solution: { domain: 'ecommerce', title: 'E-Commerce', scopes: ['customers', 'products'], uploads: ['orders'] },
      replaces: null,
    });
    const granted = await platform.api(
      'POST',
      `/api/connector/consents/${challenge.body.consentId}/grant`,
      undefined,
      asInstance(instance.instanceKey),
    );
    expect(granted.status).toBe(201);
    const { integrationId } = granted.body;

    // The key arrives at the notificationUrl, signed; the polling fallback hands out the same key.
    await receiver.waitFor((r) => r.delivered.length === 1);
    const issued = verify(app.webhookSecret, receiver.delivered[0]!);
    expect(issued).toMatchObject({
      type: 'apikey.issued',
      data: {
        integrationId,
        passcodeId: pc.passcodeId,
        solution: 'ecommerce',
        instance: { id: instance.instanceId, name: 'Acme Ltd (Sage 50)', product: 'Sage 50' },
      },
    });
    const key1 = issued.data.apikey as string;
    expect(key1).toMatch(/^cck_[0-9A-Za-z]{46}$/);
    const polled = await pollApiKey(platform, app, pc.passcodeId, SECRET);
    expect(polled.status).toBe(200);
    expect(polled.body).toEqual({ apikey: key1, integrationId, expires: issued.data.expires });
    expect((await pollApiKey(platform, app, pc.passcodeId, 'not the secret at all')).body.code).toBe('secret-invalid');

    // The key works, and warns that it expires soon.
    const me = await platform.api('GET', '/api/integration', undefined, withKey(key1));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      integrationId,
      application: { id: app.applicationId, name: 'Test App' },
      instance: { id: instance.instanceId, name: 'Acme Ltd (Sage 50)', product: 'Sage 50' },
      solution: 'ecommerce',
      status: 'active',
      keyExpires: issued.data.expires,
    });
    expect(me.headers.get('x-api-key-expires')).toBe(issued.data.expires);
    expect((await platform.api('GET', '/api/integration', undefined, { authorization: `Bearer ${key1}` })).status).toBe(
      200,
    );

    // The event log shows the delivery (once settled: the receiver has it a moment before the platform records
    // its answer); the delivered apikey.issued no longer holds the key.
    const events = () => platform.api('GET', '/api/events', undefined, withKey(key1));
    await expect
      .poll(async () => (await events()).body)
      .toEqual([expect.objectContaining({ type: 'apikey.issued', status: 'delivered', attempts: 1 })]);
    const log = await events();
    const one = await platform.api('GET', `/api/events/${log.body[0].eventId}`, undefined, withKey(key1));
    expect(one.body.attemptLog).toEqual([expect.objectContaining({ attempt: 1, httpStatus: 204, error: null })]);
    const resend = await platform.api('POST', `/api/events/${log.body[0].eventId}/resend`, undefined, withKey(key1));
    expect([resend.status, resend.body.code]).toEqual([409, 'event-not-resendable']);

    // Expiry: 401 api-key-expired, with WWW-Authenticate.
    clock.advance(Date.parse(issued.data.expires as string) - clock.now() + 50);
    const expired = await platform.api('GET', '/api/integration', undefined, withKey(key1));
    expect([expired.status, expired.body.code]).toEqual([401, 'api-key-expired']);
    expect(expired.headers.get('www-authenticate')).toBe('ApiKey error="api-key-expired"');

    // Rotation works with the expired key; the expired key gets no grace; repeating it returns the same key.
    const wrong = await platform.api('PATCH', '/api/apikey', {
      initialApikey: key1,
      secret: 'a wrong secret, long enough',
    });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'secret-invalid']);
    const r1 = await platform.api('PATCH', '/api/apikey', { initialApikey: key1, secret: SECRET });
    expect(r1.status).toBe(200);
    const key2 = r1.body.apikey as string;
    expect(key2).not.toBe(key1);
    expect(Date.parse(r1.body.previousKeyValidUntil)).toBeLessThanOrEqual(clock.now());
    expect((await platform.api('PATCH', '/api/apikey', { initialApikey: key1, secret: SECRET })).body).toEqual(r1.body);
    expect((await platform.api('GET', '/api/integration', undefined, withKey(key1))).body.code).toBe('api-key-expired');
    expect((await platform.api('GET', '/api/integration', undefined, withKey(key2))).status).toBe(200);

    // Rotating a live key: the old one stays valid for the grace period, then not.
    const r2 = await platform.api('PATCH', '/api/apikey', { initialApikey: key2, secret: SECRET });
    const key3 = r2.body.apikey as string;
    expect(Date.parse(r2.body.previousKeyValidUntil) - clock.now()).toBeGreaterThan(1000);
    expect((await platform.api('GET', '/api/integration', undefined, withKey(key2))).status).toBe(200);
    expect((await platform.api('PATCH', '/api/apikey', { initialApikey: key2, secret: SECRET })).body.apikey).toBe(
      key3,
    );
    clock.advance(Date.parse(r2.body.previousKeyValidUntil) - clock.now() + 50);
    expect((await platform.api('GET', '/api/integration', undefined, withKey(key2))).body.code).toBe('api-key-expired');
    expect((await platform.api('GET', '/api/integration', undefined, withKey(key3))).status).toBe(200);
    expect((await platform.api('PATCH', '/api/apikey', { initialApikey: key2, secret: SECRET })).body.code).toBe(
      'api-key-expired',
    );

    // The instance revokes the integration: every key answers api-key-revoked, and the application is told.
    const list = await platform.api('GET', '/api/connector/integrations', undefined, asInstance(instance.instanceKey));
    expect(list.body).toEqual([
      expect.objectContaining({
        integrationId,
        status: 'active',
        application: { id: app.applicationId, name: 'Test App' },
      }),
    ]);
    expect(
      (
        await platform.api(
          'DELETE',
          `/api/connector/integrations/${integrationId}`,
          undefined,
          asInstance(instance.instanceKey),
        )
      ).status,
    ).toBe(204);
    for (const path of ['/api/integration', '/api/events']) {
      const revoked = await platform.api('GET', path, undefined, withKey(key3));
      expect([revoked.status, revoked.body.code]).toEqual([401, 'api-key-revoked']);
      expect(revoked.headers.get('www-authenticate')).toBe('ApiKey error="api-key-revoked"');
    }
    expect((await platform.api('PATCH', '/api/apikey', { initialApikey: key3, secret: SECRET })).body.code).toBe(
      'api-key-revoked',
    );
    await receiver.waitFor((r) => r.delivered.length === 2);
    expect(verify(app.webhookSecret, receiver.delivered[1]!)).toMatchObject({
      type: 'integration.revoked',
      data: { integrationId },
    });
    const after = await platform.api('GET', '/api/connector/integrations', undefined, asInstance(instance.instanceKey));
    expect(after.body[0]).toMatchObject({ integrationId, status: 'revoked', revokedAt: expect.any(String) });
  });

  it('tells the instance which integration a new grant of the same application replaces, and since when', async () => {
    const { platform, mail } = ctx;
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const instance = await provisionInstance(platform);
    const app = await registerApplication(platform.url, mail, { notificationUrl: receiver.url() });
    const first = await consentWith(
      platform,
      instance.instanceKey,
      (await newPasscode(platform, app, SECRET)).passcode,
    );
    const [listed] = (
      await platform.api('GET', '/api/connector/integrations', undefined, asInstance(instance.instanceKey))
    ).body;
    const pc = await newPasscode(platform, app, SECRET);
    const challenge = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(instance.instanceKey),
    );
    expect(challenge.body.replaces).toEqual({ integrationId: first.integrationId, createdAt: listed.createdAt });
    const other = await provisionInstance(platform, 'Another Ltd'); // the same application elsewhere replaces nothing
    const elsewhere = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: (await newPasscode(platform, app, SECRET)).passcode },
      asInstance(other.instanceKey),
    );
    expect(elsewhere.body.replaces).toBeNull();

    await platform.api(
      'POST',
      `/api/connector/consents/${challenge.body.consentId}/grant`,
      undefined,
      asInstance(instance.instanceKey),
    );
    const after = (
      await platform.api('GET', '/api/connector/integrations', undefined, asInstance(instance.instanceKey))
    ).body;
    expect(after.find((i: { integrationId: string }) => i.integrationId === first.integrationId).status).toBe(
      'revoked',
    );
    await receiver.waitFor((r) => r.delivered.some((d) => verify(app.webhookSecret, d).type === 'integration.revoked'));
  });

  it('resends an event with the same webhook-id, on a fresh schedule', async () => {
    const { platform, mail } = ctx;
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const instance = await provisionInstance(platform);
    const app = await registerApplication(platform.url, mail, { notificationUrl: receiver.url() });
    const pc = await newPasscode(platform, app, SECRET);
    const { integrationId } = await consentWith(platform, instance.instanceKey, pc.passcode);
    const key = (await pollApiKey(platform, app, pc.passcodeId, SECRET)).body.apikey as string;
    await receiver.waitFor((r) => r.delivered.length === 1);

    receiver.behaviour = () => ({ status: 500 });
    const eventId = await platform.platform.store.db.transaction().execute((tx) =>
      platform.platform.events.record(tx, {
        applicationId: app.applicationId,
        integrationId,
        type: 'integration.revoked',
        data: { integrationId },
      }),
    );
    await expect
      .poll(async () => (await platform.api('GET', `/api/events/${eventId}`, undefined, withKey(key))).body)
      .toMatchObject({ status: 'failed', attempts: 3 });
    expect(
      (await platform.api('GET', '/api/events?status=failed', undefined, withKey(key))).body.map(
        (e: { eventId: string }) => e.eventId,
      ),
    ).toEqual([eventId]);

    receiver.behaviour = ({ attempt }) => ({ status: attempt <= 4 ? 500 : 200 }); // one more failure, then success
    const resent = await platform.api('POST', `/api/events/${eventId}/resend`, undefined, withKey(key));
    expect(resent.status).toBe(202);
    expect(resent.body.status).toBe('pending');
    await receiver.waitFor((r) => r.delivered.length === 2);
    expect(receiver.requests.filter((r) => r.id === eventId)).toHaveLength(5);
    await expect
      .poll(async () => (await platform.api('GET', `/api/events/${eventId}`, undefined, withKey(key))).body)
      .toMatchObject({ status: 'delivered', attempts: 5 });
    const done = (await platform.api('GET', `/api/events/${eventId}`, undefined, withKey(key))).body;
    expect(done.attemptLog.map((a: { httpStatus: number }) => a.httpStatus)).toEqual([500, 500, 500, 500, 200]);
  });
});
