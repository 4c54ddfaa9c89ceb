import { Type, type Static } from 'typebox';
import { Timestamp } from '../common.js';

// Field names follow Sage's published E-Commerce contract; fields it does not publish say "(added)".
const Str = (max = 255, description?: string) =>
  Type.String({ maxLength: max, ...(description ? { description } : {}) });
const Req = (max = 255) => Type.String({ minLength: 1, maxLength: max });
const Money = (description: string) => Type.Number({ description });
const Rate = (description: string) => Type.Number({ minimum: 0, description });

export const Address = Type.Object({
  id: Req(),
  contactName: Type.Optional(Str()),
  address1: Req(),
  address2: Type.Optional(Str()),
  city: Req(),
  country: Req(100),
  state: Type.Optional(Str()),
  region: Type.Optional(Str()),
  postCode: Req(20),
  telephone1: Req(40),
  telephone2: Type.Optional(Str(40)),
  timestamp: Timestamp,
});
export type Address = Static<typeof Address>;

export const Customer = Type.Object({
  id: Req(),
  idNumber: Type.Optional(Str(40, 'tax identification number')),
  firstName: Req(),
  lastName: Req(),
  email: Type.String({ format: 'email', maxLength: 254 }),
  addresses: Type.Array(Address),
  type: Type.Optional(Str(40, 'e.g. individual or company')),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' })),
  tax: Type.Optional(Rate('tax rate applied to the customer, percent')),
  surcharge: Type.Optional(Type.Boolean({ description: 'equivalence surcharge applies' })),
  timestamp: Timestamp,
});
export type Customer = Static<typeof Customer>;

export const Product = Type.Object({
  id: Req(),
  reference: Type.Optional(Str()),
  name: Req(),
  shortDescription: Type.Optional(Str(1000)),
  longDescription: Type.Optional(Str(20000)),
  barCodeType: Type.Optional(Str(40)),
  barCode: Type.Optional(Str(64)),
  netPrice: Money('unit price before tax'),
  tax: Rate('tax rate, percent'),
  discount: Type.Optional(Rate('discount rate, percent')),
  discountByUnit: Type.Boolean({ description: 'true: the discount applies per unit; false: on the line total' }),
  surcharge: Type.Optional(Type.Boolean()),
  dateAdded: Type.Optional(Timestamp),
  brand: Type.Optional(Str()),
  category: Type.Optional(Str(500, 'free text; may encode a hierarchy such as "Garden/Tools"')),
  stockQuantity: Type.Optional(Type.Number({ description: '(added) units in stock' })),
  weight: Type.Optional(Type.Number({ minimum: 0, description: '(added) weight in kg' })),
  timestamp: Timestamp,
});
export type Product = Static<typeof Product>;

export const OrderLine = Type.Object(
  {
    productId: Req(),
    quantity: Type.Number({ exclusiveMinimum: 0 }),
    unitPrice: Money('net unit price'),
    discount: Type.Optional(Money('discount amount on the line')),
    tax: Rate('tax rate, percent'),
  },
  { description: '(added) an order line' },
);
export type OrderLine = Static<typeof OrderLine>;

export const Order = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255, description: "the application's own order number" }),
  orderDate: Timestamp,
  eta: Type.Optional(Timestamp),
  orderStatus: Type.Optional(Str(40, 'e.g. pending, delivered')),
  deliveryAddress: Address,
  invoiceAddress: Address,
  customer: Customer,
  discount: Money('total discount amount'),
  currencyRate: Type.Number({ exclusiveMinimum: 0 }),
  paymentMethod: Req(100),
  totalShipping: Money('shipping amount'),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: '(added) ISO 4217' })),
  lines: Type.Array(OrderLine, { minItems: 1, description: '(added)' }),
  totalNet: Money('(added) sum of the lines net of discounts, before tax'),
  totalTax: Money('(added) tax amount'),
  total: Money('(added) totalNet + totalTax + totalShipping - discount'),
});
export type Order = Static<typeof Order>;

export const OrderRejectionCode = Type.Union([
  Type.Literal('unknown-product'),
  Type.Literal('unknown-customer'),
  Type.Literal('insufficient-stock'),
  Type.Literal('totals-mismatch'),
  Type.Literal('duplicate-order'),
  Type.Literal('credit-limit'),
  Type.Literal('invalid-order'),
  Type.Literal('other'),
]);

export const OrderResult = Type.Union(
  [
    Type.Object({
      id: Type.String({ minLength: 1, description: 'the order id this result answers' }),
      outcome: Type.Literal('accepted'),
      documentNumber: Type.String({ minLength: 1, description: "the instance's own document number" }),
      processedAt: Type.Optional(Timestamp),
    }),
    Type.Object({
      id: Type.String({ minLength: 1, description: 'the order id this result answers' }),
      outcome: Type.Literal('rejected'),
      reasons: Type.Array(
        Type.Object({ code: OrderRejectionCode, message: Type.String(), pointer: Type.Optional(Type.String()) }),
        { minItems: 1 },
      ),
      processedAt: Type.Optional(Timestamp),
    }),
  ],
  { description: 'one result per order of the upload' },
);
export type OrderResult = Static<typeof OrderResult>;
