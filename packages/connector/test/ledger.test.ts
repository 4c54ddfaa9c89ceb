import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Order, OrderResult } from '@connected-cloud/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger, type Ledger } from '../src/ledger/db.js';
import { formatPounds, lineVat, toPence } from '../src/ledger/money.js';
import { seedLedger } from '../src/ledger/seed.js';
import { applyOrder } from '../src/processing/orders.js';

const at = '2026-11-28T10:00:00.000Z';
const address = {
  id: 'A1',
  address1: '2 Mill Road',
  city: 'York',
  country: 'GB',
  postCode: 'YO1 7HH',
  telephone1: '01904 000000',
  timestamp: at,
};

describe('money in whole pence', () => {
  it('takes amounts of whole pence only, exactly', () => {
    expect([19.99, 0.1, 0.29, 1234567.89, 5, 0].map(toPence)).toEqual([1999, 10, 29, 123456789, 500, 0]);
    expect([12.345, 0.001, Number.NaN, Infinity, 1e21].map(toPence)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(0.1 + 0.2).not.toBe(0.3); // what floating point does to sums…
    expect(toPence(0.1)! + toPence(0.2)!).toBe(toPence(0.3)); // …and integers do not
  });

  it('rounds each line’s VAT once, to the nearest penny, halves up', () => {
    expect(lineVat(1999, 2000)).toBe(400); // 399.8
    expect(lineVat(1, 2000)).toBe(0); // 0.2
    expect(lineVat(250, 2000)).toBe(50);
    expect(lineVat(10, 500)).toBe(1); // 0.5: up
    expect(lineVat(9, 500)).toBe(0); // 0.45
    expect(lineVat(123_456, 0)).toBe(0);
    expect(formatPounds(123456)).toBe('£1,234.56');
  });
});

describe('the ledger’s rules', () => {
  let dir: string;
  let db: Ledger;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-ledger-'));
    db = await openLedger(dir);
    await seedLedger(db, 30);
  });
  afterAll(async () => {
    await db?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const product = async (vat: string) =>
    await db
      .selectFrom('products')
      .selectAll()
      .where('vat_code', '=', vat)
      .where('stock', '>=', 5)
      .orderBy('id')
      .executeTakeFirstOrThrow();
  /** An order of `lines` (product id, quantity, unit pence, rate %), its totals made by the rule. */
  const order = (
    id: string,
    customerId: string,
    lines: Array<[string, number, number, number]>,
    shippingPence = 0,
  ): Order => {
    const made = lines.map(([productId, quantity, unit, tax]) => ({
      productId,
      quantity,
      unitPrice: unit / 100,
      tax,
      net: quantity * unit,
      vat: lineVat(quantity * unit, tax * 100),
    }));
    const net = made.reduce((s, l) => s + l.net, 0);
    const vat = made.reduce((s, l) => s + l.vat, 0);
    return {
      id,
      orderDate: at,
      deliveryAddress: address,
      invoiceAddress: address,
      customer: {
        id: customerId,
        firstName: 'Grace',
        lastName: 'Hopper',
        email: 'grace@example.com',
        addresses: [address],
        timestamp: at,
      },
      discount: 0,
      currencyRate: 1,
      paymentMethod: 'card',
      totalShipping: shippingPence / 100,
      currency: 'GBP',
      lines: made.map(({ net: _n, vat: _v, ...l }) => l),
      totalNet: net / 100,
      totalTax: vat / 100,
      total: (net + vat + shippingPence) / 100,
    };
  };
  const apply = (o: Order, applicationId = 'app_a', integrationId = 'int_1') =>
    db.transaction().execute((tx) => applyOrder(tx, o, { applicationId, integrationId }, at));
  const codes = (r: OrderResult) => (r.outcome === 'rejected' ? r.reasons.map((x) => x.code) : [r.outcome]);

  it('keeps Sage 50’s VAT codes and posts each to the VAT control account at its rate', async () => {
    expect(await db.selectFrom('vat_codes').select(['code', 'rate_bp']).orderBy('code').execute()).toEqual([
      { code: 'T0', rate_bp: 0 },
      { code: 'T1', rate_bp: 2000 },
      { code: 'T2', rate_bp: 0 },
      { code: 'T5', rate_bp: 500 },
      { code: 'T9', rate_bp: 0 },
    ]);
    const [t1, t5, t0, t2] = [await product('T1'), await product('T5'), await product('T0'), await product('T2')];
    const result = await apply(
      order(
        'MIX-1',
        'CUS000001',
        [
          [t1.id, 2, 1999, 20],
          [t5.id, 1, 695, 5],
          [t0.id, 3, 199, 0],
          [t2.id, 1, 500, 0],
        ],
        495,
      ),
    );
    expect(result.outcome).toBe('accepted');
    const doc = (result as { documentNumber: string }).documentNumber;
    const posted = await db
      .selectFrom('journal')
      .select(['account_code', 'debit_pence', 'credit_pence', 'vat_code'])
      .where('reference', '=', doc)
      .orderBy('id')
      .execute();
    // 2 × £19.99 at 20% = £7.996 → £8.00; £6.95 at 5% = £0.3475 → £0.35.
    expect(posted.filter((p) => p.account_code === '2200')).toEqual([
      { account_code: '2200', debit_pence: 0, credit_pence: 800, vat_code: 'T1' },
      { account_code: '2200', debit_pence: 0, credit_pence: 35, vat_code: 'T5' },
    ]);
    expect(posted.find((p) => p.account_code === '1100')!.debit_pence).toBe(3998 + 695 + 597 + 500 + 835 + 495);
    expect(posted.find((p) => p.account_code === '4001')).toMatchObject({ credit_pence: 500, vat_code: 'T2' }); // a service: sales type B
    expect(posted.reduce((s, p) => s + p.debit_pence, 0)).toBe(posted.reduce((s, p) => s + p.credit_pence, 0));

    const wrongRate = await apply(order('MIX-2', 'CUS000001', [[t5.id, 1, 695, 20]]));
    expect(wrongRate).toMatchObject({
      outcome: 'rejected',
      reasons: [
        { code: 'invalid-order', pointer: '/lines/0/tax', message: expect.stringMatching(/T5 \(Reduced rate, 5%\)/) },
      ],
    });
    const roundedAtTheEnd = order('MIX-3', 'CUS000001', [
      [t1.id, 1, 1, 20],
      [t1.id, 1, 1, 20],
      [t1.id, 1, 1, 20],
    ]); // 3 × 0.2p: 0 per line, not 1
    expect(codes(await apply({ ...roundedAtTheEnd, totalTax: 0.01, total: 0.04 }))).toEqual([
      'totals-mismatch',
      'totals-mismatch',
    ]);
    expect(codes(await apply(roundedAtTheEnd))).toEqual(['accepted']);
    expect(
      codes(
        await apply({
          ...order('MIX-4', 'CUS000001', [[t1.id, 1, 1000, 20]]),
          lines: [{ productId: t1.id, quantity: 1, unitPrice: 10.005, tax: 20 }],
        }),
      ),
    ).toEqual(['invalid-order']);
  });

  it('refuses an order that would take a customer past their credit limit, saying by how much', async () => {
    const customer = await db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', 'CUS000002')
      .executeTakeFirstOrThrow();
    const t0 = await product('T0'); // zero-rated: the total is the net
    const unit = 100_000;
    const quantity = Math.ceil((customer.credit_limit_pence + 1) / unit);
    await db.updateTable('products').set({ stock: 1_000 }).where('id', '=', t0.id).execute();
    const over = await apply(order('BIG-1', 'CUS000002', [[t0.id, quantity, unit, 0]]));
    expect(over).toMatchObject({ outcome: 'rejected', reasons: [{ code: 'credit-limit', pointer: '/customer/id' }] });
    expect((over as { reasons: Array<{ message: string }> }).reasons[0]!.message).toBe(
      `CUS000002 owes £0.00; this order's ${formatPounds(quantity * unit)} would pass the credit limit of ${formatPounds(customer.credit_limit_pence)}`,
    );
    const within = await apply(order('BIG-2', 'CUS000002', [[t0.id, 1, unit, 0]]));
    expect(within.outcome).toBe('accepted');
    const rest = customer.credit_limit_pence - unit;
    expect(codes(await apply(order('BIG-3', 'CUS000002', [[t0.id, 1, rest + 1, 0]])))).toEqual(['credit-limit']);
    expect(codes(await apply(order('BIG-4', 'CUS000002', [[t0.id, 1, rest, 0]])))).toEqual(['accepted']); // exactly at the limit
  });

  it('books an order id once per application, whichever of its integrations sends it', async () => {
    const t1 = await product('T1');
    const o = order('ONCE-1', 'CUS000003', [[t1.id, 1, 500, 20]]);
    expect((await apply(o, 'app_a', 'int_1')).outcome).toBe('accepted');
    const again = await apply(o, 'app_a', 'int_2'); // the same application after a re-consent
    expect(again).toMatchObject({
      outcome: 'rejected',
      reasons: [
        { code: 'duplicate-order', message: expect.stringMatching(/^order ONCE-1 was taken in before as SO-\d{6}$/) },
      ],
    });
    expect((await apply(o, 'app_b', 'int_3')).outcome).toBe('accepted'); // another application's own order number
  });

  it('refuses a ledger of the earlier, floating-point version rather than guess its amounts', async () => {
    const old = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-ledger-v1-'));
    try {
      const SQLite = (await import('better-sqlite3')).default;
      const raw = new SQLite(path.join(old, 'ledger.db'));
      raw.pragma('user_version = 1');
      raw.close();
      await expect(openLedger(old)).rejects.toThrow(/earlier version \(1\); move it aside/);
    } finally {
      fs.rmSync(old, { recursive: true, force: true });
    }
  });
});
