import { afterAll, beforeAll, expect, it } from 'vitest';
import { asInstance, consentWith, newPasscode, pollApiKey, provisionInstance } from '../support/consent.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

const SECRET = 'correct horse battery staple';

/** The polling fallback hands out the key apikey.issued carried, but never once that key is dead (issue 14). */
describeEachStore('polling fallback and dead keys', (store) => {
  const ctx = usePlatformWithMail(store, { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', APIKEY_GRACE: '0' } });
  let receiver: Receiver;
  let app: RegisteredApplication;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
  });
  afterAll(async () => receiver?.stop());

  async function granted() {
    const { instanceKey } = await provisionInstance(ctx.platform, `Acme ${Math.random()}`);
    const pc = await newPasscode(ctx.platform, app, SECRET);
    const { integrationId } = await consentWith(ctx.platform, instanceKey, pc.passcode);
    const first = await pollApiKey(ctx.platform, app, pc.passcodeId, SECRET);
    expect(first.status).toBe(200);
    return { instanceKey, integrationId, passcodeId: pc.passcodeId, apikey: first.body.apikey as string };
  }

  it('answers 401 api-key-revoked once the integration was revoked', async () => {
    const g = await granted();
    const revoked = await ctx.platform.api(
      'DELETE',
      `/api/connector/integrations/${g.integrationId}`,
      undefined,
      asInstance(g.instanceKey),
    );
    expect(revoked.status).toBe(204);
    const res = await pollApiKey(ctx.platform, app, g.passcodeId, SECRET);
    expect([res.status, res.body.code]).toEqual([401, 'api-key-revoked']);
    expect(res.text).not.toContain(g.apikey);
  });

  it('answers 401 api-key-expired once the key was rotated and its grace (0 here) ended', async () => {
    const g = await granted();
    const rotated = await ctx.platform.api('PATCH', '/api/apikey', { initialApikey: g.apikey, secret: SECRET });
    expect(rotated.status).toBe(200);
    const res = await pollApiKey(ctx.platform, app, g.passcodeId, SECRET);
    expect([res.status, res.body.code]).toEqual([401, 'api-key-expired']);
    expect(res.text).not.toContain(g.apikey);
  });
});
