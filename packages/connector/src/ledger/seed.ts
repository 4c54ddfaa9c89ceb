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

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Tim',
  'Mary',
  'Charles',
  'Sophie',
  'Rosalind',
  'James',
  'Karen',
  'Edsger',
  'Barbara',
  'Margaret',
  'Dennis',
  'Frances',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Berners-Lee',
  'Somerville',
  'Babbage',
  'Wilson',
  'Franklin',
  'Maxwell',
  'Spärck Jones',
  'Dijkstra',
  'Liskov',
  'Hamilton',
  'Ritchie',
  'Allen',
];
const TOWNS: Array<[string, string]> = [
  ['Leeds', 'LS1'],
  ['York', 'YO1'],
  ['Bristol', 'BS1'],
  ['Manchester', 'M1'],
  ['Newcastle', 'NE1'],
  ['Norwich', 'NR1'],
  ['Bath', 'BA1'],
  ['Durham', 'DH1'],
];
const STREETS = [
  'High Street',
  'Station Road',
  'Church Lane',
  'Mill Road',
  'Park Avenue',
  'Victoria Street',
  'Green Lane',
];
/** Name, category, price in pence, VAT code: garden goods as a UK shop sells them. */
const GOODS: Array<[string, string, number, string]> = [
  ['Spade', 'Garden/Tools/Digging', 2499, 'T1'],
  ['Rake', 'Garden/Tools/Digging', 1750, 'T1'],
  ['Trowel', 'Garden/Tools/Hand tools', 675, 'T1'],
  ['Secateurs', 'Garden/Tools/Cutting', 1420, 'T1'],
  ['Watering can', 'Garden/Watering', 999, 'T1'],
  ['Hose reel', 'Garden/Watering', 3900, 'T1'],
  ['Compost 50 l', 'Garden/Soil', 745, 'T1'],
  ['Seed tray', 'Garden/Propagation', 210, 'T1'],
  ['Wheelbarrow', 'Garden/Tools/Carrying', 6499, 'T1'],
  ['Gloves', 'Garden/Clothing', 550, 'T1'],
  ['Bird feeder', 'Garden/Wildlife', 1225, 'T1'],
  ['Plant pot 30 cm', 'Garden/Pots', 480, 'T1'],
  // Seeds of food plants are zero-rated, domestic firewood is reduced-rate, and a plant-care guarantee is insurance (exempt).
  ['Vegetable seeds', 'Garden/Seeds', 199, 'T0'],
  ['Kiln-dried logs 40 l', 'Garden/Fuel', 695, 'T5'],
  ['Plant guarantee card', 'Garden/Services', 500, 'T2'],
];
const BRANDS = ['Bulldog', 'Spear & Jackson', 'Haws', 'Fiskars', 'Westland'];

/** Sage 50's UK tax codes as a VAT-registered company has them. */
export const VAT_CODES: Array<LedgerDatabase['vat_codes']> = [
  { code: 'T0', rate_bp: 0, description: 'Zero rated' },
  { code: 'T1', rate_bp: 2000, description: 'Standard rate' },
  { code: 'T2', rate_bp: 0, description: 'Exempt' },
  { code: 'T5', rate_bp: 500, description: 'Reduced rate' },
  { code: 'T9', rate_bp: 0, description: 'Transactions not involving VAT' },
];

/** Sage 50's standard UK chart of accounts, the part this company uses. */
export const NOMINAL_ACCOUNTS: Array<Pick<LedgerDatabase['nominal_accounts'], 'code' | 'name' | 'type' | 'category'>> =
  [
    { code: '0030', name: 'Office equipment', type: 'asset', category: 'Fixed Assets' },
    { code: '1001', name: 'Stock', type: 'asset', category: 'Current Assets' },
    { code: '1100', name: 'Debtors control account', type: 'asset', category: 'Current Assets' },
    { code: '1200', name: 'Bank current account', type: 'asset', category: 'Current Assets' },
    { code: '2100', name: 'Creditors control account', type: 'liability', category: 'Current Liabilities' },
    { code: '2200', name: 'Sales tax control account', type: 'liability', category: 'Current Liabilities' },
    { code: '2201', name: 'Purchase tax control account', type: 'liability', category: 'Current Liabilities' },
    { code: '3000', name: 'Capital', type: 'equity', category: 'Capital & Reserves' },
    { code: '3200', name: 'Profit and loss account', type: 'equity', category: 'Capital & Reserves' },
    { code: '4000', name: 'Sales type A', type: 'income', category: 'Sales' },
    { code: '4001', name: 'Sales type B', type: 'income', category: 'Sales' },
    { code: '4009', name: 'Discounts allowed', type: 'income', category: 'Sales' },
    { code: '4905', name: 'Distribution and carriage', type: 'income', category: 'Other sales' },
    { code: '5000', name: 'Materials purchased', type: 'expense', category: 'Purchases' },
  ];

/** Goods go to Sales type A, services (the guarantee) to Sales type B. */
const nominalOf = (vat: string) => (vat === 'T2' ? '4001' : '4000');

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
    await tx
      .insertInto('company')
      .values({
        id: 'company',
        name: 'Acme Garden Supplies Ltd',
        address1: '1 Nursery Row',
        city: 'Leeds',
        post_code: 'LS1 4AP',
        country: 'GB',
        telephone: '0113 496 0000',
        vat_number: 'GB123456789',
        variant: 'Sage 50 Accounts Professional',
        default_credit_limit_pence: 200_000,
        updated_at: SEEDED_AT,
      })
      .execute();
    await tx.insertInto('vat_codes').values(VAT_CODES).execute();
    await tx
      .insertInto('nominal_accounts')
      .values(NOMINAL_ACCOUNTS.map((a) => ({ ...a, updated_at: SEEDED_AT })))
      .execute();
    let stockValue = 0; // at cost, for the opening balance
    for (let from = 1; from <= size; from += BATCH) {
      const customers: Array<LedgerDatabase['customers']> = [];
      const addresses: Array<LedgerDatabase['addresses']> = [];
      const products: Array<LedgerDatabase['products']> = [];
      for (let i = from; i < Math.min(from + BATCH, size + 1); i++) {
        const id = `CUS${String(i).padStart(6, '0')}`;
        const [first, last] = [pick(FIRST), pick(LAST)];
        const business = rand() < 0.3;
        customers.push({
          id,
          first_name: first,
          last_name: last,
          email: `${first}.${last}.${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
          company_name: business ? `${last} & Co` : null,
          tax_id: business ? `GB${String(100_000_000 + i)}` : null,
          // Trade accounts get more credit than people buying for their own gardens.
          credit_limit_pence: business
            ? 500_000 + 250_000 * Math.floor(rand() * 9)
            : 100_000 + 50_000 * Math.floor(rand() * 5),
          created_at: SEEDED_AT,
          updated_at: SEEDED_AT,
        });
        for (let a = 1; a <= (rand() < 0.25 ? 2 : 1); a++) {
          const [town, area] = pick(TOWNS);
          addresses.push({
            id: `${id}-A${a}`,
            customer_id: id,
            address1: `${1 + Math.floor(rand() * 200)} ${pick(STREETS)}`,
            address2: null,
            city: town,
            post_code: `${area} ${1 + Math.floor(rand() * 9)}${String.fromCharCode(65 + Math.floor(rand() * 26))}${String.fromCharCode(65 + Math.floor(rand() * 26))}`,
            country: 'GB',
            telephone: `01${Math.floor(100 + rand() * 900)} ${Math.floor(100_000 + rand() * 900_000)}`,
            updated_at: SEEDED_AT,
          });
        }
        const [name, category, price, vat] = GOODS[i % GOODS.length]!;
        const brand = pick(BRANDS);
        const net = Math.round(price * (0.8 + rand() * 0.4));
        const cost = Math.round(net * 0.55);
        const stock = Math.floor(rand() * 120);
        stockValue += cost * stock;
        products.push({
          id: `PRD${String(i).padStart(6, '0')}`,
          reference: `${brand.slice(0, 3).toUpperCase()}-${i}`,
          name: `${brand} ${name}`,
          description: `${name} by ${brand}, for every garden.`,
          bar_code: String(5_000_000_000_000 + i * 7),
          brand,
          category,
          net_price_pence: net,
          cost_price_pence: cost,
          vat_code: vat,
          nominal_code: nominalOf(vat),
          stock,
          updated_at: SEEDED_AT,
        });
      }
      await tx.insertInto('customers').values(customers).execute();
      await tx.insertInto('addresses').values(addresses).execute();
      await tx.insertInto('products').values(products).execute();
    }
    // Opening balances, balanced: the bank, the equipment and the stock at cost, against the owners' capital.
    const opening = (account_code: string, debit_pence: number, credit_pence: number) => ({
      id: undefined,
      period: PERIOD,
      account_code,
      debit_pence,
      credit_pence,
      vat_code: null,
      reference: 'Opening balance',
      posted_at: SEEDED_AT,
    });
    await tx
      .insertInto('journal')
      .values([
        opening('1200', 2_500_000, 0),
        opening('0030', 500_000, 0),
        opening('1001', stockValue, 0),
        opening('3000', 0, 3_000_000 + stockValue),
      ])
      .execute();
    await tx.insertInto('counters').values({ name: 'sales-order', value: 0 }).execute();
  });
  return true;
}
