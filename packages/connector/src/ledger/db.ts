import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';

/** The accounting product's own books: what a Sage 50 company keeps, in miniature. Money in pence-free decimals. */
export interface LedgerDatabase {
  company: { id: string; name: string; address1: string; city: string; post_code: string; country: string; telephone: string; vat_number: string; variant: string; updated_at: string };
  customers: { id: string; first_name: string; last_name: string; email: string; company_name: string | null; tax_id: string | null; created_at: string; updated_at: string };
  addresses: { id: string; customer_id: string; address1: string; address2: string | null; city: string; post_code: string; country: string; telephone: string; updated_at: string };
  products: { id: string; reference: string; name: string; description: string; bar_code: string; brand: string; category: string; net_price: number; tax_rate: number; stock: number; updated_at: string };
  /** Sales orders: `id` is the document number the ledger gives; `external_id` the application's order id. */
  sales_orders: { id: string; external_id: string | null; integration_id: string | null; customer_id: string; order_date: string; total_net: number; total_tax: number; total_shipping: number; discount: number; total: number; created_at: string };
  order_lines: { order_id: string; line_no: number; product_id: string; quantity: number; unit_price: number; tax_rate: number; discount: number };
  nominal_accounts: { code: string; name: string; type: 'asset' | 'liability' | 'equity' | 'income' | 'expense'; category: string; updated_at: string };
  journal: { id: number | undefined; period: string; account_code: string; debit: number; credit: number; reference: string; posted_at: string };
  /** Each order of an upload (by its place in the file) applied or refused, with its result: none is applied twice. */
  applied_orders: { upload_id: string; position: number; order_id: string; result: string; applied_at: string };
  /** The uploads this instance has claimed and not finished: taken up again after a restart. */
  claimed_uploads: { upload_id: string; integration_id: string; claimed_at: string };
  /** The last file delivered of each scope: an unchanged scope is not sent again. */
  deliveries: { solution: string; scope: string; sha256: string; file_id: string; delivered_at: string };
  counters: { name: string; value: number };
}

export type Ledger = Kysely<LedgerDatabase>;

export async function openLedger(dataDir: string): Promise<Ledger> {
  fs.mkdirSync(dataDir, { recursive: true });
  const database = new SQLite(path.join(dataDir, 'ledger.db'));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<LedgerDatabase>({ dialect: new SqliteDialect({ database }) });
  await migrate(db);
  return db;
}

async function migrate(db: Ledger): Promise<void> {
  const { rows } = await sql<{ user_version: number }>`pragma user_version`.execute(db);
  if ((rows[0]?.user_version ?? 0) >= 1) return;
  await db.transaction().execute(async (tx) => {
    const s = tx.schema;
    await s.createTable('company').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('name', 'text', (c) => c.notNull()).addColumn('address1', 'text', (c) => c.notNull())
      .addColumn('city', 'text', (c) => c.notNull()).addColumn('post_code', 'text', (c) => c.notNull()).addColumn('country', 'text', (c) => c.notNull())
      .addColumn('telephone', 'text', (c) => c.notNull()).addColumn('vat_number', 'text', (c) => c.notNull()).addColumn('variant', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()).execute();
    await s.createTable('customers').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('first_name', 'text', (c) => c.notNull()).addColumn('last_name', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull()).addColumn('company_name', 'text').addColumn('tax_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull()).addColumn('updated_at', 'text', (c) => c.notNull()).execute();
    await s.createTable('addresses').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('address1', 'text', (c) => c.notNull()).addColumn('address2', 'text').addColumn('city', 'text', (c) => c.notNull()).addColumn('post_code', 'text', (c) => c.notNull())
      .addColumn('country', 'text', (c) => c.notNull()).addColumn('telephone', 'text', (c) => c.notNull()).addColumn('updated_at', 'text', (c) => c.notNull()).execute();
    await s.createIndex('addresses_customer').on('addresses').column('customer_id').execute();
    await s.createTable('products').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('reference', 'text', (c) => c.notNull()).addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull()).addColumn('bar_code', 'text', (c) => c.notNull()).addColumn('brand', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull()).addColumn('net_price', 'real', (c) => c.notNull()).addColumn('tax_rate', 'real', (c) => c.notNull())
      .addColumn('stock', 'real', (c) => c.notNull()).addColumn('updated_at', 'text', (c) => c.notNull()).execute();
    await s.createTable('sales_orders').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('external_id', 'text').addColumn('integration_id', 'text')
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id')).addColumn('order_date', 'text', (c) => c.notNull())
      .addColumn('total_net', 'real', (c) => c.notNull()).addColumn('total_tax', 'real', (c) => c.notNull()).addColumn('total_shipping', 'real', (c) => c.notNull())
      .addColumn('discount', 'real', (c) => c.notNull()).addColumn('total', 'real', (c) => c.notNull()).addColumn('created_at', 'text', (c) => c.notNull()).execute();
    await s.createIndex('sales_orders_external').on('sales_orders').columns(['integration_id', 'external_id']).unique().execute();
    await s.createTable('order_lines').addColumn('order_id', 'text', (c) => c.notNull().references('sales_orders.id')).addColumn('line_no', 'integer', (c) => c.notNull())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id')).addColumn('quantity', 'real', (c) => c.notNull())
      .addColumn('unit_price', 'real', (c) => c.notNull()).addColumn('tax_rate', 'real', (c) => c.notNull()).addColumn('discount', 'real', (c) => c.notNull())
      .addPrimaryKeyConstraint('order_lines_pk', ['order_id', 'line_no']).execute();
    await s.createTable('nominal_accounts').addColumn('code', 'text', (c) => c.primaryKey()).addColumn('name', 'text', (c) => c.notNull()).addColumn('type', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull()).addColumn('updated_at', 'text', (c) => c.notNull()).execute();
    await s.createTable('journal').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()).addColumn('period', 'text', (c) => c.notNull())
      .addColumn('account_code', 'text', (c) => c.notNull().references('nominal_accounts.code')).addColumn('debit', 'real', (c) => c.notNull())
      .addColumn('credit', 'real', (c) => c.notNull()).addColumn('reference', 'text', (c) => c.notNull()).addColumn('posted_at', 'text', (c) => c.notNull()).execute();
    await s.createIndex('journal_period').on('journal').columns(['account_code', 'period']).execute();
    await s.createTable('applied_orders').addColumn('upload_id', 'text', (c) => c.notNull()).addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull()).addColumn('result', 'text', (c) => c.notNull()).addColumn('applied_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('applied_orders_pk', ['upload_id', 'position']).execute();
    await s.createTable('claimed_uploads').addColumn('upload_id', 'text', (c) => c.primaryKey()).addColumn('integration_id', 'text', (c) => c.notNull())
      .addColumn('claimed_at', 'text', (c) => c.notNull()).execute();
    await s.createTable('deliveries').addColumn('solution', 'text', (c) => c.notNull()).addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull()).addColumn('file_id', 'text', (c) => c.notNull()).addColumn('delivered_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('deliveries_pk', ['solution', 'scope']).execute();
    await s.createTable('counters').addColumn('name', 'text', (c) => c.primaryKey()).addColumn('value', 'integer', (c) => c.notNull()).execute();
    await sql`pragma user_version = 1`.execute(tx);
  });
}
