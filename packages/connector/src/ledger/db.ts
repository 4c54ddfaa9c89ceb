import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';

/**
 * The accounting product's own books: what a Sage 50 company keeps, in miniature. Every amount of money is a whole
 * number of pence (`*_pence`, SQLite integers), rates are basis points (2000 = 20%): sums are exact, and pounds
 * appear only where a file is written (money.ts).
 */
export interface LedgerDatabase {
  company: {
    id: string;
    name: string;
    address1: string;
    city: string;
    post_code: string;
    country: string;
    telephone: string;
    vat_number: string;
    variant: string;
    default_credit_limit_pence: number;
    updated_at: string;
  };
  /** Sage 50's tax codes: T1 standard, T5 reduced, T0 zero-rated, T2 exempt, T9 outside the scope of VAT. */
  vat_codes: { code: string; rate_bp: number; description: string };
  customers: {
    id: string;
    first_name: string;
    last_name: string;
    email: string;
    company_name: string | null;
    tax_id: string | null;
    credit_limit_pence: number;
    created_at: string;
    updated_at: string;
  };
  addresses: {
    id: string;
    customer_id: string;
    address1: string;
    address2: string | null;
    city: string;
    post_code: string;
    country: string;
    telephone: string;
    updated_at: string;
  };
  products: {
    id: string;
    reference: string;
    name: string;
    description: string;
    bar_code: string;
    brand: string;
    category: string;
    net_price_pence: number;
    cost_price_pence: number;
    vat_code: string;
    nominal_code: string;
    stock: number;
    updated_at: string;
  };
  /**
   * Sales orders: `id` is the document number the ledger gives; `external_id` the application's order id, unique
   * per application (whichever of its integrations sent it: a re-consent makes a new integration, not new orders).
   */
  sales_orders: {
    id: string;
    external_id: string | null;
    application_id: string | null;
    integration_id: string | null;
    customer_id: string;
    order_date: string;
    total_net_pence: number;
    total_tax_pence: number;
    total_shipping_pence: number;
    discount_pence: number;
    total_pence: number;
    created_at: string;
  };
  order_lines: {
    order_id: string;
    line_no: number;
    product_id: string;
    quantity: number;
    unit_price_pence: number;
    discount_pence: number;
    net_pence: number;
    vat_code: string;
    tax_pence: number;
  };
  nominal_accounts: {
    code: string;
    name: string;
    type: 'asset' | 'liability' | 'equity' | 'income' | 'expense';
    category: string;
    updated_at: string;
  };
  /** Double entry: each posting's lines balance (debits = credits), so the journal always does. */
  journal: {
    id: number | undefined;
    period: string;
    account_code: string;
    debit_pence: number;
    credit_pence: number;
    vat_code: string | null;
    reference: string;
    posted_at: string;
  };
  /** Each order of an upload (by its place in the file) applied or refused, with its result: none is applied twice. */
  applied_orders: { upload_id: string; position: number; order_id: string; result: string; applied_at: string };
  /** The uploads this instance has claimed and not finished: taken up again after a restart. */
  claimed_uploads: { upload_id: string; integration_id: string; claimed_at: string };
  /** Which application each integration belongs to (from the platform): orders are deduplicated per application. */
  integrations: { integration_id: string; application_id: string; application_name: string };
  /** The last file delivered of each scope: an unchanged scope is not sent again. */
  deliveries: { solution: string; scope: string; sha256: string; file_id: string; delivered_at: string };
  counters: { name: string; value: number };
}

export type Ledger = Kysely<LedgerDatabase>;

/** The ledger's schema version (pragma user_version). Version 1 kept money as floating point. */
const VERSION = 2;

export class LedgerVersionError extends Error {}

export async function openLedger(dataDir: string): Promise<Ledger> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'ledger.db');
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<LedgerDatabase>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrate(db, file);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

async function migrate(db: Ledger, file: string): Promise<void> {
  const { rows } = await sql<{ user_version: number }>`pragma user_version`.execute(db);
  const version = rows[0]?.user_version ?? 0;
  if (version === VERSION) return;
  if (version !== 0) {
    // A demo company of an earlier version: its amounts were floating point. Start a new one rather than guess.
    throw new LedgerVersionError(
      `${file} is a ledger of an earlier version (${version}); move it aside and start again for a new company`,
    );
  }
  await db.transaction().execute(async (tx) => {
    const s = tx.schema;
    const text = 'text';
    const int = 'integer';
    await s
      .createTable('company')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('address1', text, (c) => c.notNull())
      .addColumn('city', text, (c) => c.notNull())
      .addColumn('post_code', text, (c) => c.notNull())
      .addColumn('country', text, (c) => c.notNull())
      .addColumn('telephone', text, (c) => c.notNull())
      .addColumn('vat_number', text, (c) => c.notNull())
      .addColumn('variant', text, (c) => c.notNull())
      .addColumn('default_credit_limit_pence', int, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await s
      .createTable('vat_codes')
      .addColumn('code', text, (c) => c.primaryKey())
      .addColumn('rate_bp', int, (c) => c.notNull())
      .addColumn('description', text, (c) => c.notNull())
      .execute();
    await s
      .createTable('customers')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('first_name', text, (c) => c.notNull())
      .addColumn('last_name', text, (c) => c.notNull())
      .addColumn('email', text, (c) => c.notNull())
      .addColumn('company_name', text)
      .addColumn('tax_id', text)
      .addColumn('credit_limit_pence', int, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await s
      .createTable('addresses')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('customer_id', text, (c) => c.notNull().references('customers.id'))
      .addColumn('address1', text, (c) => c.notNull())
      .addColumn('address2', text)
      .addColumn('city', text, (c) => c.notNull())
      .addColumn('post_code', text, (c) => c.notNull())
      .addColumn('country', text, (c) => c.notNull())
      .addColumn('telephone', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await s.createIndex('addresses_customer').on('addresses').column('customer_id').execute();
    await s
      .createTable('nominal_accounts')
      .addColumn('code', text, (c) => c.primaryKey())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('category', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await s
      .createTable('products')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('reference', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('description', text, (c) => c.notNull())
      .addColumn('bar_code', text, (c) => c.notNull())
      .addColumn('brand', text, (c) => c.notNull())
      .addColumn('category', text, (c) => c.notNull())
      .addColumn('net_price_pence', int, (c) => c.notNull())
      .addColumn('cost_price_pence', int, (c) => c.notNull())
      .addColumn('vat_code', text, (c) => c.notNull().references('vat_codes.code'))
      .addColumn('nominal_code', text, (c) => c.notNull().references('nominal_accounts.code'))
      .addColumn('stock', int, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await s
      .createTable('sales_orders')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('external_id', text)
      .addColumn('application_id', text)
      .addColumn('integration_id', text)
      .addColumn('customer_id', text, (c) => c.notNull().references('customers.id'))
      .addColumn('order_date', text, (c) => c.notNull())
      .addColumn('total_net_pence', int, (c) => c.notNull())
      .addColumn('total_tax_pence', int, (c) => c.notNull())
      .addColumn('total_shipping_pence', int, (c) => c.notNull())
      .addColumn('discount_pence', int, (c) => c.notNull())
      .addColumn('total_pence', int, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .execute();
    await s
      .createIndex('sales_orders_external')
      .on('sales_orders')
      .columns(['application_id', 'external_id'])
      .unique()
      .execute();
    await s.createIndex('sales_orders_customer').on('sales_orders').column('customer_id').execute();
    await s
      .createTable('order_lines')
      .addColumn('order_id', text, (c) => c.notNull().references('sales_orders.id'))
      .addColumn('line_no', int, (c) => c.notNull())
      .addColumn('product_id', text, (c) => c.notNull().references('products.id'))
      .addColumn('quantity', int, (c) => c.notNull())
      .addColumn('unit_price_pence', int, (c) => c.notNull())
      .addColumn('discount_pence', int, (c) => c.notNull())
      .addColumn('net_pence', int, (c) => c.notNull())
      .addColumn('vat_code', text, (c) => c.notNull().references('vat_codes.code'))
      .addColumn('tax_pence', int, (c) => c.notNull())
      .addPrimaryKeyConstraint('order_lines_pk', ['order_id', 'line_no'])
      .execute();
    await s
      .createTable('journal')
      .addColumn('id', int, (c) => c.primaryKey().autoIncrement())
      .addColumn('period', text, (c) => c.notNull())
      .addColumn('account_code', text, (c) => c.notNull().references('nominal_accounts.code'))
      .addColumn('debit_pence', int, (c) => c.notNull())
      .addColumn('credit_pence', int, (c) => c.notNull())
      .addColumn('vat_code', text)
      .addColumn('reference', text, (c) => c.notNull())
      .addColumn('posted_at', text, (c) => c.notNull())
      .execute();
    await s.createIndex('journal_period').on('journal').columns(['account_code', 'period']).execute();
    await s
      .createTable('applied_orders')
      .addColumn('upload_id', text, (c) => c.notNull())
      .addColumn('position', int, (c) => c.notNull())
      .addColumn('order_id', text, (c) => c.notNull())
      .addColumn('result', text, (c) => c.notNull())
      .addColumn('applied_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('applied_orders_pk', ['upload_id', 'position'])
      .execute();
    await s
      .createTable('claimed_uploads')
      .addColumn('upload_id', text, (c) => c.primaryKey())
      .addColumn('integration_id', text, (c) => c.notNull())
      .addColumn('claimed_at', text, (c) => c.notNull())
      .execute();
    await s
      .createTable('integrations')
      .addColumn('integration_id', text, (c) => c.primaryKey())
      .addColumn('application_id', text, (c) => c.notNull())
      .addColumn('application_name', text, (c) => c.notNull())
      .execute();
    await s
      .createTable('deliveries')
      .addColumn('solution', text, (c) => c.notNull())
      .addColumn('scope', text, (c) => c.notNull())
      .addColumn('sha256', text, (c) => c.notNull())
      .addColumn('file_id', text, (c) => c.notNull())
      .addColumn('delivered_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('deliveries_pk', ['solution', 'scope'])
      .execute();
    await s
      .createTable('counters')
      .addColumn('name', text, (c) => c.primaryKey())
      .addColumn('value', int, (c) => c.notNull())
      .execute();
    await sql.raw(`pragma user_version = ${VERSION}`).execute(tx);
  });
}
