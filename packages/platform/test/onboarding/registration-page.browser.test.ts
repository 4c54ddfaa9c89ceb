import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailCatcher, credentialsOf } from '../support/smtp.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe.skipIf(!haveChromium && !process.env.CI)(
  `registration page in real Chromium${haveChromium ? '' : ' [chromium missing]'}`,
  () => {
    let platform: TestPlatform;
    let mail: MailCatcher;
    let browser: Browser;

    beforeAll(async () => {
      mail = await new MailCatcher().start();
      platform = await startTestPlatform({
        store: { kind: 'sqlite', databaseUrl: undefined },
        env: { SMTP_URL: mail.url },
      });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await platform?.stop();
      await mail?.stop();
    });

    it('solves the self-hosted captcha, submits the form and the e-mail arrives', async () => {
      const { body } = await platform.api('POST', '/api/developers', {
        name: 'Katherine Johnson',
        email: 'katherine@example.com',
        company: 'Langley',
        application: { name: 'Orbit Shop', solution: 'ecommerce', notificationUrl: 'https://orbit.example.com/events' },
      });
      const page = await browser.newPage();
      const external: string[] = [];
      const consoleErrors: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(platform.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:'))
          external.push(r.url());
      });
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));

      const response = await page.goto(body.registrationUrl);
      expect(response?.status()).toBe(200);
      await expect(page.locator('h1').textContent()).resolves.toContain('Complete your registration');

      await page.locator('altcha-widget input[type="checkbox"]').click({ force: true });
      // The widget writes its solved payload into a hidden form field named `altcha`.
      await page.waitForFunction(() => document.querySelector<HTMLInputElement>('input[name="altcha"]')?.value, null, {
        timeout: 20_000,
      });
      await Promise.all([page.waitForURL(body.registrationUrl), page.locator('button[type="submit"]').click()]);
      await expect(page.locator('h1').textContent()).resolves.toContain('Check your e-mail');
      await expect(page.locator('main').textContent()).resolves.toContain('katherine@example.com');

      const ids = credentialsOf(await mail.waitFor('katherine@example.com'));
      expect(ids.developerId).toMatch(/^dev_/);
      const app = await platform.api('GET', `/api/developers/${ids.developerId}/applications/${ids.applicationId}`);
      expect(app.body.name).toBe('Orbit Shop');

      expect(external).toEqual([]); // no CDN: the widget and its challenge come from the platform
      expect(consoleErrors).toEqual([]);
      await page.close();
    });
  },
);
