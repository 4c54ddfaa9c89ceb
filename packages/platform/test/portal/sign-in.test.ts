import { beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/infra/clock.js';
import { solveRegistrationCaptcha, submitRegistration } from '../support/captcha.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { FormClient, signIn, signInLink, signInMails } from '../support/portal.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('sign-in and sessions: refusals change nothing', (store) => {
  // No sign-in limits for this suite (it signs in often); the limits have a platform of their own below.
  const clock = new TestClock();
  const ctx = usePlatformWithMail(store, {
    env: {
      ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
      RATE_LIMIT_SIGNIN_EMAILS: 'off',
      RATE_LIMIT_SIGNIN_CLIENTS: 'off',
    },
    clock,
  });
  const email = 'ada@example.com';
  let app: RegisteredApplication;
  const portalConfig = () => ctx.platform.platform.config.portal;
  const sessions = async () =>
    (await ctx.platform.platform.store.db.selectFrom('portal_sessions').select('token_hash').execute()).length;
  /** Config changed for one test, put back after it. */
  async function withPortalConfig<T>(
    change: Partial<ReturnType<typeof portalConfig>>,
    run: () => Promise<T>,
  ): Promise<T> {
    const saved = { ...portalConfig() };
    Object.assign(portalConfig(), change);
    try {
      return await run();
    } finally {
      Object.assign(portalConfig(), saved);
    }
  }
  const requestLink = async (client: FormClient, address: string) =>
    client.post('/portal/sign-in', { email: address }, '/portal/sign-in');

  beforeAll(async () => {
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: 'http://127.0.0.1:9/hook', email });
  });

  it('signed out, /portal sends the browser to the sign-in page', async () => {
    const res = await new FormClient(ctx.platform.url).get('/portal');
    expect(res.status).toBe(303);
    expect(res.location).toBe('/portal/sign-in');
  });

  it('answers the same for an unknown address, and e-mails nobody', async () => {
    const client = new FormClient(ctx.platform.url);
    const known = await requestLink(client, email);
    const unknown = await requestLink(client, 'nobody@example.com');
    expect(unknown.status).toBe(known.status);
    expect(unknown.text.replace('nobody@example.com', 'X')).toBe(known.text.replace(email, 'X'));
    await signInLink(ctx.mail, email, new Set()); // the known address got its link
    expect(ctx.mail.to('nobody@example.com')).toEqual([]);
  });

  it('keeps the link hashed: the store holds no token of the e-mailed link', async () => {
    const link = await signInLink(ctx.mail, email, new Set());
    const token = link.split('/').pop()!;
    const rows = await ctx.platform.platform.store.db.selectFrom('sign_in_links').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(ctx.platform.logs.join('')).not.toContain(token);
  });

  it('refuses a forged link, a reused link and an expired link; none opens a session', async () => {
    const client = new FormClient(ctx.platform.url);
    const forged = '/portal/sign-in/' + 'A'.repeat(43);
    expect((await client.get(forged)).status).toBe(404);
    const before = await sessions();
    expect((await client.post(forged, {}, '/portal/sign-in')).status).toBe(410);
    expect(await sessions()).toBe(before);

    const signedIn = await signIn(ctx.platform.url, ctx.mail, email); // one use
    const used = new URL(await signInLink(ctx.mail, email, new Set([...signInMails(ctx.mail, email)].slice(0, -1))))
      .pathname;
    expect((await signedIn.get(used)).status).toBe(410);
    const again = new FormClient(ctx.platform.url);
    const afterUse = await sessions();
    expect((await again.post(used, {}, '/portal/sign-in')).status).toBe(410);
    expect(again.cookies.has('cc_session')).toBe(false);
    expect(await sessions()).toBe(afterUse);

    await withPortalConfig({ signInLinkTtl: 0 }, async () => {
      const seen = signInMails(ctx.mail, email);
      await requestLink(again, email);
      const expired = new URL(await signInLink(ctx.mail, email, seen)).pathname;
      expect((await again.get(expired)).status).toBe(410);
      expect((await again.post(expired, {}, '/portal/sign-in')).status).toBe(410);
    });
    expect(await sessions()).toBe(afterUse);
  });

  it('refuses a form without its CSRF token, or with another session’s', async () => {
    const a = await signIn(ctx.platform.url, ctx.mail, email);
    const url = `/portal/applications/${app.applicationId}`;
    const change = { name: 'Changed', notificationUrl: 'http://127.0.0.1:9/other' };
    expect((await a.request('POST', url, change)).status).toBe(403);
    const other = await signIn(ctx.platform.url, ctx.mail, email);
    expect((await a.request('POST', url, { ...change, csrf: await other.csrf('/portal') })).status).toBe(403);
    const stored = await ctx.platform.api(
      'GET',
      `/api/developers/${app.developerId}/applications/${app.applicationId}`,
    );
    expect(stored.body.notificationUrl).toBe('http://127.0.0.1:9/hook');
    // Nor may a sign-in be asked for without one.
    const seen = signInMails(ctx.mail, email).size;
    expect((await new FormClient(ctx.platform.url).request('POST', '/portal/sign-in', { email })).status).toBe(403);
    expect(signInMails(ctx.mail, email).size).toBe(seen);
  });

  it('ends a session left idle, and a signed-out one', async () => {
    const client = await signIn(ctx.platform.url, ctx.mail, email);
    expect((await client.get('/portal')).status).toBe(200);
    const idleMs = portalConfig().sessionIdle * 1000;
    clock.advance(idleMs - 60_000);
    expect((await client.get('/portal')).status).toBe(200); // still within its idle time, which starts again now
    clock.advance(idleMs - 60_000);
    expect((await client.get('/portal')).status).toBe(200);
    clock.advance(idleMs + 1_000);
    expect((await client.get('/portal')).status).toBe(303);
    await withPortalConfig({ sessionIdle: 100 * portalConfig().sessionIdle }, async () => {
      expect((await client.get('/portal')).status).toBe(303); // idle is over for good, whatever the setting now
    });

    const other = await signIn(ctx.platform.url, ctx.mail, email);
    const cookie = other.cookies.get('cc_session')!;
    expect((await other.post('/portal/sign-out')).status).toBe(303);
    const replay = new FormClient(ctx.platform.url);
    replay.cookies.set('cc_session', cookie);
    expect((await replay.get('/portal')).status).toBe(303);
  });
});

describeEachStore('sign-in limits', (store) => {
  const ctx = usePlatformWithMail(store, {
    env: { RATE_LIMIT_SIGNIN_EMAILS: '2/15m', RATE_LIMIT_SIGNIN_CLIENTS: '4/15m' },
  });

  it('limits sign-in requests per address and per client, with Retry-After, and sends nothing past a limit', async () => {
    await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: 'https://limits.example.com/hook',
      email: 'limited@example.com',
    });
    const client = new FormClient(ctx.platform.url);
    const ask = (address: string) => client.post('/portal/sign-in', { email: address }, '/portal/sign-in');
    expect((await ask('limited@example.com')).status).toBe(200);
    expect((await ask('LIMITED@example.com')).status).toBe(200); // the same address, however spelt
    await expect.poll(() => signInMails(ctx.mail, 'limited@example.com').size).toBe(2);
    const refused = await ask('limited@example.com');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many sign-in requests');
    expect((await ask('fresh@example.com')).status).toBe(200); // another address: the client's 4th
    expect((await ask('other@example.com')).status).toBe(429); // the client's 5th
    // What was refused sent nothing (it is refused before anything is queued).
    expect(signInMails(ctx.mail, 'limited@example.com').size).toBe(2);
  });
});

describe('the session cookie behind https', () => {
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { PUBLIC_URL: 'https://portal.example.com', ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } },
  );

  it('is HttpOnly, SameSite=Lax and Secure when PUBLIC_URL is https', async () => {
    const registered = await ctx.platform.api('POST', '/api/developers', {
      name: 'Sec',
      email: 'sec@example.com',
      application: { name: 'Sec App', solution: 'ecommerce', notificationUrl: 'https://sec.example.com/hook' },
    });
    const local = registered.body.registrationUrl.replace('https://portal.example.com', ctx.platform.url);
    expect((await submitRegistration(local, await solveRegistrationCaptcha(local))).status).toBe(200);
    await ctx.mail.waitFor('sec@example.com');
    const client = new FormClient(ctx.platform.url);
    await client.post('/portal/sign-in', { email: 'sec@example.com' }, '/portal/sign-in');
    const link = await signInLink(ctx.mail, 'sec@example.com', new Set());
    expect(link.startsWith('https://portal.example.com/portal/sign-in/')).toBe(true);
    const path = new URL(link).pathname;
    const done = await client.post(path, {}, path);
    expect(done.status).toBe(303);
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith('cc_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Max-Age=604800/);
  });
});
