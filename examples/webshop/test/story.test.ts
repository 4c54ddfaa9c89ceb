import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium } from '../../../packages/platform/test/support/browser.js';
import { ConnectedCloud, MemoryKeyStore } from '@connected-cloud/client';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../packages/platform/test/support/platform.js';
import { MailCatcher, credentialsOf } from '../../../packages/platform/test/support/smtp.js';
import { Sealer } from '../src/secrets.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const BINS = {
  platform: root('packages/platform/bin/platform.js'),
  connector: root('packages/connector/bin/connector.js'),
  shop: root('examples/webshop/bin/webshop.js'),
};
const built = [
  'packages/platform/dist/main.js',
  'packages/connector/dist/main.js',
  'examples/webshop/dist/main.js',
].every((p) => fs.existsSync(root(p)));
const ADMIN = 'story-admin-token-0123456789abcdef';
let storyDir = '';
let storyUrls = { platform: '' };
/** The story's programs, as started: their logs go into a failure's message. */
const procs: Array<{ child: ChildProcess; logs: () => string }> = [];

/** A program of the story as its own process; resolves once `url` answers. */
async function start(
  name: keyof typeof BINS,
  env: Record<string, string>,
  url: string,
): Promise<{ child: ChildProcess; logs: () => string }> {
  const child = spawn(BINS[name], [], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  child.stderr.on('data', (d) => (logs += d));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${logs}`);
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return { child, logs: () => logs };
    if (i > 300) throw new Error(`${name} did not start: ${logs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!built || (!haveChromium && !process.env.CI))(
  'the whole story: platform, connector and web shop, consent clicked in Chromium',
  () => {
    let mail: MailCatcher;
    let browser: Browser;
    let urls: { platform: string; connector: string; shop: string };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-story-'));

    beforeAll(async () => {
      mail = await new MailCatcher().start();
      const [p, c, s] = [await freePort(), await freePort(), await freePort()];
      urls = { platform: `http://127.0.0.1:${p}`, connector: `http://127.0.0.1:${c}`, shop: `http://127.0.0.1:${s}` };
      [storyDir, storyUrls] = [dir, urls];
      procs.push(
        await start(
          'platform',
          {
            PORT: String(p),
            DATA_DIR: path.join(dir, 'platform'),
            ADMIN_TOKEN: ADMIN,
            SMTP_URL: mail.url,
            ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
            LOG_LEVEL: 'info',
          },
          `${urls.platform}/ready`,
        ),
      );
      const instance = (await (
        await fetch(`${urls.platform}/api/admin/instances`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: '{"name":"Acme Garden Supplies Ltd","product":"Sage 50"}',
        })
      ).json()) as { instanceKey: string };
      procs.push(
        await start(
          'connector',
          {
            CONNECTOR_INSTANCE_KEY: instance.instanceKey,
            CONNECTOR_PLATFORM_URL: urls.platform,
            CONNECTOR_DATA_DIR: path.join(dir, 'connector'),
            CONNECTOR_PORT: String(c),
            CONNECTOR_INTERVAL: '1',
          },
          urls.connector,
        ),
      );
      procs.push(
        await start(
          'shop',
          { SHOP_PLATFORM_URL: urls.platform, SHOP_DATA_DIR: path.join(dir, 'shop'), SHOP_PORT: String(s) },
          urls.shop,
        ),
      );
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      for (const p of procs.reverse()) {
        p.child.kill('SIGTERM');
        await new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)));
      }
      await mail?.stop();
    });

    it(
      'registers, connects by passcode, mirrors the catalogue, and shows what became of each order and upload',
      { timeout: 240_000 },
      async () => {
        const shop = await browser.newPage();
        // The developer registers the shop, finishing on the platform's page (captcha), and enters the e-mailed IDs.
        await shop.goto(urls.shop);
        await shop.getByLabel('Your name').fill('Ada Lovelace');
        await shop.getByLabel('Your e-mail').fill('ada@garden.example');
        await shop.getByRole('button', { name: 'Register' }).click();
        await shop.locator('#registration-link').click();
        await shop.locator('altcha-widget input[type="checkbox"]').click({ force: true });
        await shop.waitForFunction(
          () => document.querySelector<HTMLInputElement>('input[name="altcha"]')?.value,
          null,
          { timeout: 20_000 },
        );
        await shop.locator('button[type="submit"]').click();
        await shop.getByRole('heading', { name: /Check your e-mail/ }).waitFor();
        const ids = credentialsOf(await mail.waitFor('ada@garden.example'));
        // A wrong Developer ID is a page that says so, not raw JSON.
        await shop.goto(urls.shop);
        await shop.getByLabel('Developer ID').fill('dev_NoSuchDeveloper0000000000');
        await shop.getByLabel('Application ID').fill(ids.applicationId);
        await shop.getByLabel('Webhook signing secret').fill(ids.webhookSecret);
        await shop.getByRole('button', { name: 'Save' }).click();
        expect(await shop.getByRole('heading', { level: 1 }).textContent()).toBe('Those IDs are not known');
        expect(await shop.getByRole('alert').textContent()).toMatch(/Copy both from the e-mail/);
        await shop.getByRole('link', { name: 'Back to the shop' }).click();
        await shop.getByLabel('Developer ID').fill(ids.developerId);
        await shop.getByLabel('Application ID').fill(ids.applicationId);
        await shop.getByLabel('Webhook signing secret').fill(ids.webhookSecret);
        await shop.getByRole('button', { name: 'Save' }).click();
        // The secrets are sealed at rest: the database holds none of them in plain text.
        const shopDb =
          fs.readFileSync(path.join(dir, 'shop', 'shop.db')).toString('latin1') +
          fs.readFileSync(path.join(dir, 'shop', 'shop.db-wal')).toString('latin1');
        expect(shopDb).not.toContain(ids.webhookSecret);

        // The shop shows a passcode; its user types it into the accounting product's connector and grants.
        const connect = async (button: string) => {
          await shop.getByRole('button', { name: button }).click();
          const passcode = (await shop.locator('#passcode').textContent())!;
          expect(passcode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
          const accounting = await browser.newPage();
          await accounting.goto(urls.connector);
          await accounting.getByLabel('Passcode').fill(passcode);
          await accounting.getByRole('button', { name: 'Continue' }).click();
          expect(await accounting.getByRole('heading', { level: 1 }).textContent()).toBe(
            'Allow Garden Shop to connect to Acme Garden Supplies Ltd?',
          );
          await accounting.getByRole('button', { name: 'Grant' }).click();
          await accounting.getByRole('status').waitFor();
          await accounting.close();
        };
        await connect('Connect your accounting');

        // The key came by webhook; the catalogue follows, a full load; the page moves on by itself.
        await shop.locator('#product-count', { hasText: /^200$/ }).waitFor({ timeout: 30_000 });
        await shop.locator('#customer-count', { hasText: /^200$/ }).waitFor({ timeout: 30_000 });
        expect(await shop.locator('#connection').textContent()).toMatch(
          /Connected to Acme Garden Supplies Ltd \(Sage 50\)/,
        );
        // 200 products in pages of 20, searchable; prices as money.
        expect(await shop.locator('#product-table tbody tr').count()).toBe(20);
        expect(await shop.getByRole('navigation', { name: 'products pages' }).textContent()).toMatch(
          /Page 1 of 10 \(200 products\)/,
        );
        await shop.getByRole('navigation', { name: 'products pages' }).getByRole('link', { name: 'Next' }).click();
        expect(await shop.locator('#product-table tbody tr').first().getAttribute('data-product')).toBe('PRD000021');
        await shop.getByLabel('Search customers').fill('CUS000187');
        await shop.getByRole('button', { name: 'Search' }).nth(1).click();
        expect(await shop.locator('#customer-table tbody tr').count()).toBe(1);
        await shop.locator('#customer-table tbody tr').getByRole('link', { name: 'Choose' }).click();
        expect(await shop.locator('#customer-0').inputValue()).toBe('CUS000187'); // customers past the first 50 can be chosen
        for (const p of await shop.locator('#product-table td.price').allTextContents())
          expect(p).toMatch(/^£\d{1,3}(,\d{3})*\.\d{2}$/);

        // Upload A: one order, booked. The page follows it to the end by itself.
        await shop.goto(urls.shop);
        const product = shop
          .locator('#product-table tbody tr')
          .filter({ hasNot: shop.locator('td.stock', { hasText: /^[01]$/ }) })
          .filter({ has: shop.locator('td', { hasText: /^20%$/ }) })
          .first();
        const productId = (await product.getAttribute('data-product'))!;
        const stockBefore = Number(await product.locator('td.stock').textContent());
        await shop.locator('#product-0').selectOption(productId);
        await shop.getByRole('button', { name: 'Place orders' }).click();
        const uploadRows = shop.locator('#uploads tbody tr');
        await uploadRows.filter({ hasText: 'All 1 order booked' }).waitFor({ timeout: 60_000 });
        const uploadA = (await uploadRows.first().getAttribute('data-upload'))!;
        const firstOrder = shop.locator('#orders tbody tr').first();
        expect(await firstOrder.locator('.status').textContent()).toMatch(/^Booked as SO-\d{6}$/);
        const bookedOrderId = (await firstOrder.getAttribute('data-order'))!;

        // Upload B: two orders, one more than is in stock: the summary says 1 of 2, at every layer.
        await shop.locator('#product-0').selectOption(productId);
        await shop.locator('#product-1').selectOption(productId);
        await shop.locator('#quantity-1').fill('100000');
        await shop.getByRole('button', { name: 'Place orders' }).click();
        await uploadRows.filter({ hasText: '1 of 2 orders booked, 1 refused' }).waitFor({ timeout: 60_000 });
        const uploadB = (await uploadRows.first().getAttribute('data-upload'))!;
        const refused = shop.locator('#orders tbody tr[data-state="rejected"]');
        expect(await refused.locator('.status').textContent()).toBe('Refused by the accounting');
        expect(await refused.locator('.outcome').textContent()).toMatch(/^insufficient-stock: 100000 of /);
        const sdk = sdkOfShop();
        expect(await sdk.uploads.tracking(uploadB)).toMatchObject({
          status: 'failed',
          summary: { records: 2, accepted: 1, rejected: 1 },
          errorCount: 1,
          errors: [{ pointer: '/1' }],
        });
        expect(procs[2]!.logs()).toContain(`"fileId":"${uploadB}","summary":{"records":2,"accepted":1,"rejected":1}`); // the event, as the shop got it

        // The books' stock moved; the connector sends the new products file at once, applied as changes.
        await shop
          .locator(`#product-table tr[data-product="${productId}"] td.stock`, {
            hasText: new RegExp(`^${stockBefore - 2}$`),
          })
          .waitFor({ timeout: 30_000 });
        expect(procs[2]!.logs()).toMatch(/"msg":"applied changes"/);

        // The accounting product disables the shop (after confirming): the shop says so, and offers to reconnect.
        const accounting = await browser.newPage();
        await accounting.goto(urls.connector);
        await accounting.getByRole('link', { name: 'Disable Garden Shop' }).click();
        await accounting.getByRole('button', { name: 'Yes, disable Garden Shop' }).click();
        await accounting.getByRole('status').waitFor();
        await accounting.close();
        await shop.getByRole('heading', { name: 'Disconnected', level: 1 }).waitFor({ timeout: 30_000 });
        expect(await shop.locator('#connection').textContent()).toMatch(
          /^Disconnected: Acme Garden Supplies Ltd \(Sage 50\) ended the connection on /,
        );
        const forged = await fetch(`${urls.shop}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'product=x&quantity=1',
        });
        expect([forged.status, forged.headers.get('content-type')]).toEqual([
          403,
          expect.stringMatching(/^text\/html/),
        ]); // no CSRF token: a page, nothing done

        // Reconnected, the shop sends upload A's order again: the books have it, so it is duplicate-order, not booked twice.
        await connect('Reconnect your accounting');
        await shop.locator('#product-count', { hasText: /^200$/ }).waitFor({ timeout: 30_000 });
        await shop
          .locator(`#uploads tr[data-upload="${uploadA}"]`)
          .getByRole('button', { name: 'Send these orders again' })
          .click();
        await uploadRows.filter({ hasText: 'None of 1 order booked: 1 refused' }).waitFor({ timeout: 60_000 });
        const resent = (await uploadRows.first().getAttribute('data-upload'))!;
        const again = shop.locator(`#orders tr[data-order="${bookedOrderId}"]`);
        expect(await again.locator('.status').textContent()).toBe('Already booked before: not booked twice');
        expect(await again.locator('.outcome').textContent()).toMatch(
          /^duplicate-order: order WEB-[\w-]+ was taken in before as SO-\d{6}$/,
        );
        const tracked = await sdkOfShop().uploads.tracking(resent);
        expect(tracked).toMatchObject({
          status: 'failed',
          summary: { records: 1, accepted: 0, rejected: 1 },
          errors: [{ pointer: '/0', message: expect.stringMatching(/duplicate-order/) }],
        });
      },
    );

    it('shows errors as pages', async () => {
      const page = await browser.newPage();
      const missing = await page.goto(`${urls.shop}/no/such/page`);
      expect(missing!.status()).toBe(404);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('No such page');
      await page.close();
    });
  },
);

/** The shop's SDK client, with its API key unsealed from its database (the test reads it as the shop does). */
function sdkOfShop(): ConnectedCloud {
  const dataDir = path.join(storyDir, 'shop');
  const db = new SQLite(path.join(dataDir, 'shop.db'), { readonly: true });
  try {
    const sealed = (db.prepare("select value from settings where key = 'apikey'").get() as { value: string }).value;
    return new ConnectedCloud({
      baseUrl: storyUrls.platform,
      keyStore: new MemoryKeyStore(new Sealer(dataDir).open(sealed)),
    });
  } finally {
    db.close();
  }
}
