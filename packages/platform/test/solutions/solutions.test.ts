import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const now = '2026-11-28T10:00:00.000Z';
const address = {
  id: 'a1',
  address1: '1 High St',
  city: 'Leeds',
  country: 'GB',
  postCode: 'LS1 1AA',
  telephone1: '+44 113 000 0000',
  timestamp: now,
};
const customer = {
  id: 'c1',
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada@example.com',
  addresses: [address],
  timestamp: now,
};
const samples: Record<string, { valid: unknown; invalid: unknown }> = {
  'ecommerce/customers': { valid: customer, invalid: { ...customer, email: 'nope' } },
  'ecommerce/products': {
    valid: { id: 'p1', name: 'Widget', netPrice: 9.5, tax: 20, discountByUnit: true, timestamp: now },
    invalid: { id: 'p1', name: 'Widget', netPrice: '9.5', tax: 20, discountByUnit: true, timestamp: now },
  },
  'ecommerce/orders': {
    valid: {
      id: 'SO-1',
      orderDate: now,
      deliveryAddress: address,
      invoiceAddress: address,
      customer,
      discount: 0,
      currencyRate: 1,
      paymentMethod: 'card',
      totalShipping: 5,
      lines: [{ productId: 'p1', quantity: 2, unitPrice: 9.5, tax: 20 }],
      totalNet: 19,
      totalTax: 3.8,
      total: 27.8,
    },
    invalid: { id: 'SO-1', orderDate: now, lines: [] },
  },
  'ecommerce/orders-result': {
    valid: { id: 'SO-1', outcome: 'rejected', reasons: [{ code: 'unknown-product', message: 'No product p9' }] },
    invalid: { id: 'SO-1', outcome: 'accepted' },
  },
  'comp-nominalv1/company-settings': {
    valid: {
      id: 'co',
      companyId: 'co',
      country: 'GB',
      variant: 'Sage 50 Accounts',
      timestamp: now,
      ...Object.fromEntries(
        [
          'gocardless',
          'invoicePayments',
          'sagePayments',
          'sagePay',
          'bankFeeds',
          'cis',
          'charity',
          'eBanking',
          'mtdForVAT',
          'office365',
        ].map((k) => [`${k}State`, false]),
      ),
    },
    invalid: { id: 'co', companyId: 'co', country: 'GB', variant: 'x', timestamp: now },
  },
  'comp-nominalv1/nominal-accounts': {
    valid: { id: '4000', code: '4000', name: 'Sales', type: 'income', timestamp: now },
    invalid: { id: '4000', code: '4000', name: 'Sales', type: 'revenue', timestamp: now },
  },
  'comp-nominalv1/trial-balance': {
    valid: {
      id: '4000/2026-11',
      accountCode: '4000',
      period: '2026-11',
      debit: 0,
      credit: 100,
      balance: -100,
      timestamp: now,
    },
    invalid: {
      id: '4000/2026-11',
      accountCode: '4000',
      period: '2026-13',
      debit: 0,
      credit: 100,
      balance: -100,
      timestamp: now,
    },
  },
};

describe('solutions', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ store: { kind: 'sqlite', databaseUrl: undefined } });
  });
  afterAll(async () => platform?.stop());

  it('lists the two built-in solutions with their scopes and upload types', async () => {
    const { status, body } = await platform.api('GET', '/api/solutions');
    expect(status).toBe(200);
    const byDomain = Object.fromEntries(body.map((s: { domain: string }) => [s.domain, s]));
    expect(byDomain.ecommerce.scopes.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(['customers', 'products']),
    );
    expect(byDomain.ecommerce.uploads).toEqual([
      {
        type: 'orders',
        title: 'Orders',
        schemaUrl: `${platform.url}/api/solutions/ecommerce/schemas/orders.json`,
        resultSchemaUrl: `${platform.url}/api/solutions/ecommerce/schemas/orders-result.json`,
      },
    ]);
    expect(byDomain['comp-nominalv1'].scopes.map((s: { name: string }) => s.name)).toEqual([
      'company-settings',
      'nominal-accounts',
      'trial-balance',
    ]);
    expect((await platform.api('GET', '/api/solutions/ecommerce')).body).toEqual(byDomain.ecommerce);
  });

  it('serves a draft 2020-12 schema with $id for every scope, upload and result, which validates real records', async () => {
    const { body: solutions } = await platform.api('GET', '/api/solutions');
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const urls: Array<[string, string]> = [];
    for (const s of solutions) {
      for (const scope of s.scopes) urls.push([`${s.domain}/${scope.name}`, scope.schemaUrl]);
      for (const u of s.uploads)
        urls.push([`${s.domain}/${u.type}`, u.schemaUrl], [`${s.domain}/${u.type}-result`, u.resultSchemaUrl]);
    }
    expect(urls.map(([k]) => k).sort()).toEqual(Object.keys(samples).sort());
    for (const [key, url] of urls) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/schema\+json/);
      const schema = (await res.json()) as Record<string, unknown>;
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id).toBe(url);
      const validate = ajv.compile(schema);
      expect(validate(samples[key]!.valid), `${key} valid sample: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(validate(samples[key]!.invalid), `${key} invalid sample`).toBe(false);
    }
  });

  it('answers unknown solutions and schemas with 404 problems', async () => {
    const solution = await platform.api('GET', '/api/solutions/payroll');
    expect([solution.status, solution.body.code]).toEqual([404, 'solution-not-found']);
    const schema = await platform.api('GET', '/api/solutions/ecommerce/schemas/invoices.json');
    expect([schema.status, schema.body.code]).toEqual([404, 'schema-not-found']);
    const ofOther = await platform.api('GET', '/api/solutions/comp-nominalv1/schemas/orders.json');
    expect([ofOther.status, ofOther.body.code]).toEqual([404, 'schema-not-found']);
  });
});
