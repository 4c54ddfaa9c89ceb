import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../packages/platform/test/support/platform.js';
import { MailCatcher, credentialsOf } from '../../../packages/platform/test/support/smtp.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const BINS = { platform: root('packages/platform/bin/platform.js'), connector: root('packages/connector/bin/connector.js'), shop: root('examples/webshop/bin/webshop.js') };
const built = ['packages/platform/dist/main.js', 'packages/connector/dist/main.js', 'examples/webshop/dist/main.js'].every((p) => fs.existsSync(root(p)));
const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'story-admin-token-0123456789abcdef';
/** The story's programs, as started: their logs go into a failure's message. */
const procs: Array<{ child: ChildProcess; logs: () => string }> = [];

/** A program of the story as its own process; resolves once `url` answers. */
async function start(name: keyof typeof BINS, env: Record<string, string>, url: string): Promise<{ child: ChildProcess; logs: () => string }> {
  const child = spawn(BINS[name], [], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${logs}`);
    if (await fetch(url).then((r) => r.status < 500, () => false)) return { child, logs: () => logs };
    if (i > 300) throw new Error(`${name} did not start: ${logs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The text of what `selector` finds on the page as it is now, or null (no waiting for it to appear). */
async function textNow(page: Page, selector: string): Promise<string | null> {
  const found = page.locator(selector);
  return (await found.count()) > 0 ? found.first().textContent() : null;
}

/** Opens `url` again until `check` holds (what the shop shows comes from webhooks, a moment later). */
async function until(page: Page, url: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms: ${await page.locator('main').textContent()}\n${procs.map((p) => p.logs().slice(-4000)).join('\n---\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!built || (!fs.existsSync(CHROMIUM) && !process.env.CI))('the whole story: platform, connector and web shop, consent clicked in Chromium', () => {
  let mail: MailCatcher;
  let browser: Browser;
  let urls: { platform: string; connector: string; shop: string };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-story-'));

  beforeAll(async () => {
    mail = await new MailCatcher().start();
    const [p, c, s] = [await freePort(), await freePort(), await freePort()];
    urls = { platform: `http://127.0.0.1:${p}`, connector: `http://127.0.0.1:${c}`, shop: `http://127.0.0.1:${s}` };
    procs.push(await start('platform', { PORT: String(p), DATA_DIR: path.join(dir, 'platform'), ADMIN_TOKEN: ADMIN, SMTP_URL: mail.url, ALLOW_INSECURE_NOTIFICATION_URLS: 'true', LOG_LEVEL: 'info' }, `${urls.platform}/ready`));
    const instance = (await (await fetch(`${urls.platform}/api/admin/instances`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{"name":"Acme Garden Supplies Ltd","product":"Sage 50"}' })).json()) as { instanceKey: string };
    procs.push(await start('connector', { CONNECTOR_INSTANCE_KEY: instance.instanceKey, CONNECTOR_PLATFORM_URL: urls.platform, CONNECTOR_DATA_DIR: path.join(dir, 'connector'), CONNECTOR_PORT: String(c), CONNECTOR_INTERVAL: '1' }, urls.connector));
    procs.push(await start('shop', { SHOP_PLATFORM_URL: urls.platform, SHOP_DATA_DIR: path.join(dir, 'shop'), SHOP_PORT: String(s) }, urls.shop));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    for (const p of procs.reverse()) {
      p.child.kill('SIGTERM');
      await new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)));
    }
    await mail?.stop();
  });

  it('registers, connects by passcode, mirrors the catalogue, and shows what became of each order', { timeout: 120_000 }, async () => {
    const shop = await browser.newPage();
    // The developer registers the shop, finishing on the platform's page (captcha), and enters the e-mailed IDs.
    await shop.goto(urls.shop);
    await shop.getByLabel('Your name').fill('Ada Lovelace');
    await shop.getByLabel('Your e-mail').fill('ada@garden.example');
    await shop.getByRole('button', { name: 'Register' }).click();
    await shop.locator('#registration-link').click();
    await shop.locator('altcha-widget input[type="checkbox"]').click({ force: true });
    await shop.waitForFunction(() => (document.querySelector('input[name="altcha"]') as HTMLInputElement | null)?.value, null, { timeout: 20_000 });
    await shop.locator('button[type="submit"]').click();
    await shop.getByRole('heading', { name: /Check your e-mail/ }).waitFor();
    const ids = credentialsOf(await mail.waitFor('ada@garden.example'));
    await shop.goto(urls.shop);
    await shop.getByLabel('Developer ID').fill(ids.developerId);
    await shop.getByLabel('Application ID').fill(ids.applicationId);
    await shop.getByLabel('Webhook signing secret').fill(ids.webhookSecret);
    await shop.getByRole('button', { name: 'Save' }).click();

    // The shop shows a passcode; its user types it into the accounting product's connector and grants.
    await shop.getByRole('button', { name: 'Connect your accounting' }).click();
    const passcode = (await shop.locator('#passcode').textContent())!;
    expect(passcode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const accounting = await browser.newPage();
    await accounting.goto(urls.connector);
    await accounting.getByLabel('Passcode').fill(passcode);
    await accounting.getByRole('button', { name: 'Continue' }).click();
    expect(await accounting.getByRole('heading', { level: 1 }).textContent()).toBe('Allow Garden Shop to connect to Acme Garden Supplies Ltd?');
    await accounting.getByRole('button', { name: 'Grant' }).click();
    await accounting.getByRole('status').waitFor();

    // The key came by webhook; the catalogue follows, a full load.
    await until(shop, urls.shop, async () => (await textNow(shop, '#product-count')) === '200' && (await textNow(shop, '#customer-count')) === '200');
    expect(await shop.locator('main').textContent()).toMatch(/Connected to Acme Garden Supplies Ltd \(Sage 50\)/);

    // One order that the books take, and one they cannot (more than is in stock).
    const product = await shop.locator('#products tbody tr').filter({ hasNot: shop.locator('td.stock', { hasText: /^0$/ }) }).first();
    const productId = (await product.getAttribute('data-product'))!;
    const stockBefore = Number(await product.locator('td.stock').textContent());
    await shop.getByLabel('Product').selectOption(productId);
    await shop.getByLabel('Quantity').fill('1');
    await shop.getByRole('button', { name: 'Place order' }).click();
    await shop.getByLabel('Product').selectOption(productId);
    await shop.getByLabel('Quantity').fill('100000');
    await shop.getByRole('button', { name: 'Place order' }).click();
    const outcomes = async () => (await shop.locator('#orders tbody tr').evaluateAll((rows) => rows.map((r) => `${r.querySelector('.status')?.textContent}|${r.querySelector('.outcome')?.textContent}`))).sort();
    await until(shop, urls.shop, async () => (await outcomes()).every((o) => /^(accepted|rejected)\|/.test(o)) && (await outcomes()).length === 2);
    const [accepted, rejected] = await outcomes();
    expect(accepted).toMatch(/^accepted\|SO-\d{6}$/);
    expect(rejected).toMatch(/^rejected\|insufficient-stock: /);

    // The books' stock moved; the connector sends the new products file, which the shop applies as changes.
    await until(shop, urls.shop, async () => Number(await textNow(shop, `#products tr[data-product="${productId}"] td.stock`)) === stockBefore - 1);
    expect(procs[2]!.logs()).toMatch(/"msg":"applied changes"/);
  });
});
