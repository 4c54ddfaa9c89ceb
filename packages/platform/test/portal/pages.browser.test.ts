import { ProblemCodes } from '@connected-cloud/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, haveChromium, launchChromium, shoot } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe.skipIf(!haveChromium && !process.env.CI)('the pages everyone sees, in Chromium', { timeout: 120_000 }, () => {
  let platform: TestPlatform;
  let browser: Browser;
  beforeAll(async () => {
    platform = await startTestPlatform({ store: { kind: 'sqlite', databaseUrl: undefined } });
    browser = await launchChromium();
    console.log(`screenshots: ${ARTIFACTS}`);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('the home page has the guide, the Postman link and the way to the console, on a desktop and a phone', async () => {
    for (const [name, viewport] of [
      ['home', { width: 1280, height: 900 }],
      ['home-mobile', { width: 390, height: 844 }],
    ] as const) {
      const page = await browser.newPage({ viewport });
      const external: string[] = [];
      page.on(
        'request',
        (r) => !r.url().startsWith(platform.url) && !r.url().startsWith('data:') && external.push(r.url()),
      );
      const res = await page.goto(`${platform.url}/`);
      expect(res?.status()).toBe(200);
      const steps = await page.locator('ol.steps > li h3').allTextContents();
      expect(steps).toHaveLength(7);
      expect(steps.join(' | ')).toMatch(/Register.*passcode.*consents.*Rotate.*Download.*Upload.*Track/);
      expect(await page.locator('a[href="/postman.json"]', { hasText: 'Download Postman collection' }).count()).toBe(1);
      expect(await page.locator('a[href="/docs"]').count()).toBeGreaterThan(0);
      expect(await page.locator('a[href="/portal"]').count()).toBeGreaterThan(0);
      // The stylesheet is the platform's own and applied; nothing came from elsewhere.
      expect(await page.evaluate(() => getComputedStyle(document.querySelector('header.site')!).backgroundColor)).toBe(
        'rgb(13, 27, 42)',
      );
      expect(external).toEqual([]);
      // Nothing wider than the screen but the code blocks, which scroll by themselves.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await shoot(page, name);
      await page.close();
    }
  });

  it('the API reference (Redoc) is served by the platform, in the site’s shell, with every operation and event', async () => {
    for (const [name, viewport] of [
      ['reference', { width: 1400, height: 1000 }],
      ['reference-mobile', { width: 390, height: 844 }],
    ] as const) {
      const page = await browser.newPage({ viewport });
      const fetched: string[] = [];
      page.on('requestfinished', (r) => fetched.push(r.url()));
      const res = await page.goto(`${platform.url}/docs#tag/uploads/operation/createUpload`);
      expect(res?.status()).toBe(200);
      await page.locator('h2', { hasText: 'Send a file for the instance to process' }).waitFor({ timeout: 30_000 });
      // Every operation of the document, and the events (OpenAPI webhooks), are in the outline.
      const doc = (await platform.api('GET', '/openapi.json')).body;
      const operations = Object.values<Record<string, unknown>>(doc.paths).flatMap((ops) => Object.keys(ops)).length;
      const outlined = await page.locator('li[data-item-id*="operation/"]').count();
      expect(outlined).toBe(operations + Object.keys(doc.webhooks).length);
      expect(await page.locator('header.site a[aria-current="page"]').textContent()).toBe('API reference');
      // Redoc's attribution logo points at a CDN; the pages' CSP (img-src 'self') keeps it from loading.
      expect(fetched.filter((u) => !u.startsWith(platform.url) && !/^(data|blob):/.test(u))).toEqual([]);
      await shoot(page, name, { fullPage: false });
      await page.close();
    }
  });

  it('the API guide (docs/api-guide.md) is a page of the site, linked from the home page and the OpenAPI document', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${platform.url}/`);
    await page.locator('a[href="/api-guide"]').first().click();
    await page.waitForURL(`${platform.url}/api-guide`);
    expect(await page.locator('h1').textContent()).toBe('The Connected Cloud API guide');
    const codes = await page.locator('table code').allTextContents();
    for (const code of Object.keys(ProblemCodes)) expect(codes, code).toContain(code);
    const doc = (await platform.api('GET', '/openapi.json')).body;
    expect(doc.info.description).toContain(`${platform.url}/api-guide`);
    await shoot(page, 'api-guide');
    // On a phone its wide tables scroll by themselves, by keyboard too (axe: scrollable-region-focusable).
    await page.setViewportSize({ width: 390, height: 844 });
    await shoot(page, 'api-guide-mobile', { fullPage: false });
    await page.close();
  });

  it('an unknown address in a browser is a page; the same address from an API client is a problem document', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${platform.url}/no-such-page`);
    expect(res?.status()).toBe(404);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);
    await expect(page.locator('h1').textContent()).resolves.toBe('Page not found');
    await shoot(page, 'error-404');
    await page.close();

    const api = await platform.api('GET', '/no-such-page');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const apiRoute = await platform.api('GET', '/api/nothing', undefined, { accept: 'text/html' });
    expect(apiRoute.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('the registration page wears the same shell', async () => {
    const { body } = await platform.api('POST', '/api/developers', {
      name: 'Grace Hopper',
      email: 'grace@example.com',
      application: { name: 'Cobol Shop', solution: 'ecommerce', notificationUrl: 'https://cobol.example.com/events' },
    });
    const page = await browser.newPage();
    expect((await page.goto(body.registrationUrl))?.status()).toBe(200);
    expect(await page.locator('header.site .brand').textContent()).toBe('Connected Cloud');
    await page.locator('altcha-widget').waitFor();
    await shoot(page, 'registration');
    expect((await page.goto(`${platform.url}/register/unknown-token`))?.status()).toBe(404);
    await shoot(page, 'registration-unknown');
    await page.close();
  });
});
