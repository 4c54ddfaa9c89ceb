import { ConnectedCloud } from '@connected-cloud/client';
import { beforeAll, expect, it } from 'vitest';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { signIn, type FormClient } from '../support/portal.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('the developer API: developer tokens (ccd_…), never the Developer ID alone', (store) => {
  const ctx = usePlatformWithMail(store, { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } });
  let a: RegisteredApplication;
  let b: RegisteredApplication;
  let console_: FormClient;
  let token: string;
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const appPath = () => `/api/developers/${a.developerId}/applications/${a.applicationId}`;
  const stored = async () => (await ctx.platform.api('GET', appPath())).body;

  beforeAll(async () => {
    a = await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: 'http://127.0.0.1:9/a',
      email: 'a@example.com',
    });
    b = await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: 'http://127.0.0.1:9/b',
      email: 'b@example.com',
    });
    console_ = await signIn(ctx.platform.url, ctx.mail, 'a@example.com');
    const created = await console_.post('/portal/tokens', { name: 'ci' }, '/portal/tokens');
    expect(created.status).toBe(201);
    token = /(ccd_[0-9A-Za-z]{46})/.exec(created.text)![1]!;
  });

  it('lists, changes and rotates with a token', async () => {
    const list = await ctx.platform.api(
      'GET',
      `/api/developers/${a.developerId}/applications`,
      undefined,
      bearer(token),
    );
    expect(list.status).toBe(200);
    expect(list.body.map((x: { applicationId: string }) => x.applicationId)).toEqual([a.applicationId]);

    const patched = await ctx.platform.api(
      'PATCH',
      appPath(),
      { notificationUrl: 'http://127.0.0.1:9/new', name: 'Renamed' },
      bearer(token),
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      applicationId: a.applicationId,
      name: 'Renamed',
      notificationUrl: 'http://127.0.0.1:9/new',
    });

    const bad = await ctx.platform.api('PATCH', appPath(), { notificationUrl: 'ftp://x.example.com/' }, bearer(token));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid-request');
    expect((await ctx.platform.api('PATCH', appPath(), {}, bearer(token))).status).toBe(400);
    expect((await stored()).notificationUrl).toBe('http://127.0.0.1:9/new');

    const rotated = await ctx.platform.api('POST', `${appPath()}/webhook-secret`, undefined, bearer(token));
    expect(rotated.status).toBe(201);
    expect(rotated.body.webhookSecret).toMatch(/^whsec_/);
    expect(Date.parse(rotated.body.previousSecretValidUntil) - Date.now()).toBeGreaterThan(23 * 3_600_000);
  });

  it('the SDK makes the same calls', async () => {
    const cloud = new ConnectedCloud({ baseUrl: ctx.platform.url });
    expect((await cloud.applications(a.developerId, token)).map((x) => x.applicationId)).toEqual([a.applicationId]);
    const changed = await cloud.updateApplication(
      a.developerId,
      a.applicationId,
      { description: 'from the SDK' },
      token,
    );
    expect(changed.description).toBe('from the SDK');
    expect((await cloud.rotateWebhookSecret(a.developerId, a.applicationId, token)).webhookSecret).toMatch(/^whsec_/);
    await expect(cloud.applications(b.developerId, token)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses without a token, with a forged one, for another developer, and with a revoked one; nothing changes', async () => {
    const before = await stored();
    const change = { notificationUrl: 'http://127.0.0.1:9/evil' };
    const none = await ctx.platform.api('PATCH', appPath(), change);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('developer-token-missing');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await ctx.platform.api('POST', `${appPath()}/webhook-secret`)).status).toBe(401);
    expect((await ctx.platform.api('GET', `/api/developers/${a.developerId}/applications`)).status).toBe(401);
    const forged = await ctx.platform.api('PATCH', appPath(), change, bearer(`ccd_${'A'.repeat(46)}`));
    expect(forged.body.code).toBe('developer-token-invalid');
    // A's token on B's application: not found, as if it did not exist.
    const other = await ctx.platform.api(
      'PATCH',
      `/api/developers/${b.developerId}/applications/${b.applicationId}`,
      change,
      bearer(token),
    );
    expect(other.status).toBe(404);
    expect(
      (await ctx.platform.api('GET', `/api/developers/${b.developerId}/applications`, undefined, bearer(token))).status,
    ).toBe(404);
    expect(
      (await ctx.platform.api('GET', `/api/developers/${b.developerId}/applications/${b.applicationId}`)).body
        .notificationUrl,
    ).toBe('http://127.0.0.1:9/b');

    const tokenId = /(dtk_[0-9A-Za-z]+)/.exec((await console_.get('/portal/tokens')).text)![1]!;
    expect((await console_.post(`/portal/tokens/${tokenId}/revoke`, {}, '/portal/tokens')).status).toBe(303);
    const revoked = await ctx.platform.api('PATCH', appPath(), change, bearer(token));
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('developer-token-revoked');
    expect(await stored()).toEqual(before);
  });

  it('is described in the OpenAPI document with the developerToken scheme', async () => {
    const doc = (await ctx.platform.api('GET', '/openapi.json')).body;
    expect(doc.components.securitySchemes.developerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const path = doc.paths['/api/developers/{developerId}/applications/{applicationId}'];
    expect(path.patch.operationId).toBe('updateApplication');
    expect(path.patch.security).toEqual([{ developerToken: [] }]);
    expect(
      doc.paths['/api/developers/{developerId}/applications/{applicationId}/webhook-secret'].post.responses['201'],
    ).toBeDefined();
    expect(doc.paths['/api/developers/{developerId}/applications'].get.operationId).toBe('listApplications');
  });
});
