import type { Order, OrderResult } from '@connected-cloud/contract';
import type { Transaction } from 'kysely';
import type { LedgerDatabase } from '../ledger/db.js';

type Reason = Extract<OrderResult, { outcome: 'rejected' }>['reasons'][number];

const round2 = (n: number) => Math.round(n * 100) / 100;
const near = (a: number, b: number) => Math.abs(round2(a) - round2(b)) <= 0.01;

/**
 * Takes one order into the books, or says why not: a known customer (or a new one made from the order), known
 * products, enough stock for every line, totals that add up, and an order id not taken in before for this
 * integration. Accepted: a sales order with the next document number, stock taken, and the sale posted to the
 * nominal ledger (debtors, sales, VAT, carriage). Runs inside the caller's transaction.
 */
export async function applyOrder(tx: Transaction<LedgerDatabase>, order: Order, integrationId: string, now: string): Promise<OrderResult> {
  const rejected = (reasons: Reason[]): OrderResult => ({ id: order.id, outcome: 'rejected', reasons, processedAt: now });

  const earlier = await tx.selectFrom('sales_orders').select('id').where('integration_id', '=', integrationId).where('external_id', '=', order.id).executeTakeFirst();
  if (earlier) return rejected([{ code: 'duplicate-order', message: `order ${order.id} was taken in before as ${earlier.id}` }]);

  const reasons: Reason[] = [];
  const wanted = new Map<string, number>();
  const products = new Map<string, { stock: number }>();
  for (const [i, line] of order.lines.entries()) {
    const product = products.get(line.productId) ?? (await tx.selectFrom('products').select('stock').where('id', '=', line.productId).executeTakeFirst());
    if (!product) {
      reasons.push({ code: 'unknown-product', message: `no product ${line.productId}`, pointer: `/lines/${i}/productId` });
      continue;
    }
    products.set(line.productId, product);
    wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
  }
  for (const [id, quantity] of wanted) {
    const stock = products.get(id)!.stock;
    if (quantity > stock) reasons.push({ code: 'insufficient-stock', message: `${quantity} of ${id} wanted, ${stock} in stock` });
  }
  // The books take no negative sale: prices, discounts and shipping are amounts of money owed, not refunds.
  for (const [i, l] of order.lines.entries()) {
    if (l.unitPrice < 0 || (l.discount ?? 0) < 0 || (l.discount ?? 0) > l.quantity * l.unitPrice) reasons.push({ code: 'invalid-order', message: 'a line’s price and discount must be amounts from 0 to its value', pointer: `/lines/${i}` });
  }
  if (order.discount < 0 || order.totalShipping < 0 || order.discount > order.totalNet) reasons.push({ code: 'invalid-order', message: 'discount and shipping must be from 0, the discount at most totalNet', pointer: '/discount' });
  const lineNets = order.lines.map((l) => l.quantity * l.unitPrice - (l.discount ?? 0));
  const totalNet = lineNets.reduce((s, n) => s + n, 0);
  const totalTax = order.lines.reduce((s, l, i) => s + (lineNets[i]! * l.tax) / 100, 0);
  if (!near(order.totalNet, totalNet)) reasons.push({ code: 'totals-mismatch', message: `totalNet is ${order.totalNet}, the lines make ${round2(totalNet)}`, pointer: '/totalNet' });
  if (!near(order.totalTax, totalTax)) reasons.push({ code: 'totals-mismatch', message: `totalTax is ${order.totalTax}, the lines make ${round2(totalTax)}`, pointer: '/totalTax' });
  const total = order.totalNet + order.totalTax + order.totalShipping - order.discount;
  if (!near(order.total, total)) reasons.push({ code: 'totals-mismatch', message: `total is ${order.total}, totalNet + totalTax + totalShipping - discount make ${round2(total)}`, pointer: '/total' });
  if (reasons.length > 0) return rejected(reasons);

  const customerId = order.customer.id;
  if (!(await tx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst())) {
    const c = order.customer;
    await tx.insertInto('customers').values({ id: customerId, first_name: c.firstName, last_name: c.lastName, email: c.email, company_name: null, tax_id: c.idNumber ?? null, created_at: now, updated_at: now }).execute();
    const addresses = c.addresses.length > 0 ? c.addresses : [order.invoiceAddress];
    for (const [i, a] of addresses.entries()) {
      await tx.insertInto('addresses').values({ id: `${customerId}-A${i + 1}`, customer_id: customerId, address1: a.address1, address2: a.address2 ?? null, city: a.city, post_code: a.postCode, country: a.country, telephone: a.telephone1, updated_at: now }).execute();
    }
  }

  const counter = await tx.updateTable('counters').set((eb) => ({ value: eb('value', '+', 1) })).where('name', '=', 'sales-order').returning('value').executeTakeFirstOrThrow();
  const documentNumber = `SO-${String(counter.value).padStart(6, '0')}`;
  await tx.insertInto('sales_orders').values({
    id: documentNumber, external_id: order.id, integration_id: integrationId, customer_id: customerId, order_date: order.orderDate,
    total_net: order.totalNet, total_tax: order.totalTax, total_shipping: order.totalShipping, discount: order.discount, total: order.total, created_at: now,
  }).execute();
  for (const [i, l] of order.lines.entries()) {
    await tx.insertInto('order_lines').values({ order_id: documentNumber, line_no: i + 1, product_id: l.productId, quantity: l.quantity, unit_price: l.unitPrice, tax_rate: l.tax, discount: l.discount ?? 0 }).execute();
  }
  for (const [id, quantity] of wanted) {
    await tx.updateTable('products').set((eb) => ({ stock: eb('stock', '-', quantity), updated_at: now })).where('id', '=', id).execute();
  }
  const period = order.orderDate.slice(0, 7);
  const post = (account_code: string, debit: number, credit: number) => ({ id: undefined, period, account_code, debit: round2(debit), credit: round2(credit), reference: documentNumber, posted_at: now });
  const postings = [post('1100', order.total, 0), post('4000', 0, order.totalNet - order.discount), post('2200', 0, order.totalTax)];
  if (order.totalShipping !== 0) postings.push(post('4905', 0, order.totalShipping));
  await tx.insertInto('journal').values(postings).execute();
  return { id: order.id, outcome: 'accepted', documentNumber, processedAt: now };
}
