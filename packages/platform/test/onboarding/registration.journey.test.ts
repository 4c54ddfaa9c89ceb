import { describe, expect, it } from 'vitest';
import { solveRegistrationCaptcha, submitRegistration } from '../support/captcha.js';
import { MailCatcher, credentialsOf } from '../support/smtp.js';
import { freePort, startTestPlatform, usePlatformWithMail } from '../support/platform.js';
import { describeEachStore } from '../support/stores.js';

const registration = (email: string) => ({
  name: 'Ada Lovelace',
  email,
  company: 'Analytical Engines Ltd',
  application: {
    name: 'ShopSync',
    description: 'Web shop sync',
    solution: 'ecommerce',
    notificationUrl: 'https://shop.example.com/connected-cloud/events',
  },
});

describeEachStore('registration journey over HTTP with a real SMTP server', (store) => {
  const ctx = usePlatformWithMail(store);

  it('registers a developer: URL, page, captcha, e-mail with the IDs, then the application can be read', async () => {
    const started = await ctx.platform.api('POST', '/api/developers', registration('ada@example.com'));
    expect(started.status).toBe(202);
    expect(Object.keys(started.body).sort()).toEqual(['expires', 'registrationUrl']); // no IDs before completion
    const { registrationUrl, expires } = started.body as { registrationUrl: string; expires: string };
    expect(registrationUrl).toMatch(new RegExp(`^${ctx.platform.url}/register/[0-9A-Za-z]{43}$`));
    const life = Date.parse(expires) - Date.now();
    expect(life).toBeGreaterThan(23.9 * 3600_000);
    expect(life).toBeLessThanOrEqual(24 * 3600_000);

    const page = await fetch(registrationUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<altcha-widget');
    expect(html).toContain('ShopSync');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");

    const done = await submitRegistration(registrationUrl, await solveRegistrationCaptcha(registrationUrl));
    expect(done.status).toBe(200);
    expect(done.html).toContain('Check your e-mail');

    const message = await ctx.mail.waitFor('ada@example.com');
    const ids = credentialsOf(message);
    expect(ids.developerId).toMatch(/^dev_[0-9A-Za-z]{22}$/);
    expect(ids.applicationId).toMatch(/^app_[0-9A-Za-z]{22}$/);
    expect(Buffer.from(ids.webhookSecret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);

    const app = await ctx.platform.api('GET', `/api/developers/${ids.developerId}/applications/${ids.applicationId}`);
    expect(app.status).toBe(200);
    expect(app.body).toMatchObject({
      applicationId: ids.applicationId,
      developerId: ids.developerId,
      name: 'ShopSync',
      description: 'Web shop sync',
      solution: 'ecommerce',
      notificationUrl: 'https://shop.example.com/connected-cloud/events',
    });
    expect(app.text).not.toContain('whsec_');

    // The link is single use: the page and a second completion both say it was used.
    expect((await fetch(registrationUrl)).status).toBe(410);
    const again = await submitRegistration(
      registrationUrl,
      await solveRegistrationCaptcha(registrationUrl).catch(() => 'x'),
    );
    expect(again.status).toBe(410);
    expect(ctx.mail.to('ada@example.com')).toHaveLength(1);

    // A second application of the now active developer: 201 with its secret, and the same IDs by e-ctx.mail.
    const created = await ctx.platform.api('POST', `/api/developers/${ids.developerId}/applications`, {
      name: 'LedgerLens',
      solution: 'comp-nominalv1',
      notificationUrl: 'https://lens.example.com/hooks',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'LedgerLens',
      solution: 'comp-nominalv1',
      notificationUrl: 'https://lens.example.com/hooks',
    });
    expect(created.body.applicationId).toMatch(/^app_/);
    expect(created.body.webhookSecret).toMatch(/^whsec_/);
    expect(created.body.webhookSecret).not.toBe(ids.webhookSecret);
    const second = await ctx.mail.waitFor('ada@example.com', (m) =>
      (m.text ?? '').includes(created.body.applicationId),
    );
    expect(credentialsOf(second)).toEqual({
      developerId: ids.developerId,
      applicationId: created.body.applicationId,
      webhookSecret: created.body.webhookSecret,
    });
    const fetched = await ctx.platform.api(
      'GET',
      `/api/developers/${ids.developerId}/applications/${created.body.applicationId}`,
    );
    expect(fetched.status).toBe(200);
    expect(fetched.body.name).toBe('LedgerLens');
  });

  it('keeps registrations apart: a pending developer cannot add applications, and IDs do not cross developers', async () => {
    const { body } = await ctx.platform.api('POST', '/api/developers', registration('grace@example.com'));
    const { developerId: adaId } = credentialsOf(await ctx.mail.waitFor('ada@example.com'));
    const pendingId = await ctx.platform.platform.store.db
      .selectFrom('developers')
      .select('id')
      .where('email', '=', 'grace@example.com')
      .executeTakeFirstOrThrow();

    const refused = await ctx.platform.api('POST', `/api/developers/${pendingId.id}/applications`, {
      name: 'X',
      solution: 'ecommerce',
      notificationUrl: 'https://x.example.com/e',
    });
    expect(refused.status).toBe(404);
    expect(refused.body.code).toBe('developer-not-found');

    const pendingApp = await ctx.platform.platform.store.db
      .selectFrom('applications')
      .select('id')
      .where('developer_id', '=', pendingId.id)
      .executeTakeFirstOrThrow();
    const hidden = await ctx.platform.api('GET', `/api/developers/${pendingId.id}/applications/${pendingApp.id}`);
    expect(hidden.status).toBe(404);
    const crossed = await ctx.platform.api('GET', `/api/developers/${adaId}/applications/${pendingApp.id}`);
    expect(crossed.status).toBe(404);
    expect(crossed.body.code).toBe('application-not-found');

    // Completing Grace's registration now makes her application visible, under her ID only.
    await submitRegistration(body.registrationUrl, await solveRegistrationCaptcha(body.registrationUrl));
    const grace = credentialsOf(await ctx.mail.waitFor('grace@example.com'));
    expect(grace.developerId).toBe(pendingId.id);
    expect(
      (await ctx.platform.api('GET', `/api/developers/${grace.developerId}/applications/${grace.applicationId}`))
        .status,
    ).toBe(200);
  });

  it('keeps no registration token or webhook secret in the clear, in the store or in the log', async () => {
    const { body } = await ctx.platform.api('POST', '/api/developers', registration('hopper@example.com'));
    const token = body.registrationUrl.split('/').pop();
    await fetch(body.registrationUrl);
    await submitRegistration(body.registrationUrl, await solveRegistrationCaptcha(body.registrationUrl));
    const { webhookSecret } = credentialsOf(await ctx.mail.waitFor('hopper@example.com'));

    const db = ctx.platform.platform.store.db;
    const dump = JSON.stringify(
      await Promise.all(
        ['developers', 'applications', 'registrations', 'captcha_spent'].map((t) =>
          db
            .selectFrom(t as 'developers')
            .selectAll()
            .execute(),
        ),
      ),
    );
    expect(dump).toContain('hopper@example.com'); // the dump is real
    for (const secret of [token, webhookSecret, webhookSecret.slice('whsec_'.length)]) {
      expect(dump).not.toContain(secret);
      expect(ctx.platform.logs.join('')).not.toContain(secret);
    }
    expect(ctx.platform.logs.join('')).toContain('/register/[redacted]');
  });
});

describe('the credentials e-mail when the mail server is down', () => {
  it('is sent once the mail server is back: the registration does not lose it', async () => {
    const smtpPort = await freePort(); // nothing listens there yet
    const platform = await startTestPlatform({
      store: { kind: 'sqlite', databaseUrl: undefined },
      env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` },
    });
    let mail: MailCatcher | undefined;
    try {
      const { body } = await platform.api('POST', '/api/developers', registration('offline@example.com'));
      const done = await submitRegistration(body.registrationUrl, await solveRegistrationCaptcha(body.registrationUrl));
      expect(done.status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      const queued = await platform.platform.store.db
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', 'send-mail')
        .execute();
      expect(queued).toHaveLength(1);
      expect(queued[0]!.last_error).toMatch(/ECONNREFUSED/);
      expect(queued[0]!.payload).not.toContain('whsec_'); // the queued copy is sealed
      mail = await new MailCatcher().start(smtpPort);
      const ids = credentialsOf(await mail.waitFor('offline@example.com', () => true, 20_000));
      expect(ids.developerId).toMatch(/^dev_/);
    } finally {
      await platform.stop();
      await mail?.stop();
    }
  });
});
