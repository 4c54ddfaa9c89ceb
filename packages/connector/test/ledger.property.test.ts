import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Order, TrialBalanceLine } from '@connected-cloud/contract';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { SNAPSHOTS } from '../src/delivery/snapshots.js';
import { openLedger, type Ledger } from '../src/ledger/db.js';
import { toPence } from '../src/ledger/money.js';
import { seedLedger } from '../src/ledger/seed.js';
import { applyOrder } from '../src/processing/orders.js';

const SIZE = 15; // products PRD000001… and customers CUS000001…
const at = '2026-11-28T10:00:00.000Z';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function freshLedger(): Promise<Ledger> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-ledger-prop-'));
  dirs.push(dir);
  const db = await openLedger(dir);
  await seedLedger(db, SIZE);
  return db;
}

const pad = (i: number) => String(i).padStart(6, '0');
const address = {
  id: 'A1',
  address1: '2 Mill Road',
  city: 'York',
  country: 'GB',
  postCode: 'YO1 7HH',
  telephone1: '01904 000000',
  timestamp: at,
};

/** An order line as a shop makes it, in pence, at a rate that is usually the product's (a few are wrong on purpose). */
const lineArb = fc.record({
  product: fc.integer({ min: 1, max: SIZE + 1 }), // SIZE + 1: no such product
  quantity: fc.integer({ min: 1, max: 6 }),
  unitPence: fc.integer({ min: 1, max: 250_000 }),
  discountPence: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 })),
  rate: fc.oneof(
    { weight: 9, arbitrary: fc.constant('product' as const) },
    { weight: 1, arbitrary: fc.constantFrom(0, 5, 20) },
  ),
});
const orderArb = fc.record({
  customer: fc.oneof(
    fc.integer({ min: 1, max: SIZE }).map((i) => `CUS${pad(i)}`),
    fc.constantFrom('WEB-NEW-1', 'WEB-NEW-2'),
  ),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 4 }),
  shippingPence: fc.integer({ min: 0, max: 2_000 }),
  discountPence: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_000 })),
  id: fc.integer({ min: 1, max: 25 }), // repeats: duplicates
  tamper: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) }), // a penny off
});

/** The order the shop would send: totals made by the stated rule (each line's VAT rounded half up, then summed). */
type Generated = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;
function orderOf(o: Generated, rates: Map<string, number>): Order {
  const lines = o.lines.map((l) => {
    const productId = `PRD${pad(l.product)}`;
    const tax = l.rate === 'product' ? (rates.get(productId) ?? 20) : l.rate;
    const net = l.quantity * l.unitPence - Math.min(l.discountPence, l.quantity * l.unitPence);
    return {
      productId,
      quantity: l.quantity,
      unitPrice: l.unitPence / 100,
      discount: Math.min(l.discountPence, l.quantity * l.unitPence) / 100,
      tax,
      net,
      vat: Math.round((net * tax) / 100),
    };
  });
  const net = lines.reduce((s, l) => s + l.net, 0);
  const vat = lines.reduce((s, l) => s + l.vat, 0);
  return {
    id: `WEB-${o.id}`,
    orderDate: at,
    deliveryAddress: address,
    invoiceAddress: address,
    customer: {
      id: o.customer,
      firstName: 'Grace',
      lastName: 'Hopper',
      email: 'grace@example.com',
      addresses: [address],
      timestamp: at,
    },
    discount: o.discountPence / 100,
    currencyRate: 1,
    paymentMethod: 'card',
    totalShipping: o.shippingPence / 100,
    currency: 'GBP',
    lines: lines.map(({ net: _n, vat: _v, ...l }) => l),
    totalNet: net / 100,
    totalTax: vat / 100,
    total: (net + vat + o.shippingPence - o.discountPence + o.tamper) / 100,
  };
}

async function sums(db: Ledger) {
  const rows = await db
    .selectFrom('journal')
    .select(['account_code', sql<number>`sum(debit_pence)`.as('debit'), sql<number>`sum(credit_pence)`.as('credit')])
    .groupBy('account_code')
    .execute();
  return new Map(rows.map((r) => [r.account_code, { debit: r.debit, credit: r.credit }]));
}

describe('the ledger, in whole pence', () => {
  it('balances to the penny after any sequence of orders, and the trial balance file is the journal’s sums', async () => {
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(orderArb, { minLength: 1, maxLength: 12 }), async (generated) => {
        const db = await freshLedger();
        try {
          const rates = new Map(
            (
              await db
                .selectFrom('products as p')
                .innerJoin('vat_codes as v', 'v.code', 'p.vat_code')
                .select(['p.id', 'v.rate_bp'])
                .execute()
            ).map((r) => [r.id, r.rate_bp / 100]),
          );
          const stockBefore = await db.selectFrom('products').select(['id', 'stock']).execute();
          const source = { applicationId: 'app_shop', integrationId: 'int_1' };
          for (const o of generated) {
            const order = orderOf(o, rates);
            const result = await db.transaction().execute((tx) => applyOrder(tx, order, source, at));
            if (result.outcome === 'accepted') {
              accepted++;
              const booked = await db
                .selectFrom('sales_orders')
                .selectAll()
                .where('id', '=', result.documentNumber)
                .executeTakeFirstOrThrow();
              expect(booked.total_pence).toBe(toPence(order.total));
            } else {
              rejected++;
            }
          }
          // Debits equal credits, in integers: nothing to round.
          const byAccount = await sums(db);
          const all = [...byAccount.values()];
          expect(all.every((s) => Number.isInteger(s.debit) && Number.isInteger(s.credit))).toBe(true);
          expect(all.reduce((s, a) => s + a.debit, 0)).toBe(all.reduce((s, a) => s + a.credit, 0));
          // The trial balance as delivered (pounds in JSON) is the journal's sums, account by account.
          const lines: TrialBalanceLine[] = [];
          for await (const line of SNAPSHOTS['comp-nominalv1']!['trial-balance']!(db))
            lines.push(line as TrialBalanceLine);
          const delivered = new Map<string, { debit: number; credit: number }>();
          for (const l of lines) {
            const d = delivered.get(l.accountCode) ?? { debit: 0, credit: 0 };
            delivered.set(l.accountCode, { debit: d.debit + toPence(l.debit)!, credit: d.credit + toPence(l.credit)! });
            expect(toPence(l.balance)).toBe(toPence(l.debit)! - toPence(l.credit)!);
          }
          expect(delivered).toEqual(byAccount);
          // The VAT control account holds each accepted line's VAT; stock never goes below nothing.
          const vat = await db
            .selectFrom('order_lines')
            .select(sql<number>`coalesce(sum(tax_pence), 0)`.as('v'))
            .executeTakeFirstOrThrow();
          expect(byAccount.get('2200')?.credit ?? 0).toBe(vat.v);
          const stock = await db.selectFrom('products').select(['id', 'stock']).execute();
          expect(stock.every((p) => p.stock >= 0)).toBe(true);
          const sold = await db
            .selectFrom('order_lines')
            .select(sql<number>`coalesce(sum(quantity), 0)`.as('q'))
            .executeTakeFirstOrThrow();
          expect(stockBefore.reduce((s, p) => s + p.stock, 0) - stock.reduce((s, p) => s + p.stock, 0)).toBe(sold.q);
          // No order id of the application is booked twice.
          const twice = await db
            .selectFrom('sales_orders')
            .select('external_id')
            .groupBy(['application_id', 'external_id'])
            .having(sql`count(*)`, '>', 1)
            .execute();
          expect(twice).toEqual([]);
        } finally {
          await db.destroy();
        }
      }),
      { numRuns: 60 },
    );
    // The generator reaches both sides: orders taken in and orders refused.
    expect(accepted).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
  });
});
