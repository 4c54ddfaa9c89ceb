import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solveRegistrationCaptcha, submitRegistration } from '../support/captcha.js';
import { credentialsOf } from '../support/smtp.js';
import { startTestPlatform, usePlatformWithMail, type TestPlatform } from '../support/platform.js';
import { describeEachStore } from '../support/stores.js';

const valid = () => ({
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  company: 'Analytical Engines Ltd',
  application: { name: 'ShopSync', solution: 'ecommerce', notificationUrl: 'https://shop.example.com/events' },
});
type Body = ReturnType<typeof valid>;
const withApp = (patch: Partial<Body['application']>) => ({
  ...valid(),
  application: { ...valid().application, ...patch },
});

/** Row counts of every onboarding table: a refused request must leave them as they were. */
async function counts(p: TestPlatform) {
  const db = p.platform.store.db;
  const count = async (t: 'developers' | 'applications' | 'registrations' | 'captcha_spent') =>
    Number(
      (
        await db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    developers: await count('developers'),
    applications: await count('applications'),
    registrations: await count('registrations'),
    completed: Number(
      (
        await db
          .selectFrom('registrations')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('completed_at', 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    ),
  };
}

describeEachStore('bad input to onboarding', (store) => {
  // Insecure notification URLs are NOT allowed here, as in production.
  const ctx = usePlatformWithMail(store);

  const refusals: Array<[string, unknown, string | undefined, RegExp?]> = [
    ['a missing name', (({ name: _, ...rest }: Body) => rest)(valid()), '/name'],
    ['a missing email', (({ email: _, ...rest }: Body) => rest)(valid()), '/email'],
    ['a missing application', (({ application: _, ...rest }: Body) => rest)(valid()), '/application'],
    ['a missing notificationUrl', withApp({ notificationUrl: undefined }), '/application/notificationUrl'],
    ['a number for a name', { ...valid(), name: 42 }, '/name'],
    ['a string for the application', { ...valid(), application: 'ShopSync' }, '/application'],
    ['an empty name', { ...valid(), name: '' }, '/name'],
    ['an unknown field', { ...valid(), role: 'admin' }, '/role'],
    ['a bad e-mail', { ...valid(), email: 'ada.example.com' }, '/email'],
    ['a relative notificationUrl', withApp({ notificationUrl: '/events' }), '/application/notificationUrl'],
    [
      'an ftp notificationUrl',
      withApp({ notificationUrl: 'ftp://shop.example.com/events' }),
      '/application/notificationUrl',
    ],
    [
      'a plain http notificationUrl',
      withApp({ notificationUrl: 'http://shop.example.com/events' }),
      '/application/notificationUrl',
      /https/,
    ],
    [
      'a loopback host',
      withApp({ notificationUrl: 'https://127.0.0.1/events' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'a private host',
      withApp({ notificationUrl: 'https://10.0.0.1/events' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'the metadata address',
      withApp({ notificationUrl: 'https://169.254.169.254/latest' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'an IPv6 loopback host',
      withApp({ notificationUrl: 'https://[::1]/events' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'an IPv4-mapped private host',
      withApp({ notificationUrl: 'https://[::ffff:192.168.1.1]/events' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'localhost',
      withApp({ notificationUrl: 'https://localhost/events' }),
      '/application/notificationUrl',
      /local host/,
    ],
    // Host forms that once got through (issue 14): trailing dots, an IPv4-compatible IPv6 address.
    [
      'localhost with a trailing dot',
      withApp({ notificationUrl: 'https://localhost./x' }),
      '/application/notificationUrl',
      /local host/,
    ],
    [
      'a single-label host with a trailing dot',
      withApp({ notificationUrl: 'https://vm./x' }),
      '/application/notificationUrl',
      /fully qualified/,
    ],
    [
      'an IPv4-compatible loopback',
      withApp({ notificationUrl: 'https://[::127.0.0.1]/x' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'an IPv4-mapped loopback',
      withApp({ notificationUrl: 'https://[::ffff:127.0.0.1]/x' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'a loopback with a trailing dot',
      withApp({ notificationUrl: 'https://127.0.0.1./x' }),
      '/application/notificationUrl',
      /loopback, private/,
    ],
    [
      'credentials in the URL',
      withApp({ notificationUrl: 'https://user:pw@shop.example.com/events' }),
      '/application/notificationUrl',
    ],
    ['an unknown solution', withApp({ solution: 'payroll' }), '/application/solution', /not a published solution/],
    ['an array', [valid()], '/'],
  ];

  for (const [what, body, pointer, message] of refusals) {
    it(`refuses ${what} with 400 invalid-request and changes nothing`, async () => {
      const before = await counts(ctx.platform);
      const res = await ctx.platform.api('POST', '/api/developers', body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: '/problems/invalid-request', code: 'invalid-request', status: 400 });
      expect(res.body.title).toEqual(expect.any(String));
      expect(res.body.detail).toEqual(expect.any(String));
      if (pointer) expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      if (message) expect(JSON.stringify(res.body.errors)).toMatch(message);
      expect(await counts(ctx.platform)).toEqual(before);
    });
  }

  it('refuses broken JSON, a wrong content type, an empty body and an oversized body, changing nothing', async () => {
    const before = await counts(ctx.platform);
    const broken = await ctx.platform.api('POST', '/api/developers', '{"name": "Ada",');
    expect([broken.status, broken.body.code]).toEqual([400, 'invalid-request']);
    const empty = await ctx.platform.api('POST', '/api/developers', '');
    expect([empty.status, empty.body.code]).toEqual([400, 'invalid-request']);
    const text = await ctx.platform.api('POST', '/api/developers', JSON.stringify(valid()), {
      'content-type': 'text/plain',
    });
    expect([text.status, text.body.code]).toEqual([415, 'unsupported-media-type']);
    const form = await ctx.platform.api('POST', '/api/developers', 'name=Ada', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect([form.status, form.body.code]).toEqual([415, 'unsupported-media-type']);
    const huge = await ctx.platform.api('POST', '/api/developers', {
      ...valid(),
      company: 'x'.repeat(2 * 1024 * 1024),
    });
    expect([huge.status, huge.body.code]).toEqual([413, 'payload-too-large']);
    for (const r of [broken, empty, text, form, huge])
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await counts(ctx.platform)).toEqual(before);
  });

  it('answers unknown routes, developers and applications with 404 problems', async () => {
    const route = await ctx.platform.api('GET', '/api/nothing-here');
    expect([route.status, route.body.code, route.body.type]).toEqual([404, 'not-found', '/problems/not-found']);
    const dev = await ctx.platform.api(
      'POST',
      '/api/developers/dev_0000000000000000000000/applications',
      valid().application,
    );
    expect([dev.status, dev.body.code]).toEqual([404, 'developer-not-found']);
    const app = await ctx.platform.api(
      'GET',
      '/api/developers/dev_0000000000000000000000/applications/app_0000000000000000000000',
    );
    expect([app.status, app.body.code]).toEqual([404, 'application-not-found']);
  });

  it('gives 404 for an unknown registration link, and 410 for a used one', async () => {
    const unknown = await fetch(`${ctx.platform.url}/register/${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('does not exist');
    expect((await fetch(`${ctx.platform.url}/register/${'A'.repeat(43)}/challenge`)).status).toBe(404);
    expect((await submitRegistration(`${ctx.platform.url}/register/${'A'.repeat(43)}`, 'x')).status).toBe(404);

    const { body } = await ctx.platform.api('POST', '/api/developers', { ...valid(), email: 'used@example.com' });
    expect(
      (await submitRegistration(body.registrationUrl, await solveRegistrationCaptcha(body.registrationUrl))).status,
    ).toBe(200);
    const before = await counts(ctx.platform);
    const page = await fetch(body.registrationUrl);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('already been used');
    const challenge = await fetch(`${body.registrationUrl}/challenge`);
    expect(challenge.status).toBe(410);
    expect(((await challenge.json()) as { code: string }).code).toBe('registration-gone');
    expect(await counts(ctx.platform)).toEqual(before);
  });

  it('refuses a failed captcha with 400 and leaves the link usable', async () => {
    const { body } = await ctx.platform.api('POST', '/api/developers', { ...valid(), email: 'failed@example.com' });
    const url: string = body.registrationUrl;
    const good = JSON.parse(Buffer.from(await solveRegistrationCaptcha(url), 'base64').toString()) as Record<
      string,
      unknown
    >;
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
    const before = await counts(ctx.platform);
    for (const bad of [
      undefined, // no solution at all
      '',
      'not base64 json',
      b64({ ...good, number: (good.number as number) + 1 }), // wrong answer
      b64({ ...good, signature: '0'.repeat(64) }), // forged challenge
      b64({ ...good, salt: `${good.salt}x` }), // tampered salt
    ]) {
      const res = await submitRegistration(url, bad);
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^text\/html/);
      expect(res.html).toContain('captcha');
    }
    expect(await counts(ctx.platform)).toEqual(before);
    expect(ctx.mail.to('failed@example.com')).toHaveLength(0);
    expect((await fetch(url)).status).toBe(200);
    expect((await submitRegistration(url, b64(good))).status).toBe(200);
    expect(credentialsOf(await ctx.mail.waitFor('failed@example.com')).developerId).toMatch(/^dev_/);
  });

  it('refuses a replayed captcha solution, and a solution made for another link', async () => {
    const first = (await ctx.platform.api('POST', '/api/developers', { ...valid(), email: 'replay1@example.com' })).body
      .registrationUrl;
    const second = (await ctx.platform.api('POST', '/api/developers', { ...valid(), email: 'replay2@example.com' }))
      .body.registrationUrl;
    const third = (await ctx.platform.api('POST', '/api/developers', { ...valid(), email: 'replay3@example.com' })).body
      .registrationUrl;

    // A solution for the first link does not open the second.
    const forFirst = await solveRegistrationCaptcha(first);
    expect((await submitRegistration(second, forFirst)).status).toBe(400);

    // A solution is spent on first use, even when that use failed for another reason.
    const forSecond = await solveRegistrationCaptcha(second);
    expect((await submitRegistration(second, forSecond)).status).toBe(200);
    expect((await submitRegistration(first, forFirst)).status).toBe(200);
    const forThird = await solveRegistrationCaptcha(third);
    const spent = await counts(ctx.platform);
    expect((await submitRegistration(third, forThird)).status).toBe(200);
    expect((await submitRegistration(third, forThird)).status).toBe(410);
    expect((await counts(ctx.platform)).completed).toBe(spent.completed + 1);
    await ctx.mail.waitFor('replay3@example.com');
    expect(ctx.mail.to('replay3@example.com')).toHaveLength(1);
  });
});

describeEachStore('registration links that expire', (store) => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ store, configure: (c) => (c.registrationTtl = 1) });
  });
  afterAll(async () => platform?.stop());

  it('gives 410 for an expired link and activates nothing', async () => {
    const { body } = await platform.api('POST', '/api/developers', valid());
    const solved = await solveRegistrationCaptcha(body.registrationUrl);
    await new Promise((r) => setTimeout(r, 1100));
    const page = await fetch(body.registrationUrl);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
    expect((await submitRegistration(body.registrationUrl, solved)).status).toBe(410);
    const developers = await platform.platform.store.db.selectFrom('developers').select('status').execute();
    expect(developers.map((d) => d.status)).toEqual(['pending']);
  });
});

describe('insecure notification URLs, where the operator allows them', () => {
  it('accepts http and loopback hosts with ALLOW_INSECURE_NOTIFICATION_URLS=true', async () => {
    const platform = await startTestPlatform({
      store: { kind: 'sqlite', databaseUrl: undefined },
      env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' },
    });
    try {
      const res = await platform.api(
        'POST',
        '/api/developers',
        withApp({ notificationUrl: 'http://127.0.0.1:9999/events' }),
      );
      expect(res.status).toBe(202);
      const ftp = await platform.api('POST', '/api/developers', withApp({ notificationUrl: 'ftp://127.0.0.1/events' }));
      expect(ftp.status).toBe(400);
    } finally {
      await platform.stop();
    }
  });
});
