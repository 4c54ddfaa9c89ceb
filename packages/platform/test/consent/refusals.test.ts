import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { TestClock } from '../../src/infra/clock.js';
import {
  ADMIN,
  asInstance,
  consentWith,
  integrate,
  newPasscode,
  pollApiKey,
  provisionInstance,
  withKey,
} from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { startTestPlatform, usePlatformWithMail, type TestPlatform } from '../support/platform.js';
import { Receiver, verify } from '../support/receiver.js';
import { MailCatcher } from '../support/smtp.js';
import { describeEachStore } from '../support/stores.js';

const SECRET = 'correct horse battery staple';

describeEachStore('consent refusals', (store) => {
  const clock = new TestClock();
  const ctx = usePlatformWithMail(store, {
    env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', PASSCODE_TTL: '2' },
    clock,
  });
  const receivers: Receiver[] = [];
  afterEach(async () => Promise.all(receivers.splice(0).map((r) => r.stop())));
  const setUp = async () => {
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    return { receiver, app, instance: await provisionInstance(ctx.platform) };
  };

  it('deny: the passcode is dead, consent.denied is sent, the poll answers 403', async () => {
    const { platform } = ctx;
    const { receiver, app, instance } = await setUp();
    const pc = await newPasscode(platform, app, SECRET);
    const challenge = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(instance.instanceKey),
    );
    const denied = await platform.api(
      'POST',
      `/api/connector/consents/${challenge.body.consentId}/deny`,
      undefined,
      asInstance(instance.instanceKey),
    );
    expect(denied.status).toBe(200);
    expect(denied.body).toEqual({ consentId: challenge.body.consentId, status: 'denied' });
    await receiver.waitFor((r) => r.delivered.length === 1);
    expect(verify(app.webhookSecret, receiver.delivered[0]!)).toMatchObject({
      type: 'consent.denied',
      data: { passcodeId: pc.passcodeId },
    });
    const poll = await pollApiKey(platform, app, pc.passcodeId, SECRET);
    expect([poll.status, poll.body.code]).toEqual([403, 'consent-denied']);
    const grant = await platform.api(
      'POST',
      `/api/connector/consents/${challenge.body.consentId}/grant`,
      undefined,
      asInstance(instance.instanceKey),
    );
    expect([grant.status, grant.body.code]).toEqual([409, 'consent-closed']);
    const again = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(instance.instanceKey),
    );
    expect([again.status, again.body.code]).toEqual([404, 'passcode-invalid']);
    expect(
      await platform.platform.store.db
        .selectFrom('integrations')
        .selectAll()
        .where('application_id', '=', app.applicationId)
        .execute(),
    ).toEqual([]);
  });

  it('an expired passcode and a used one get the same answer as a wrong one', async () => {
    const { platform } = ctx;
    const { app, instance } = await setUp();
    const expiring = await newPasscode(platform, app, SECRET);
    const used = await newPasscode(platform, app, SECRET);
    await consentWith(platform, instance.instanceKey, used.passcode);
    clock.advance(2100); // past PASSCODE_TTL
    const wrong = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: 'BBBB-BBBB' },
      asInstance(instance.instanceKey),
    );
    const late = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: expiring.passcode },
      asInstance(instance.instanceKey),
    );
    const twice = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: used.passcode },
      asInstance(instance.instanceKey),
    );
    for (const r of [wrong, late, twice]) {
      expect([r.status, r.body.code, r.body.detail]).toEqual([404, 'passcode-invalid', wrong.body.detail]);
    }
    const poll = await pollApiKey(platform, app, expiring.passcodeId, SECRET);
    expect([poll.status, poll.body.code]).toEqual([410, 'passcode-expired']);
  });

  it('a passcode looked up by one instance cannot be granted by another', async () => {
    const { platform } = ctx;
    const { app, instance } = await setUp();
    const other = await provisionInstance(platform, 'Other Ltd');
    const pc = await newPasscode(platform, app, SECRET);
    const challenge = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(instance.instanceKey),
    );
    for (const action of ['grant', 'deny']) {
      const r = await platform.api(
        'POST',
        `/api/connector/consents/${challenge.body.consentId}/${action}`,
        undefined,
        asInstance(other.instanceKey),
      );
      expect([r.status, r.body.code]).toEqual([404, 'consent-not-found']);
    }
    const stolen = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(other.instanceKey),
    );
    expect([stolen.status, stolen.body.code]).toEqual([404, 'passcode-invalid']);
  });

  it('refuses missing and wrong credentials of every kind', async () => {
    const { platform } = ctx;
    const { instance } = await setUp();
    const noAdmin = await platform.api('GET', '/api/admin/instances');
    expect([noAdmin.status, noAdmin.body.code]).toEqual([401, 'admin-token-invalid']);
    const badAdmin = await platform.api('GET', '/api/admin/instances', undefined, { authorization: 'Bearer nope' });
    expect(badAdmin.status).toBe(401);
    const instanceKeyAsAdmin = await platform.api('GET', '/api/admin/instances', undefined, {
      authorization: `Bearer ${instance.instanceKey}`,
    });
    expect(instanceKeyAsAdmin.status).toBe(401);
    expect((await platform.api('GET', '/api/admin/instances', undefined, ADMIN)).status).toBe(200);

    for (const headers of [
      {},
      asInstance('cci_nope'),
      asInstance(instance.instanceKey.slice(0, -1) + (instance.instanceKey.endsWith('A') ? 'B' : 'A')),
    ]) {
      const r = await platform.api('GET', '/api/connector/integrations', undefined, headers);
      expect([r.status, r.body.code]).toEqual([401, 'instance-key-invalid']);
    }
    const missing = await platform.api('GET', '/api/integration');
    expect([missing.status, missing.body.code, missing.headers.get('www-authenticate')]).toEqual([
      401,
      'api-key-missing',
      'ApiKey error="api-key-missing"',
    ]);
    for (const key of ['cck_nope', `cck_${'A'.repeat(46)}`, instance.instanceKey]) {
      const r = await platform.api('GET', '/api/integration', undefined, withKey(key));
      expect([r.status, r.body.code]).toEqual([401, 'api-key-invalid']);
    }
    const rotateUnknown = await platform.api('PATCH', '/api/apikey', {
      initialApikey: `cck_${'A'.repeat(46)}`,
      secret: SECRET,
    });
    expect([rotateUnknown.status, rotateUnknown.body.code]).toEqual([401, 'api-key-invalid']);
  });

  it('refuses bad bodies with 400 and changes nothing', async () => {
    const { platform } = ctx;
    const { app, instance } = await setUp();
    const base = `/api/developers/${app.developerId}/applications/${app.applicationId}/passcodes`;
    for (const body of [
      {},
      { secret: 'short' },
      { secret: 42 },
      { secret: 'x'.repeat(257) },
      { secret: SECRET, extra: 1 },
    ]) {
      const r = await platform.api('POST', base, body);
      expect([r.status, r.body.code]).toEqual([400, 'invalid-request']);
    }
    expect(
      (await platform.api('POST', '/api/connector/consents', { passcode: 7 }, asInstance(instance.instanceKey))).status,
    ).toBe(400);
    expect((await platform.api('POST', '/api/admin/instances', { name: '', product: 'Sage 50' }, ADMIN)).status).toBe(
      400,
    );
    expect((await platform.api('PATCH', '/api/apikey', { initialApikey: 'x' })).status).toBe(400);
    const passcodes = await platform.platform.store.db
      .selectFrom('passcodes')
      .selectAll()
      .where('application_id', '=', app.applicationId)
      .execute();
    expect(passcodes).toEqual([]);
    expect(
      (
        await platform.api(
          'POST',
          `/api/developers/${app.developerId}/applications/app_0000000000000000000000/passcodes`,
          { secret: SECRET },
        )
      ).body.code,
    ).toBe('application-not-found');
  });

  it('gives at most 60 passcodes an hour to an application', async () => {
    const { platform } = ctx;
    const { app } = await setUp();
    for (let i = 0; i < 60; i++) await newPasscode(platform, app, SECRET);
    const refused = await platform.api(
      'POST',
      `/api/developers/${app.developerId}/applications/${app.applicationId}/passcodes`,
      { secret: SECRET },
    );
    expect([refused.status, refused.body.code]).toEqual([429, 'rate-limited']);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  it('deleting an instance revokes its integrations and its key', async () => {
    const { platform } = ctx;
    const { receiver, app, instance } = await setUp();
    const pc = await newPasscode(platform, app, SECRET);
    const { integrationId } = await consentWith(platform, instance.instanceKey, pc.passcode);
    const key = (await pollApiKey(platform, app, pc.passcodeId, SECRET)).body.apikey;
    expect((await platform.api('DELETE', `/api/admin/instances/${instance.instanceId}`, undefined, ADMIN)).status).toBe(
      204,
    );
    expect(
      (await platform.api('DELETE', `/api/admin/instances/${instance.instanceId}`, undefined, ADMIN)).body.code,
    ).toBe('instance-not-found');
    expect(
      (await platform.api('GET', '/api/connector/integrations', undefined, asInstance(instance.instanceKey))).status,
    ).toBe(401);
    expect((await platform.api('GET', '/api/integration', undefined, withKey(key))).body.code).toBe('api-key-revoked');
    await receiver.waitFor((r) => r.delivered.some((d) => verify(app.webhookSecret, d).type === 'integration.revoked'));
    const listed = await platform.api('GET', '/api/admin/instances', undefined, ADMIN);
    expect(listed.body.map((i: { instanceId: string }) => i.instanceId)).not.toContain(instance.instanceId);
    expect(integrationId).toMatch(/^int_/);
  });

  // Last in this suite: it moves the clock weeks on.
  it('warns with X-Api-Key-Expires only in a key’s last seven days, by the platform’s clock', async () => {
    const { platform } = ctx;
    const { app, instance } = await setUp();
    const { apikey } = await integrate(platform, app, instance.instanceKey);
    const fresh = await platform.api('GET', '/api/integration', undefined, withKey(apikey));
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-api-key-expires')).toBeNull();
    clock.advance(Date.parse(fresh.body.keyExpires) - clock.now() - 6 * 86_400_000);
    const late = await platform.api('GET', '/api/integration', undefined, withKey(apikey));
    expect(late.status).toBe(200);
    expect(late.headers.get('x-api-key-expires')).toBe(fresh.body.keyExpires);
  });
});

describeEachStore('the limit on failed passcode look-ups', (store) => {
  let mail: MailCatcher;
  let platform: TestPlatform;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-limit-'));
  beforeAll(async () => {
    mail = await new MailCatcher().start();
  });
  afterAll(async () => {
    await platform?.stop();
    await mail?.stop();
  });

  it('answers 429 with Retry-After after 10 failures in 15 minutes, also after a restart', async () => {
    platform = await startTestPlatform({ store, dataDir, env: { SMTP_URL: mail.url } });
    const instance = await provisionInstance(platform);
    const other = await provisionInstance(platform, 'Other Ltd');
    const app = await registerApplication(platform.url, mail, { notificationUrl: 'https://shop.example.com/events' });
    const pc = await newPasscode(platform, app, SECRET);
    for (let i = 0; i < 10; i++) {
      const r = await platform.api(
        'POST',
        '/api/connector/consents',
        { passcode: `BBBB-BB${'BCDFGHJKLM'[i]}B` },
        asInstance(instance.instanceKey),
      );
      expect(r.body.code).toBe('passcode-invalid');
    }
    const limited = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(instance.instanceKey),
    );
    expect([limited.status, limited.body.code]).toEqual([429, 'rate-limited']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(800);

    await platform.stop();
    platform = await startTestPlatform({ store, dataDir, env: { SMTP_URL: mail.url } });
    const stillLimited = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(instance.instanceKey),
    );
    expect([stillLimited.status, stillLimited.body.code]).toEqual([429, 'rate-limited']);
    // Another instance is not held back, and the passcode is still good.
    const fine = await platform.api(
      'POST',
      '/api/connector/consents',
      { passcode: pc.passcode },
      asInstance(other.instanceKey),
    );
    expect(fine.status).toBe(201);
  });
});
