import type { CompanySetting, Customer, NominalAccount, Product, TrialBalanceLine } from '@connected-cloud/contract';
import { sql } from 'kysely';
import type { Ledger } from '../ledger/db.js';
import { toPounds } from '../ledger/money.js';

const PAGE = 1000;

/** The records of one scope, read from the ledger a page at a time and mapped to the solution's schema. */
export type Snapshot = (db: Ledger) => AsyncIterable<unknown>;

async function* customers(db: Ledger): AsyncGenerator<Customer> {
  for (let after = ''; ;) {
    const page = await db
      .selectFrom('customers')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return;
    const addresses = await db
      .selectFrom('addresses')
      .selectAll()
      .where(
        'customer_id',
        'in',
        page.map((c) => c.id),
      )
      .orderBy('id')
      .execute();
    for (const c of page) {
      yield {
        id: c.id,
        ...(c.tax_id ? { idNumber: c.tax_id } : {}),
        firstName: c.first_name,
        lastName: c.last_name,
        email: c.email,
        addresses: addresses
          .filter((a) => a.customer_id === c.id)
          .map((a) => ({
            id: a.id,
            contactName: `${c.first_name} ${c.last_name}`,
            address1: a.address1,
            ...(a.address2 ? { address2: a.address2 } : {}),
            city: a.city,
            country: a.country,
            postCode: a.post_code,
            telephone1: a.telephone,
            timestamp: a.updated_at,
          })),
        type: c.company_name ? 'company' : 'individual',
        currency: 'GBP',
        timestamp: c.updated_at,
      };
    }
    after = page[page.length - 1]!.id;
  }
}

async function* products(db: Ledger): AsyncGenerator<Product> {
  for (let after = ''; ;) {
    const page = await db
      .selectFrom('products as p')
      .innerJoin('vat_codes as v', 'v.code', 'p.vat_code')
      .selectAll('p')
      .select('v.rate_bp')
      .where('p.id', '>', after)
      .orderBy('p.id')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return;
    for (const p of page) {
      yield {
        id: p.id,
        reference: p.reference,
        name: p.name,
        shortDescription: p.description,
        barCodeType: 'EAN13',
        barCode: p.bar_code,
        netPrice: toPounds(p.net_price_pence),
        tax: p.rate_bp / 100,
        discountByUnit: true,
        brand: p.brand,
        category: p.category,
        stockQuantity: p.stock,
        timestamp: p.updated_at,
      };
    }
    after = page[page.length - 1]!.id;
  }
}

async function* companySettings(db: Ledger): AsyncGenerator<CompanySetting> {
  const c = await db.selectFrom('company').selectAll().executeTakeFirstOrThrow();
  const off = {
    gocardlessState: false,
    invoicePaymentsState: false,
    sagePaymentsState: false,
    sagePayState: false,
    bankFeedsState: false,
    cisState: false,
    charityState: false,
    eBankingState: false,
    mtdForVATState: true,
    office365State: false,
  };
  yield {
    id: c.id,
    companyId: c.id,
    name: c.name,
    address1: c.address1,
    city: c.city,
    postCode: c.post_code,
    country: c.country,
    telephone: c.telephone,
    vatRegistrationNumber: c.vat_number,
    variant: c.variant,
    ...off,
    timestamp: c.updated_at,
  };
}

async function* nominalAccounts(db: Ledger): AsyncGenerator<NominalAccount> {
  for (const a of await db.selectFrom('nominal_accounts').selectAll().orderBy('code').execute()) {
    yield { id: a.code, code: a.code, name: a.name, type: a.type, category: a.category, timestamp: a.updated_at };
  }
}

/** The trial balance, always derived from the journal: per account and period, sums of whole pence, then pounds. */
async function* trialBalance(db: Ledger): AsyncGenerator<TrialBalanceLine> {
  const lines = await db
    .selectFrom('journal as j')
    .innerJoin('nominal_accounts as a', 'a.code', 'j.account_code')
    .select([
      'j.account_code',
      'a.name',
      'j.period',
      sql<number>`sum(j.debit_pence)`.as('debit'),
      sql<number>`sum(j.credit_pence)`.as('credit'),
      sql<string>`max(j.posted_at)`.as('at'),
    ])
    .groupBy(['j.account_code', 'a.name', 'j.period'])
    .orderBy('j.period')
    .orderBy('j.account_code')
    .execute();
  for (const l of lines) {
    yield {
      id: `${l.account_code}-${l.period}`,
      accountCode: l.account_code,
      accountName: l.name,
      period: l.period,
      debit: toPounds(l.debit),
      credit: toPounds(l.credit),
      balance: toPounds(l.debit - l.credit),
      currency: 'GBP',
      timestamp: l.at,
    };
  }
}

/** What this connector delivers, by solution and scope. A solution it does not know is not delivered. */
export const SNAPSHOTS: Record<string, Record<string, Snapshot>> = {
  ecommerce: { customers, products },
  'comp-nominalv1': {
    'company-settings': companySettings,
    'nominal-accounts': nominalAccounts,
    'trial-balance': trialBalance,
  },
};
