import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, shoot } from '../support/browser.js';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { order, orderResult } from '../support/orders.js';
import { usePlatformWithMail } from '../support/platform.js';
import { signInLink, signInMails } from '../support/portal.js';
import { Receiver, verify } from '../support/receiver.js';

describe.skipIf(!haveChromium && !process.env.CI)(
  'the developer console in Chromium, e-mail through a real SMTP server',
  { timeout: 120_000 },
  () => {
    const ctx = usePlatformWithMail(
      { kind: 'sqlite', databaseUrl: undefined },
      { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '0' } },
    );
    const receiver = new Receiver();
    const email = 'ada@example.com';
    let browser: Browser;
    let page: Page;
    let app: RegisteredApplication;
    let integration: { integrationId: string; apikey: string };
    let instanceKey: string;

    beforeAll(async () => {
      await receiver.start();
      app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url('/first'), email });
      instanceKey = (await provisionInstance(ctx.platform, 'Acme Garden Supplies Ltd')).instanceKey;
      integration = await integrate(ctx.platform, app, instanceKey);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    });
    afterAll(async () => {
      await browser?.close();
      await receiver.stop();
    });

    const go = async (path: string) => {
      const res = await page.goto(ctx.platform.url + path);
      return res!.status();
    };
    const text = (selector = 'main') => page.locator(selector).innerText();

    it('signs in from the e-mailed link (opening the link alone signs nobody in)', async () => {
      await go('/portal');
      expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
      await shoot(page, 'sign-in');
      const seen = signInMails(ctx.mail, email);
      await page.getByLabel('E-mail address').fill(email);
      await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
      await expect(text('h1')).resolves.toBe('Check your e-mail');
      const link = await signInLink(ctx.mail, email, seen);
      expect(link.startsWith(`${ctx.platform.url}/portal/sign-in/`)).toBe(true);

      await page.goto(link);
      await shoot(page, 'sign-in-confirm');
      expect((await page.context().cookies()).some((c) => c.name === 'cc_session')).toBe(false);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${ctx.platform.url}/portal`);
      const cookie = (await page.context().cookies()).find((c) => c.name === 'cc_session')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
      await expect(text()).resolves.toContain(app.applicationId);
      await shoot(page, 'applications');
    });

    it('creates an application and shows its secret once', async () => {
      await page.getByRole('link', { name: 'New application' }).click();
      await shoot(page, 'application-new');
      await page.getByLabel('Name').fill('LedgerLens');
      await page.getByLabel('Description').fill('Reads the nominal ledger');
      // Long enough to wrap on a card: it should wrap after a slash or before a dot, not mid-word.
      await page
        .getByLabel('Notification URL')
        .fill(receiver.url('/ledgerlens/connected-cloud/webhooks/v1/notifications?tenant=acme-garden-supplies'));
      await page.getByRole('button', { name: 'Create application' }).click();
      await expect(text('h1')).resolves.toBe('LedgerLens is created');
      expect(await page.locator('#secret').innerText()).toMatch(/^whsec_/);
      const list = await ctx.platform.api(
        'GET',
        '/api/developers/' + app.developerId + '/applications/' + app.applicationId,
      );
      expect(list.status).toBe(200);
      await go('/portal');
      await expect(text()).resolves.toContain('LedgerLens');
      await shoot(page, 'applications-long-url');
    });

    it('changes the notificationUrl under the rules of registration', async () => {
      await go(`/portal/applications/${app.applicationId}`);
      await page.getByLabel('Notification URL').fill('ftp://nowhere.example.com/');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect(text('[role=alert]')).resolves.toMatch(/notificationUrl/);
      let stored = await ctx.platform.api(
        'GET',
        `/api/developers/${app.developerId}/applications/${app.applicationId}`,
      );
      expect(stored.body.notificationUrl).toBe(receiver.url('/first'));

      await page.getByLabel('Notification URL').fill(receiver.url('/second'));
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect(text('[role=status]')).resolves.toBe('Saved.');
      stored = await ctx.platform.api('GET', `/api/developers/${app.developerId}/applications/${app.applicationId}`);
      expect(stored.body.notificationUrl).toBe(receiver.url('/second'));
      await shoot(page, 'application');
    });

    it('rotates the secret: the next event verifies with the new secret and with the old one', async () => {
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Rotate the signing secret' }).click();
      const newSecret = await page.locator('#secret').innerText();
      expect(newSecret).toMatch(/^whsec_/);
      expect(newSecret).not.toBe(app.webhookSecret);
      await shoot(page, 'secret-rotated');

      await go(`/portal/applications/${app.applicationId}`);
      await page.getByRole('button', { name: 'Send a test event' }).click();
      await page.waitForURL(/\/portal\/events\/evt_/);
      const eventId = page.url().split('/').pop()!;
      await receiver.waitFor((r) => r.delivered.some((d) => d.id === eventId));
      const delivery = receiver.delivered.find((d) => d.id === eventId)!;
      expect(delivery.path).toBe('/second');
      expect(verify(newSecret, delivery).type).toBe('webhook.test');
      expect(verify(app.webhookSecret, delivery).type).toBe('webhook.test');
      expect(() => verify('whsec_' + Buffer.alloc(32, 1).toString('base64'), delivery)).toThrow();
    });

    it('shows why an event failed, resends it and the new attempt appears', async () => {
      receiver.behaviour = () => ({ status: 500 });
      await go(`/portal/applications/${app.applicationId}`);
      await page.getByRole('button', { name: 'Send a test event' }).click();
      await page.waitForURL(/\/portal\/events\/evt_/);
      const eventPath = new URL(page.url()).pathname;
      await expect.poll(async () => (await go(eventPath), text('dl.facts')), { timeout: 15_000 }).toContain('failed');
      await expect(text('table')).resolves.toContain('HTTP 500');
      await go('/portal/events?status=failed');
      await expect(text('table')).resolves.toContain(eventPath.split('/').pop()!);
      await shoot(page, 'events');

      receiver.behaviour = () => ({ status: 204 });
      await go(eventPath);
      await page.getByRole('button', { name: 'Resend' }).click();
      await expect
        .poll(async () => (await go(eventPath), text('dl.facts')), { timeout: 15_000 })
        .toContain('delivered');
      expect(await page.locator('table tbody tr').count()).toBe(2);
      await shoot(page, 'event');
    });

    it('follows an upload to its result', async () => {
      const orders = [order(1), order(2)];
      const up = await ctx.platform.api('POST', '/api/uploads?type=orders', orders, withKey(integration.apikey));
      expect(up.status).toBe(202);
      const id = up.body.fileId as string;
      await go('/portal/uploads');
      await page.getByRole('link', { name: id }).click();
      await expect
        .poll(async () => (await go(`/portal/uploads/${id}`), text('#upload-status')), { timeout: 15_000 })
        .toBe('pending');

      const inst = (method: string, path: string, body?: unknown) =>
        ctx.platform.api(method, path, body, asInstance(instanceKey));
      expect((await inst('POST', `/api/connector/uploads/${id}/claim`)).status).toBe(200);
      expect((await inst('PATCH', `/api/connector/uploads/${id}`, { status: 'processing', progress: 50 })).status).toBe(
        200,
      );
      await go(`/portal/uploads/${id}`);
      await expect(text('#upload-status')).resolves.toBe('processing');
      expect(Number(await page.locator('dd progress').getAttribute('value'))).toBeGreaterThan(40);
      await shoot(page, 'upload-processing');
      // One order of two rejected: the upload ends failed (a partial outcome is never hidden behind accepted).
      const done = await inst('PUT', `/api/connector/uploads/${id}/result?status=failed`, [
        orderResult('o1', true),
        orderResult('o2', false),
      ]);
      expect(done.status).toBe(200);
      // No reload: the page's live region fetches the new status by itself.
      await expect.poll(() => text('#upload-status'), { timeout: 15_000 }).toBe('failed');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download the result' }).click(),
      ]);
      const result = JSON.parse(await streamText(await download.createReadStream()));
      expect(result.map((r: { outcome: string }) => r.outcome)).toEqual(['accepted', 'rejected']);
      await shoot(page, 'upload');
    });

    it('lists scope files and downloads one', async () => {
      const products = [1, 2, 3].map((i) => ({
        id: `p${i}`,
        name: `Product ${i}`,
        netPrice: 9.5,
        tax: 20,
        discountByUnit: true,
        timestamp: '2026-11-28T10:00:00.000Z',
      }));
      const put = await ctx.platform.api(
        'PUT',
        '/api/connector/solutions/ecommerce/scopes/products',
        products,
        asInstance(instanceKey),
      );
      expect(put.status).toBe(201);
      await go('/portal/files');
      await expect(text('table')).resolves.toContain(put.body.fileId);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: `Download ${put.body.fileId}` }).click(),
      ]);
      expect(JSON.parse(await streamText(await download.createReadStream()))).toEqual(products);
      await shoot(page, 'files');
    });

    it('revokes an integration: its key stops working', async () => {
      await go('/portal/integrations');
      await expect(text('table')).resolves.toContain('Acme Garden Supplies Ltd');
      await shoot(page, 'integrations');
      await page.getByRole('button', { name: 'Revoke' }).click();
      await expect(text('[role=status]')).resolves.toContain(integration.integrationId);
      await expect(text('table')).resolves.toContain('revoked');
      const refused = await ctx.platform.api('GET', '/api/integration', undefined, withKey(integration.apikey));
      expect(refused.body.code).toBe('api-key-revoked');
    });

    it('creates a developer token, shown once, and the tokens page lists it', async () => {
      await go('/portal/tokens');
      await page.getByLabel('Name').fill('deploy script');
      await page.getByRole('button', { name: 'Create token' }).click();
      const token = await page.locator('#token').innerText();
      expect(token).toMatch(/^ccd_[0-9A-Za-z]{46}$/);
      await shoot(page, 'tokens');
      await go('/portal/tokens');
      expect(await page.content()).not.toContain(token);
    });

    it('works on a phone', async () => {
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await phone.context().addCookies(await page.context().cookies());
      for (const [path, name] of [
        ['/portal', 'applications-mobile'],
        [`/portal/applications/${app.applicationId}`, 'application-mobile'],
        ['/portal/events', 'events-mobile'],
      ] as const) {
        await phone.goto(ctx.platform.url + path);
        expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), path).toBe(true);
        await shoot(phone, name);
      }
      await phone.close();
    });

    it('signs out: the session is over', async () => {
      await go('/portal');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/portal\/sign-in\?signed-out=1$/);
      await expect(text('[role=status]')).resolves.toBe('You are signed out.');
      await go('/portal');
      expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
    });
  },
);

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
