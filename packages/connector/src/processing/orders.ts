import type { Order, OrderResult } from '@connected-cloud/contract';
import type { Transaction } from 'kysely';
import type { LedgerDatabase } from '../ledger/db.js';
import { formatPounds, lineVat, toBasisPoints, toPence } from '../ledger/money.js';

type Reason = Extract<OrderResult, { outcome: 'rejected' }>['reasons'][number];
type Tx = Transaction<LedgerDatabase>;

/** Who sent an order: duplicates are judged per application, across all its integrations with this company. */
export interface OrderSource {
  applicationId: string;
  integrationId: string;
}

const MAX_QUANTITY = 1_000_000;

/**
 * Takes one order into the books, or says why not. Checked: the order id not taken in before from this
 * application; amounts in whole pence; known products at the VAT rate of their tax code, in stock; totals that
 * add up under the stated rule (each line's VAT rounded once, to the nearest penny, halves up; totalTax their sum;
 * total = totalNet + totalTax + totalShipping − discount, exactly); a customer within their credit limit (a new
 * customer is made from the order with the company's default limit). Accepted: a sales order with the next
 * document number, stock taken, and a balanced posting to the nominal ledger. Runs inside the caller's transaction.
 */
export async function applyOrder(tx: Tx, order: Order, source: OrderSource, now: string): Promise<OrderResult> {
  const rejected = (reasons: Reason[]): OrderResult => ({
    id: order.id,
    outcome: 'rejected',
    reasons,
    processedAt: now,
  });

  const earlier = await tx
    .selectFrom('sales_orders')
    .select('id')
    .where('application_id', '=', source.applicationId)
    .where('external_id', '=', order.id)
    .executeTakeFirst();
  if (earlier)
    return rejected([{ code: 'duplicate-order', message: `order ${order.id} was taken in before as ${earlier.id}` }]);

  const reasons: Reason[] = [];
  const pence = (pounds: number, pointer: string, what: string): number => {
    const p = toPence(pounds);
    if (p === undefined || p < 0) {
      reasons.push({
        code: 'invalid-order',
        message: `${what} must be an amount from 0 in whole pence, not ${pounds}`,
        pointer,
      });
      return 0;
    }
    return p;
  };
  if (order.currency !== undefined && order.currency !== 'GBP') {
    reasons.push({
      code: 'invalid-order',
      message: `the company keeps its books in GBP, not ${order.currency}`,
      pointer: '/currency',
    });
  }

  // The lines, in pence, each with its product and its VAT rounded once.
  const lines: Array<LedgerDatabase['order_lines'] & { nominal: string; cost: number }> = [];
  const wanted = new Map<string, { stock: number; quantity: number }>();
  for (const [i, line] of order.lines.entries()) {
    const at = `/lines/${i}`;
    const unit = pence(line.unitPrice, `${at}/unitPrice`, 'unitPrice');
    const discount = pence(line.discount ?? 0, `${at}/discount`, 'discount');
    if (!Number.isInteger(line.quantity) || line.quantity > MAX_QUANTITY) {
      reasons.push({
        code: 'invalid-order',
        message: `quantity must be a whole number of units up to ${MAX_QUANTITY}`,
        pointer: `${at}/quantity`,
      });
      continue;
    }
    const product = await tx
      .selectFrom('products as p')
      .innerJoin('vat_codes as v', 'v.code', 'p.vat_code')
      .select(['p.stock', 'p.vat_code', 'p.nominal_code', 'p.cost_price_pence', 'v.rate_bp', 'v.description'])
      .where('p.id', '=', line.productId)
      .executeTakeFirst();
    if (!product) {
      reasons.push({ code: 'unknown-product', message: `no product ${line.productId}`, pointer: `${at}/productId` });
      continue;
    }
    if (toBasisPoints(line.tax) !== product.rate_bp) {
      const rate = `${product.rate_bp / 100}%`;
      reasons.push({
        code: 'invalid-order',
        message: `${line.productId} is ${product.vat_code} (${product.description}, ${rate}), not ${line.tax}%`,
        pointer: `${at}/tax`,
      });
      continue;
    }
    const gross = line.quantity * unit;
    if (discount > gross)
      reasons.push({
        code: 'invalid-order',
        message: `the discount is more than the line's ${formatPounds(gross)}`,
        pointer: `${at}/discount`,
      });
    const net = Math.max(0, gross - discount);
    lines.push({
      order_id: '',
      line_no: i + 1,
      product_id: line.productId,
      quantity: line.quantity,
      unit_price_pence: unit,
      discount_pence: discount,
      net_pence: net,
      vat_code: product.vat_code,
      tax_pence: lineVat(net, product.rate_bp),
      nominal: product.nominal_code,
      cost: product.cost_price_pence * line.quantity,
    });
    const w = wanted.get(line.productId) ?? { stock: product.stock, quantity: 0 };
    w.quantity += line.quantity;
    wanted.set(line.productId, w);
  }
  for (const [id, w] of wanted) {
    if (w.quantity > w.stock)
      reasons.push({ code: 'insufficient-stock', message: `${w.quantity} of ${id} wanted, ${w.stock} in stock` });
  }

  const discount = pence(order.discount, '/discount', 'discount');
  const shipping = pence(order.totalShipping, '/totalShipping', 'totalShipping');
  if (reasons.length > 0) return rejected(reasons);

  const totalNet = lines.reduce((s, l) => s + l.net_pence, 0);
  const totalTax = lines.reduce((s, l) => s + l.tax_pence, 0);
  const total = totalNet + totalTax + shipping - discount;
  const given = { net: toPence(order.totalNet), tax: toPence(order.totalTax), total: toPence(order.total) };
  if (given.net !== totalNet)
    reasons.push({
      code: 'totals-mismatch',
      message: `totalNet is ${order.totalNet}, the lines make ${formatPounds(totalNet)}`,
      pointer: '/totalNet',
    });
  if (given.tax !== totalTax) {
    reasons.push({
      code: 'totals-mismatch',
      message: `totalTax is ${order.totalTax}, the lines make ${formatPounds(totalTax)} (each line's VAT rounded to the penny, halves up)`,
      pointer: '/totalTax',
    });
  }
  if (given.total !== total) {
    reasons.push({
      code: 'totals-mismatch',
      message: `total is ${order.total}, totalNet + totalTax + totalShipping − discount make ${formatPounds(total)}`,
      pointer: '/total',
    });
  }
  if (discount > totalNet)
    reasons.push({
      code: 'invalid-order',
      message: `the discount is more than the order's net ${formatPounds(totalNet)}`,
      pointer: '/discount',
    });
  if (reasons.length > 0) return rejected(reasons);

  const customerId = order.customer.id;
  const customer = await customerFor(tx, order, now);
  const owed = await tx
    .selectFrom('sales_orders')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('total_pence'), eb.lit(0)).as('owed'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  if (Number(owed.owed) + total > customer.credit_limit_pence) {
    return rejected([
      {
        code: 'credit-limit',
        message: `${customerId} owes ${formatPounds(Number(owed.owed))}; this order's ${formatPounds(total)} would pass the credit limit of ${formatPounds(customer.credit_limit_pence)}`,
        pointer: '/customer/id',
      },
    ]);
  }

  const counter = await tx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'sales-order')
    .returning('value')
    .executeTakeFirstOrThrow();
  const documentNumber = `SO-${String(counter.value).padStart(6, '0')}`;
  await tx
    .insertInto('sales_orders')
    .values({
      id: documentNumber,
      external_id: order.id,
      application_id: source.applicationId,
      integration_id: source.integrationId,
      customer_id: customerId,
      order_date: order.orderDate,
      total_net_pence: totalNet,
      total_tax_pence: totalTax,
      total_shipping_pence: shipping,
      discount_pence: discount,
      total_pence: total,
      created_at: now,
    })
    .execute();
  await tx
    .insertInto('order_lines')
    .values(lines.map(({ nominal: _n, cost: _c, ...l }) => ({ ...l, order_id: documentNumber })))
    .execute();
  for (const [id, w] of wanted) {
    await tx
      .updateTable('products')
      .set((eb) => ({ stock: eb('stock', '-', w.quantity), updated_at: now }))
      .where('id', '=', id)
      .execute();
  }
  await tx
    .insertInto('journal')
    .values(postings(order.orderDate.slice(0, 7), documentNumber, now, { lines, total, shipping, discount }))
    .execute();
  return { id: order.id, outcome: 'accepted', documentNumber, processedAt: now };
}

/**
 * The sale in double entry: debtors owe the total; each sales account is credited with its lines' net, the VAT
 * control account with each tax code's VAT, carriage with the shipping; a discount allowed is a debit. The stock
 * leaves at cost (cost of sales against stock). Debits equal credits by construction, and are checked.
 */
export function postings(
  period: string,
  reference: string,
  now: string,
  o: {
    lines: Array<{ net_pence: number; tax_pence: number; vat_code: string; nominal: string; cost: number }>;
    total: number;
    shipping: number;
    discount: number;
  },
) {
  const rows: Array<LedgerDatabase['journal']> = [];
  const post = (account_code: string, debit_pence: number, credit_pence: number, vat_code: string | null = null) => {
    if (debit_pence !== 0 || credit_pence !== 0)
      rows.push({
        id: undefined,
        period,
        account_code,
        debit_pence,
        credit_pence,
        vat_code,
        reference,
        posted_at: now,
      });
  };
  const sum = <K extends string>(
    key: (l: (typeof o.lines)[number]) => K,
    value: (l: (typeof o.lines)[number]) => number,
  ) => {
    const by = new Map<K, number>();
    for (const l of o.lines) by.set(key(l), (by.get(key(l)) ?? 0) + value(l));
    return by;
  };
  post('1100', o.total, 0);
  for (const [key, net] of sum(
    (l) => `${l.nominal} ${l.vat_code}`,
    (l) => l.net_pence,
  ))
    post(key.split(' ')[0]!, 0, net, key.split(' ')[1]);
  for (const [code, tax] of sum(
    (l) => l.vat_code,
    (l) => l.tax_pence,
  ))
    post('2200', 0, tax, code);
  post('4905', 0, o.shipping, 'T9');
  post('4009', o.discount, 0);
  const cost = o.lines.reduce((s, l) => s + l.cost, 0);
  post('5000', cost, 0);
  post('1001', 0, cost);
  const debits = rows.reduce((s, r) => s + r.debit_pence, 0);
  const credits = rows.reduce((s, r) => s + r.credit_pence, 0);
  if (debits !== credits) throw new Error(`posting ${reference} does not balance: ${debits} debit, ${credits} credit`);
  return rows;
}

/** The order's customer: the ledger's, or a new account made from the order with the company's default limit. */
async function customerFor(tx: Tx, order: Order, now: string) {
  const found = await tx
    .selectFrom('customers')
    .select('credit_limit_pence')
    .where('id', '=', order.customer.id)
    .executeTakeFirst();
  if (found) return found;
  const c = order.customer;
  const { default_credit_limit_pence } = await tx
    .selectFrom('company')
    .select('default_credit_limit_pence')
    .executeTakeFirstOrThrow();
  await tx
    .insertInto('customers')
    .values({
      id: c.id,
      first_name: c.firstName,
      last_name: c.lastName,
      email: c.email,
      company_name: null,
      tax_id: c.idNumber ?? null,
      credit_limit_pence: default_credit_limit_pence,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const addresses = c.addresses.length > 0 ? c.addresses : [order.invoiceAddress];
  for (const [i, a] of addresses.entries()) {
    await tx
      .insertInto('addresses')
      .values({
        id: `${c.id}-A${i + 1}`,
        customer_id: c.id,
        address1: a.address1,
        address2: a.address2 ?? null,
        city: a.city,
        post_code: a.postCode,
        country: a.country,
        telephone: a.telephone1,
        updated_at: now,
      })
      .execute();
  }
  return { credit_limit_pence: default_credit_limit_pence };
}
