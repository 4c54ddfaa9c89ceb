import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium } from '../../platform/test/support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consentWith,
  newPasscode,
  pollApiKey,
  provisionInstance,
  withKey,
} from '../../platform/test/support/consent.js';
import { registerApplication, type RegisteredApplication } from '../../platform/test/support/onboarding.js';
import { freePort, startTestPlatform, type TestPlatform } from '../../platform/test/support/platform.js';
import { Receiver, verify } from '../../platform/test/support/receiver.js';
import { MailCatcher } from '../../platform/test/support/smtp.js';
import { built, readLedger, runConnector, type ConnectorProcess } from './support/connector.js';

/** The page tests need Chromium (CI has it: there, its absence fails them); the others run without it. */
const withBrowser = haveChromium || Boolean(process.env.CI);
const SECRET = 'correct horse battery staple';
const at = '2026-11-28T10:00:00.000Z';

/** An order as a web shop would send it, its totals made from its lines unless `totals` says otherwise. */
function order(id: string, customerId: string, lines: Array<[string, number]>, totals: { total?: number } = {}) {
  const address = {
    id: `${customerId}-A1`,
    address1: '2 Mill Road',
    city: 'York',
    country: 'GB',
    postCode: 'YO1 7HH',
    telephone1: '01904 000000',
    timestamp: at,
  };
  const orderLines = lines.map(([productId, quantity]) => ({ productId, quantity, unitPrice: 10, tax: 20 }));
  const totalNet = orderLines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
  const totalTax = Math.round(totalNet * 20) / 100;
  return {
    id,
    orderDate: at,
    deliveryAddress: address,
    invoiceAddress: address,
    customer: {
      id: customerId,
      firstName: 'Grace',
      lastName: 'Hopper',
      email: `${customerId.toLowerCase()}@example.com`,
      addresses: [address],
      timestamp: at,
    },
    discount: 0,
    currencyRate: 1,
    paymentMethod: 'card',
    totalShipping: 4.95,
    currency: 'GBP',
    lines: orderLines,
    totalNet,
    totalTax,
    total: totals.total ?? Math.round((totalNet + totalTax + 4.95) * 100) / 100,
  };
}

describe.skipIf(!built)('the reference connector against a running platform', () => {
  let mail: MailCatcher;
  let platform: TestPlatform;
  let platformPort: number;
  let platformDir: string;
  let receiver: Receiver;
  let app: RegisteredApplication;
  let browser: Browser;
  let connector: ConnectorProcess;
  let connectorEnv: Record<string, string>;
  let dataDir: string;
  let apikey: string;
  let instanceKey: string;
  const events = (type: string) =>
    receiver.delivered
      .filter((d) => d.path === '/hook')
      .map((d) => verify(app.webhookSecret, d))
      .filter((e) => e.type === type);
  const asApp = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
    platform.api(method, p, body, { ...withKey(apikey), ...headers });
  const startPlatform = () =>
    startTestPlatform({
      store: { kind: 'sqlite', databaseUrl: undefined },
      dataDir: platformDir,
      env: { PORT: String(platformPort), SMTP_URL: mail.url, ALLOW_INSECURE_NOTIFICATION_URLS: 'true' },
    });
  const ledger = <T>(query: string, ...params: unknown[]): T[] => {
    const db = readLedger(dataDir);
    try {
      return db.prepare(query).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const completed = (fileId: string) =>
    receiver.waitFor(() => events('upload.completed').some((e) => e.data.fileId === fileId), 60_000);

  beforeAll(async () => {
    mail = await new MailCatcher().start();
    platformPort = await freePort();
    platformDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-connector-platform-'));
    platform = await startPlatform();
    receiver = await new Receiver().start();
    app = await registerApplication(platform.url, mail, { notificationUrl: receiver.url() });
    ({ instanceKey } = await provisionInstance(platform, 'Acme Garden Supplies Ltd'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-connector-'));
    connectorEnv = {
      CONNECTOR_PLATFORM_URL: platform.url,
      CONNECTOR_INSTANCE_KEY: instanceKey,
      CONNECTOR_DATA_DIR: dataDir,
      CONNECTOR_PORT: String(await freePort()),
      CONNECTOR_INTERVAL: '1',
    };
    connector = await runConnector(connectorEnv);
    if (!withBrowser) return;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    connector?.child.kill('SIGTERM');
    await connector?.exited;
    await platform?.stop();
    await receiver?.stop();
    await mail?.stop();
  });

  /** Without Chromium the grant the page test makes is made through the API, as the connector's page makes it. */
  const integrated = async () => {
    if (apikey) return;
    const pc = await newPasscode(platform, app, SECRET);
    await consentWith(platform, instanceKey, pc.passcode);
    await receiver.waitFor(() => events('apikey.issued').length === 1);
    apikey = events('apikey.issued')[0]!.data.apikey as string;
  };

  it.skipIf(!withBrowser)(
    'enables an integration through its page in Chromium: passcode, the challenge, Grant',
    async () => {
      const pc = await newPasscode(platform, app, SECRET);
      const page = await browser.newPage();
      await page.goto(connector.url);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('External integrations');
      await page.getByLabel('Passcode').fill('ZZZZ-ZZZZ');
      await page.getByRole('button', { name: 'Continue' }).click();
      expect(await page.getByRole('alert').textContent()).toMatch(/wrong, used or expired/);

      await page.getByLabel('Passcode').fill(pc.passcode.toLowerCase().replace('-', ' ')); // as a person might type it
      await page.getByRole('button', { name: 'Continue' }).click();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
        'Allow Test App to connect to Acme Garden Supplies Ltd?',
      );
      expect(await page.getByRole('listitem').allTextContents()).toEqual(['customers', 'products', 'orders']);
      await page.getByRole('button', { name: 'Grant' }).click();
      expect(await page.getByRole('status').textContent()).toMatch(/Granted/);
      expect(await page.getByRole('row').nth(1).textContent()).toMatch(/Test App.*ecommerce.*active/s);
      await page.close();

      await receiver.waitFor(() => events('apikey.issued').length === 1);
      apikey = events('apikey.issued')[0]!.data.apikey as string;
    },
  );

  it('delivers products and customers at once, valid, and does not send an unchanged scope again', async () => {
    await integrated();
    await receiver.waitFor(() => events('file.available').length === 2);
    const files = (await asApp('GET', '/api/files')).body as Array<{ fileId: string; scope: string; records: number }>;
    expect(files.map((f) => [f.scope, f.records])).toEqual([
      ['customers', 200],
      ['products', 200],
    ]);
    const products = (await asApp('GET', '/api/scopes/products/content')).body as Array<Record<string, unknown>>;
    const [row] = ledger<{ id: string; name: string; net_price_pence: number; stock: number }>(
      'select id, name, net_price_pence, stock from products order by id limit 1',
    );
    expect(products[0]).toMatchObject({
      id: row!.id,
      name: row!.name,
      netPrice: row!.net_price_pence / 100,
      stockQuantity: row!.stock,
      tax: 20,
    });
    expect(products.find((p) => p.id === 'PRD000013')).toMatchObject({ name: expect.stringMatching(/logs/), tax: 5 }); // T5, reduced rate
    const customers = (await asApp('GET', '/api/scopes/customers/content')).body as Array<{ addresses: unknown[] }>;
    expect(customers.every((c) => c.addresses.length >= 1)).toBe(true);

    // The schedule runs every second here: three more runs, and nothing new is sent.
    await new Promise((r) => setTimeout(r, 3500));
    expect(events('file.available')).toHaveLength(2);
    expect(((await asApp('GET', '/api/files')).body as Array<{ fileId: string }>).map((f) => f.fileId)).toEqual(
      files.map((f) => f.fileId),
    );
  });

  it('processes the README’s example orders as the README says', async () => {
    const body = fs.readFileSync(new URL('../examples/orders.json', import.meta.url), 'utf8');
    const id = (await asApp('POST', '/api/uploads?type=orders', body, { 'content-type': 'application/json' })).body
      .fileId;
    await completed(id);
    const results = (await asApp('GET', `/api/uploads/${id}/result`)).body as Array<{
      id: string;
      outcome: string;
      documentNumber?: string;
      reasons?: Array<{ code: string }>;
    }>;
    expect(results.map((r) => [r.id, r.documentNumber ?? r.reasons!.map((x) => x.code).join()])).toEqual([
      ['SHOP-1001', 'SO-000001'],
      ['SHOP-1002', 'SO-000002'],
      ['SHOP-1003', 'unknown-product'],
      ['SHOP-1004', 'insufficient-stock'],
    ]);
  });

  it('processes an orders upload: accepted and rejected orders, a correct result file, stock taken from the ledger', async () => {
    const stock = (id: string) => ledger<{ stock: number }>('select stock from products where id = ?', id)[0]!.stock;
    const inStock = ledger<{ id: string; stock: number }>(
      'select id, stock from products where stock >= 3 order by id limit 2',
    );
    const [a, b] = [inStock[0]!, inStock[1]!];
    const orders = [
      order('WEB-1', 'CUS000001', [
        [a.id, 1],
        [b.id, 2],
      ]),
      order('WEB-2', 'CUS000002', [['NO-SUCH-PRODUCT', 1]]),
      order('WEB-3', 'CUS000003', [[a.id, 100_000]]),
      order('WEB-4', 'CUS000004', [[b.id, 1]], { total: 1 }),
      order('WEB-5', 'SHOP-CUSTOMER-9', [[a.id, 1]]),
    ];
    const created = await asApp('POST', '/api/uploads?type=orders', JSON.stringify(orders), {
      'content-type': 'application/json',
    });
    expect(created.status).toBe(202);
    const id = created.body.fileId;
    await completed(id);
    const tracking = (await asApp('GET', `/api/uploads/${id}/tracking`)).body;
    expect(tracking).toMatchObject({
      status: 'failed',
      progress: 100,
      summary: { records: 5, accepted: 2, rejected: 3 },
      errorCount: 3,
    });
    expect(tracking.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/1', '/2', '/3']);
    const results = (await asApp('GET', `/api/uploads/${id}/result`)).body as Array<{
      id: string;
      outcome: string;
      documentNumber?: string;
      reasons?: Array<{ code: string }>;
    }>;
    expect(results.map((r) => [r.id, r.outcome, r.documentNumber ?? r.reasons!.map((x) => x.code).join()])).toEqual([
      ['WEB-1', 'accepted', 'SO-000003'],
      ['WEB-2', 'rejected', 'unknown-product'],
      ['WEB-3', 'rejected', 'insufficient-stock'],
      ['WEB-4', 'rejected', 'totals-mismatch'],
      ['WEB-5', 'accepted', 'SO-000004'],
    ]);
    expect([stock(a.id), stock(b.id)]).toEqual([a.stock - 2, b.stock - 2]);
    expect(ledger('select id, first_name from customers where id = ?', 'SHOP-CUSTOMER-9')).toEqual([
      { id: 'SHOP-CUSTOMER-9', first_name: 'Grace' },
    ]);
    const journal = ledger<{ debit: number; credit: number }>(
      'select sum(debit_pence) as debit, sum(credit_pence) as credit from journal',
    )[0]!;
    expect(journal.debit).toBe(journal.credit); // the books balance, to the penny

    // Stock changed and a customer was added: a following run sends new products and customers files.
    const stockDelivered = async () =>
      ((await asApp('GET', '/api/scopes/products/content')).body as Array<{ id: string; stockQuantity: number }>).find(
        (p) => p.id === a.id,
      )!.stockQuantity;
    for (let i = 0; i < 100 && (await stockDelivered()) !== a.stock - 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await stockDelivered()).toBe(a.stock - 2);
    await receiver.waitFor(() => events('file.available').filter((e) => e.data.scope === 'customers').length >= 2);
  });

  it('books no order twice after a re-consent: the page warns, and the same orders come back duplicate-order', async () => {
    const accepted = (await asApp('GET', '/api/uploads?status=failed')).body.concat(
      (await asApp('GET', '/api/uploads?status=accepted')).body,
    ) as Array<{ fileId: string }>;
    const booked: Array<{ id: string; documentNumber: string }> = [];
    for (const u of accepted)
      booked.push(
        ...(
          (await asApp('GET', `/api/uploads/${u.fileId}/result`)).body as Array<{
            id: string;
            outcome: string;
            documentNumber: string;
          }>
        ).filter((r) => r.outcome === 'accepted'),
      );
    expect(booked.map((b) => b.id).sort()).toEqual(['SHOP-1001', 'SHOP-1002', 'WEB-1', 'WEB-5']);
    const sent = [
      ...JSON.parse(fs.readFileSync(new URL('../examples/orders.json', import.meta.url), 'utf8')).filter(
        (o: { id: string }) => booked.some((b) => b.id === o.id),
      ),
      ...booked
        .filter((b) => b.id.startsWith('WEB-'))
        .map((b) =>
          order(b.id, 'CUS000001', [[ledger<{ id: string }>('select id from products order by id limit 1')[0]!.id, 1]]),
        ),
    ];

    const [current] = (
      (
        await platform.api('GET', '/api/connector/integrations', undefined, {
          'x-instance-key': connectorEnv.CONNECTOR_INSTANCE_KEY!,
        })
      ).body as Array<{ integrationId: string; status: string; createdAt: string }>
    ).filter((i) => i.status === 'active');
    const pc = await newPasscode(platform, app, SECRET);
    const page = await browser.newPage();
    await page.goto(connector.url);
    await page.getByLabel('Passcode').fill(pc.passcode);
    await page.getByRole('button', { name: 'Continue' }).click();
    const warning = await page.getByRole('note').textContent();
    expect(warning).toContain('This replaces the current connection');
    expect(warning).toContain(`since ${current!.createdAt.slice(0, 10)} at ${current!.createdAt.slice(11, 16)} UTC`);
    await page.getByRole('button', { name: 'Grant' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/Granted/);
    await page.close();
    await receiver.waitFor(() => events('apikey.issued').length === 2);
    await receiver.waitFor(() =>
      events('integration.revoked').some((e) => e.data.integrationId === current!.integrationId),
    );
    expect((await asApp('GET', '/api/files')).body.code).toBe('api-key-revoked');
    apikey = events('apikey.issued')[1]!.data.apikey as string;

    const id = (
      await asApp('POST', '/api/uploads?type=orders', JSON.stringify(sent), { 'content-type': 'application/json' })
    ).body.fileId;
    await completed(id);
    const results = (await asApp('GET', `/api/uploads/${id}/result`)).body as Array<{
      id: string;
      outcome: string;
      reasons?: Array<{ code: string; message: string }>;
    }>;
    expect(results.map((r) => [r.id, r.outcome, r.reasons?.map((x) => x.code).join()])).toEqual(
      sent.map((o) => [o.id, 'rejected', 'duplicate-order']),
    );
    for (const r of results)
      expect(r.reasons![0]!.message).toBe(
        `order ${r.id} was taken in before as ${booked.find((b) => b.id === r.id)!.documentNumber}`,
      );
    expect((await asApp('GET', `/api/uploads/${id}/tracking`)).body).toMatchObject({
      status: 'failed',
      summary: { records: 4, accepted: 0, rejected: 4 },
      errorCount: 4,
    });
    const counted = ledger<{ n: number }>(
      "select count(*) as n from sales_orders where external_id in ('SHOP-1001', 'SHOP-1002', 'WEB-1', 'WEB-5')",
    )[0]!.n;
    expect(counted).toBe(4);
  });

  it(
    'applies no order twice when it is killed in the middle of an upload and started again',
    { timeout: 90_000 },
    async () => {
      const products = ledger<{ id: string }>('select id from products order by id').map((p) => p.id);
      const count = 3000;
      const orders = Array.from({ length: count }, (_, i) =>
        order(`BULK-${i}`, `CUS${String(1 + (i % 200)).padStart(6, '0')}`, [[products[i % products.length]!, 1]]),
      );
      const stockBefore = ledger<{ s: number }>('select sum(stock) as s from products')[0]!.s;
      const id = (
        await asApp('POST', '/api/uploads?type=orders', JSON.stringify(orders), { 'content-type': 'application/json' })
      ).body.fileId;
      const applied = () =>
        ledger<{ n: number }>('select count(*) as n from applied_orders where upload_id = ?', id)[0]!.n;
      for (let i = 0; i < 3000 && applied() < 50; i++) await new Promise((r) => setTimeout(r, 10));
      connector.child.kill('SIGKILL');
      await connector.exited;
      expect(applied()).toBeGreaterThanOrEqual(50);
      expect(applied()).toBeLessThan(count); // killed part way

      connector = await runConnector(connectorEnv);
      await completed(id);
      const results = (await asApp('GET', `/api/uploads/${id}/result`)).body as Array<{
        id: string;
        outcome: string;
        reasons?: Array<{ code: string }>;
      }>;
      expect(results.map((r) => r.id)).toEqual(orders.map((o) => o.id));
      expect(results.some((r) => r.reasons?.some((x) => x.code === 'duplicate-order'))).toBe(false);
      const accepted = results.filter((r) => r.outcome === 'accepted').length;
      expect(accepted).toBeGreaterThan(0);
      const booked = ledger<{ n: number }>("select count(*) as n from sales_orders where external_id like 'BULK-%'")[0]!
        .n;
      expect(booked).toBe(accepted);
      expect(ledger<{ s: number }>('select sum(stock) as s from products')[0]!.s).toBe(stockBefore - accepted); // one unit each
    },
  );

  it('carries on by itself after the platform was down for a while', { timeout: 90_000 }, async () => {
    await platform.stop();
    await new Promise((r) => setTimeout(r, 3000)); // the connector's calls fail and are retried meanwhile
    platform = await startPlatform();
    const [p] = ledger<{ id: string }>('select id from products where stock >= 1 order by id limit 1');
    const id = (
      await asApp('POST', '/api/uploads?type=orders', JSON.stringify([order('AFTER-1', 'CUS000010', [[p!.id, 1]])]), {
        'content-type': 'application/json',
      })
    ).body.fileId;
    await completed(id);
    expect((await asApp('GET', `/api/uploads/${id}/tracking`)).body.status).toBe('accepted');
    expect(connector.logs()).toMatch(/platform not reachable; trying again/);
    expect(connector.logs()).not.toContain(connectorEnv.CONNECTOR_INSTANCE_KEY);
  });

  it('delivers the trial balance solution too, from the same books, balanced', async () => {
    const ledgerApp = await registerApplication(platform.url, mail, {
      notificationUrl: receiver.url('/ledger'),
      solution: 'comp-nominalv1',
    });
    const pc = await newPasscode(platform, ledgerApp, SECRET);
    const { integrationId } = await consentWith(platform, connectorEnv.CONNECTOR_INSTANCE_KEY!, pc.passcode);
    const key = (await pollApiKey(platform, ledgerApp, pc.passcodeId, SECRET)).body.apikey as string;
    let files: Array<{ scope: string; records: number }> = [];
    for (let i = 0; i < 100 && files.length < 3; i++) {
      files = (await platform.api('GET', '/api/files', undefined, withKey(key))).body;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(files.map((f) => f.scope)).toEqual(['company-settings', 'nominal-accounts', 'trial-balance']);
    const lines = (await platform.api('GET', '/api/scopes/trial-balance/content', undefined, withKey(key)))
      .body as Array<{ accountCode: string; debit: number; credit: number }>;
    const sum = (k: 'debit' | 'credit') => lines.reduce((s, l) => s + Math.round(l[k] * 100), 0);
    expect(sum('debit')).toBe(sum('credit'));
    const journal = ledger<{ debit: number }>('select sum(debit_pence) as debit from journal')[0]!;
    expect(sum('debit')).toBe(journal.debit); // derived from the journal
    expect(lines.find((l) => l.accountCode === '4000')!.credit).toBeGreaterThan(0); // the sales taken in above
    expect(integrationId).toMatch(/^int_/);
  });

  it.skipIf(!withBrowser)('lets its user deny a request and disable an integration, in Chromium', async () => {
    const page = await browser.newPage();
    const pc = await newPasscode(platform, app, SECRET);
    await page.goto(connector.url);
    await page.getByLabel('Passcode').fill(pc.passcode);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/Denied/);
    await receiver.waitFor(() => events('consent.denied').some((e) => e.data.passcodeId === pc.passcodeId));

    // The trial balance application is a Test App too, and the re-consent left a revoked row.
    const shopRow = () => page.getByRole('row').filter({ hasText: 'ecommerce' }).filter({ hasText: 'active' });
    await shopRow().getByRole('link', { name: 'Disable Test App' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Disable Test App?'); // asked first
    await page.getByRole('link', { name: 'No, keep it connected' }).click();
    expect(await shopRow().textContent()).toMatch(/active/);
    await shopRow().getByRole('link', { name: 'Disable Test App' }).click();
    await page.getByRole('button', { name: 'Yes, disable Test App' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/Disabled/);
    expect(await shopRow().count()).toBe(0);
    await receiver.waitFor(() => events('integration.revoked').length === 2); // the re-consent's, and this one
    expect((await asApp('GET', '/api/files')).body.code).toBe('api-key-revoked');
    await page.close();
  });
});
