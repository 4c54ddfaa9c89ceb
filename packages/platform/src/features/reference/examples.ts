type Schema = Record<string, any>;

const ID_SUFFIX = '4CjRZf7q1pTz8WkX2mYb0v';

/** Values a real developer would see, by the name of the field or parameter. */
const byName: Record<string, unknown> = {
  developerId: `dev_${ID_SUFFIX}`,
  applicationId: `app_${ID_SUFFIX}`,
  passcodeId: `pc_${ID_SUFFIX}`,
  consentId: `con_${ID_SUFFIX}`,
  integrationId: `int_${ID_SUFFIX}`,
  instanceId: `ins_${ID_SUFFIX}`,
  eventId: `evt_${ID_SUFFIX}`,
  fileId: `file_${ID_SUFFIX}`,
  // By context (the schema's title, or the property holding the object) then name.
  'DeveloperRegistration.name': 'Ada Lovelace',
  'application.name': 'ShopSync',
  'ApplicationInput.name': 'LedgerLens',
  'parameter.name': 'orders',
  'InstanceInput.name': 'Acme Garden Supplies Ltd',
  'ecommerce orders.id': 'SO-1001',
  'ecommerce orders-result.id': 'SO-1001',
  'ecommerce customers.id': 'C-1001',
  'customer.id': 'C-1001',
  'customer.type': 'individual',
  'deliveryAddress.id': 'A-1',
  'invoiceAddress.id': 'A-1',
  'addresses.id': 'A-1',
  domain: 'ecommerce',
  solution: 'ecommerce',
  scope: 'products',
  token: 'rg_Vx2Pq8LmZ3aT6yKc1NbW0sEf',
  since: `file_3BfQYe6p0oSy7VjW1lXa9u`,
  type: 'orders',
  passcode: 'PMWG-TBVN',
  'idempotency-key': 'orders-2026-11-28-batch-7',
  secret: 'a secret of 16+ characters',
  initialApikey: 'cck_3fT9qLmZ2xV8pRk1WcN7yBs4Hj6Dg0Ae5Qu1Ks',
  name: 'Garden spade',
  firstName: 'Ada',
  lastName: 'Lovelace',
  contactName: 'Ada Lovelace',
  company: 'Analytical Engines Ltd',
  email: 'ada@example.com',
  description: 'Keeps the web shop’s stock and orders in step with Sage 50',
  notificationUrl: 'https://shop.example.com/connected-cloud/events',
  product: 'Sage 50',
  address1: '12 Albion Street',
  city: 'Leeds',
  country: 'GB',
  postCode: 'LS1 5ER',
  telephone1: '+44 113 496 0000',
  telephone: '+44 113 496 0000',
  currency: 'GBP',
  paymentMethod: 'card',
  orderStatus: 'pending',
  reference: 'SPD-001',
  brand: 'Bulldog',
  category: 'Garden/Tools',
  productId: 'P-1001',
  netPrice: 24.5,
  unitPrice: 24.5,
  quantity: 2,
  tax: 20,
  discount: 0,
  currencyRate: 1,
  totalShipping: 4.95,
  totalNet: 49,
  totalTax: 9.8,
  total: 63.75,
  stockQuantity: 38,
  weight: 1.6,
  progress: 50,
  accountCode: '4000',
  code: '4000',
  period: '2026-10',
  debit: 0,
  credit: 12500,
  balance: -12500,
  documentNumber: 'SO-10452',
  variant: 'Sage 50 Accounts Professional',
  companyId: 'ACME-01',
};

/**
 * An example value of a JSON Schema, made from the schema itself (its examples, formats, patterns and bounds) with
 * realistic values chosen by field name: examples that stay true when the schema changes (a test validates them).
 */
export function exampleOf(schema: Schema, name?: string, context?: string): unknown {
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (context && name && `${context}.${name}` in byName) {
    const hinted = byName[`${context}.${name}`];
    if (typeof hinted === typeof exampleOf({ ...schema, examples: undefined })) return hinted;
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return name && schema.enum.includes(byName[name]) ? byName[name] : schema.enum[0];
  if ('default' in schema) return schema.default;
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[key])) {
      const branches = (schema[key] as Schema[]).filter((b) => b.type !== 'null');
      const named = branches.find((b) => name && 'const' in b && b.const === byName[name]);
      return exampleOf(named ?? branches[0] ?? schema[key][0], name, schema.title ?? context);
    }
  }
  if (Array.isArray(schema.allOf))
    return Object.assign({}, ...(schema.allOf as Schema[]).map((s) => exampleOf(s, name, context)));
  switch (schema.type) {
    case 'object': {
      // Optional members only where a real value is known: a placeholder would teach nothing.
      const inner = schema.title ?? name ?? context;
      const required = new Set<string>(schema.required ?? []);
      const shown = Object.entries((schema.properties ?? {}) as Record<string, Schema>).filter(
        ([key, s]) =>
          required.has(key) ||
          key in byName ||
          `${inner}.${key}` in byName ||
          s.format === 'date-time' ||
          s.type === 'object',
      );
      return Object.fromEntries(shown.map(([key, s]) => [key, exampleOf(s, key, inner)]));
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        exampleOf(schema.items ?? {}, name, context),
      );
    case 'string':
      return stringExample(schema, name);
    case 'integer':
    case 'number': {
      const hinted = name !== undefined ? byName[name] : undefined;
      if (typeof hinted === 'number' && fits(schema, hinted)) return hinted;
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    }
    case 'boolean':
      return name === 'discountByUnit' ? true : false;
    case 'null':
      return null;
    default:
      return {};
  }
}

const fits = (schema: Schema, n: number) =>
  (schema.minimum === undefined || n >= schema.minimum) &&
  (schema.maximum === undefined || n <= schema.maximum) &&
  (schema.exclusiveMinimum === undefined || n > schema.exclusiveMinimum) &&
  (schema.type !== 'integer' || Number.isInteger(n));

function stringExample(schema: Schema, name?: string): string {
  const hinted = name !== undefined ? byName[name] : undefined;
  if (schema.format === 'date-time') return '2026-11-28T10:00:00.000Z';
  if (schema.format === 'email') return 'ada@example.com';
  if (schema.format === 'uri')
    return typeof hinted === 'string' && hinted.startsWith('https://')
      ? hinted
      : `https://cloud.example.com/api/${name ?? 'resource'}`;
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern) : undefined;
  if (typeof hinted === 'string' && (!pattern || pattern.test(hinted))) return hinted;
  if (pattern) {
    const prefix = /^\^([a-z]+_)/.exec(schema.pattern)?.[1];
    if (prefix) return `${prefix}${ID_SUFFIX}${prefix === 'cck_' || prefix === 'cci_' ? 'Xy7Kp2QmWs9' : ''}`;
    if (schema.pattern === '^[A-Z]{3}$') return 'GBP';
  }
  if (name === 'id') return 'P-1001';
  return typeof schema.minLength === 'number' && schema.minLength > 1
    ? 'x'.repeat(schema.minLength)
    : `${name ?? 'text'}`;
}
