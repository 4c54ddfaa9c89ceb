import type { Ledger, LedgerDatabase } from './db.js';

/** The day the demo books were opened: every seeded record carries it, so that the same seed gives the same files. */
export const SEEDED_AT = '2026-11-01T09:00:00.000Z';
const PERIOD = SEEDED_AT.slice(0, 7);
const BATCH = 500;

/** A seeded PRNG (mulberry32): the same ledger on every machine. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Alan', 'Grace', 'Tim', 'Mary', 'Charles', 'Sophie', 'Rosalind', 'James', 'Karen', 'Edsger', 'Barbara', 'Margaret', 'Dennis', 'Frances'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Berners-Lee', 'Somerville', 'Babbage', 'Wilson', 'Franklin', 'Maxwell', 'Spärck Jones', 'Dijkstra', 'Liskov', 'Hamilton', 'Ritchie', 'Allen'];
const TOWNS: Array<[string, string]> = [['Leeds', 'LS1'], ['York', 'YO1'], ['Bristol', 'BS1'], ['Manchester', 'M1'], ['Newcastle', 'NE1'], ['Norwich', 'NR1'], ['Bath', 'BA1'], ['Durham', 'DH1']];
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Mill Road', 'Park Avenue', 'Victoria Street', 'Green Lane'];
const GOODS: Array<[string, string, number]> = [
  ['Spade', 'Garden/Tools/Digging', 24.99], ['Rake', 'Garden/Tools/Digging', 17.5], ['Trowel', 'Garden/Tools/Hand tools', 6.75],
  ['Secateurs', 'Garden/Tools/Cutting', 14.2], ['Watering can', 'Garden/Watering', 9.99], ['Hose reel', 'Garden/Watering', 39],
  ['Compost 50 l', 'Garden/Soil', 7.45], ['Seed tray', 'Garden/Propagation', 2.1], ['Wheelbarrow', 'Garden/Tools/Carrying', 64.99],
  ['Gloves', 'Garden/Clothing', 5.5], ['Bird feeder', 'Garden/Wildlife', 12.25], ['Plant pot 30 cm', 'Garden/Pots', 4.8],
];
const BRANDS = ['Bulldog', 'Spear & Jackson', 'Haws', 'Fiskars', 'Westland'];

export const NOMINAL_ACCOUNTS: Array<Pick<LedgerDatabase['nominal_accounts'], 'code' | 'name' | 'type' | 'category'>> = [
  { code: '0030', name: 'Office equipment', type: 'asset', category: 'Fixed Assets' },
  { code: '1001', name: 'Stock', type: 'asset', category: 'Current Assets' },
  { code: '1100', name: 'Debtors control account', type: 'asset', category: 'Current Assets' },
  { code: '1200', name: 'Bank current account', type: 'asset', category: 'Current Assets' },
  { code: '2200', name: 'Sales tax control account', type: 'liability', category: 'Current Liabilities' },
  { code: '3000', name: 'Capital', type: 'equity', category: 'Capital & Reserves' },
  { code: '4000', name: 'Sales', type: 'income', category: 'Sales' },
  { code: '4905', name: 'Carriage on sales', type: 'income', category: 'Sales' },
  { code: '5000', name: 'Cost of sales', type: 'expense', category: 'Purchases' },
];

/**
 * Fills an empty ledger with a company of `size` customers and `size` products (and its chart of accounts and
 * opening balances), the same every time for the same size; large sizes make ledgers for benchmarks. A ledger
 * that has its company already is left alone.
 */
export async function seedLedger(db: Ledger, size: number): Promise<boolean> {
  if (await db.selectFrom('company').select('id').executeTakeFirst()) return false;
  const rand = prng(2026);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('company').values({
      id: 'company', name: 'Acme Garden Supplies Ltd', address1: '1 Nursery Row', city: 'Leeds', post_code: 'LS1 4AP', country: 'GB',
      telephone: '0113 496 0000', vat_number: 'GB123456789', variant: 'Sage 50 Accounts Professional', updated_at: SEEDED_AT,
    }).execute();
    await tx.insertInto('nominal_accounts').values(NOMINAL_ACCOUNTS.map((a) => ({ ...a, updated_at: SEEDED_AT }))).execute();
    await tx.insertInto('journal').values([
      { period: PERIOD, account_code: '1200', debit: 25_000, credit: 0, reference: 'Opening balance', posted_at: SEEDED_AT, id: undefined },
      { period: PERIOD, account_code: '0030', debit: 5_000, credit: 0, reference: 'Opening balance', posted_at: SEEDED_AT, id: undefined },
      { period: PERIOD, account_code: '3000', debit: 0, credit: 30_000, reference: 'Opening balance', posted_at: SEEDED_AT, id: undefined },
    ]).execute();
    for (let from = 1; from <= size; from += BATCH) {
      const customers: Array<LedgerDatabase['customers']> = [];
      const addresses: Array<LedgerDatabase['addresses']> = [];
      const products: Array<LedgerDatabase['products']> = [];
      for (let i = from; i < Math.min(from + BATCH, size + 1); i++) {
        const id = `CUS${String(i).padStart(6, '0')}`;
        const [first, last] = [pick(FIRST), pick(LAST)];
        const business = rand() < 0.3;
        customers.push({
          id, first_name: first, last_name: last, email: `${first}.${last}.${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
          company_name: business ? `${last} & Co` : null, tax_id: business ? `GB${String(100_000_000 + i)}` : null, created_at: SEEDED_AT, updated_at: SEEDED_AT,
        });
        for (let a = 1; a <= (rand() < 0.25 ? 2 : 1); a++) {
          const [town, area] = pick(TOWNS);
          addresses.push({
            id: `${id}-A${a}`, customer_id: id, address1: `${1 + Math.floor(rand() * 200)} ${pick(STREETS)}`, address2: null, city: town,
            post_code: `${area} ${1 + Math.floor(rand() * 9)}${String.fromCharCode(65 + Math.floor(rand() * 26))}${String.fromCharCode(65 + Math.floor(rand() * 26))}`,
            country: 'GB', telephone: `01${Math.floor(100 + rand() * 900)} ${Math.floor(100_000 + rand() * 900_000)}`, updated_at: SEEDED_AT,
          });
        }
        const [name, category, price] = GOODS[i % GOODS.length]!;
        const brand = pick(BRANDS);
        products.push({
          id: `PRD${String(i).padStart(6, '0')}`, reference: `${brand.slice(0, 3).toUpperCase()}-${i}`, name: `${brand} ${name}`,
          description: `${name} by ${brand}, for every garden.`, bar_code: String(5_000_000_000_000 + i * 7), brand, category,
          net_price: Math.round(price * (0.8 + rand() * 0.4) * 100) / 100, tax_rate: 20, stock: Math.floor(rand() * 120), updated_at: SEEDED_AT,
        });
      }
      await tx.insertInto('customers').values(customers).execute();
      await tx.insertInto('addresses').values(addresses).execute();
      await tx.insertInto('products').values(products).execute();
    }
    await tx.insertInto('counters').values({ name: 'sales-order', value: 0 }).execute();
  });
  return true;
}
