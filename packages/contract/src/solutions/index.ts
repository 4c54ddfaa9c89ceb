import { Type, type Static, type TSchema } from 'typebox';
import { Customer, Order, OrderResult, Product } from './ecommerce.js';
import { CompanySetting, NominalAccount, TrialBalanceLine } from './nominal.js';

export * from './ecommerce.js';
export * from './nominal.js';

export interface ScopeDefinition {
  name: string;
  title: string;
  record: TSchema;
}
export interface UploadDefinition {
  type: string;
  title: string;
  record: TSchema;
  result: TSchema;
}
export interface SolutionDefinition {
  domain: string;
  title: string;
  version: string;
  description: string;
  scopes: ScopeDefinition[];
  uploads: UploadDefinition[];
}

// Literal-typed, so that clients can name a scope or an upload type and get its record's type (see ScopeRecord).
const solutions = [
  {
    domain: 'ecommerce',
    title: 'E-Commerce',
    version: '1.0.0',
    description: 'Products and customers from the accounting product; orders from the web shop.',
    scopes: [
      { name: 'customers', title: 'Customers', record: Customer },
      { name: 'products', title: 'Products', record: Product },
    ],
    uploads: [{ type: 'orders', title: 'Orders', record: Order, result: OrderResult }],
  },
  {
    domain: 'comp-nominalv1',
    title: 'Trial Balance',
    version: '1.0.0',
    description: 'Company settings, nominal accounts and the trial balance from the accounting product.',
    scopes: [
      { name: 'company-settings', title: 'Company settings', record: CompanySetting },
      { name: 'nominal-accounts', title: 'Nominal accounts', record: NominalAccount },
      { name: 'trial-balance', title: 'Trial balance', record: TrialBalanceLine },
    ],
    uploads: [],
  },
] as const;

/** The built-in solutions: the one list the platform, the SDK and the connector share. */
export const builtInSolutions: SolutionDefinition[] = solutions.map((s) => ({
  ...s,
  scopes: [...s.scopes],
  uploads: [...s.uploads],
}));

type BuiltInScope = (typeof solutions)[number]['scopes'][number];
type BuiltInUpload = (typeof solutions)[number]['uploads'][number];
/** The scope names of the built-in solutions, e.g. `products`. */
export type ScopeName = BuiltInScope['name'];
/** The upload types of the built-in solutions, e.g. `orders`. */
export type UploadType = BuiltInUpload['type'];
// The records by name, as concrete object types. A conditional type computing Static<...> of a schema picked by a
// type parameter made TypeScript measure the variance of TypeBox's StaticType: an SDK user's program that called
// uploads.create took 1.3 million type instantiations and 5 s to check; through these maps, 30 thousand and 0.6 s.
type ScopeRecords = { [S in BuiltInScope as S['name']]: Static<S['record']> };
type UploadRecords = { [U in BuiltInUpload as U['type']]: Static<U['record']> };
type UploadResultRecords = { [U in BuiltInUpload as U['type']]: Static<U['result']> };
/** The record of a scope (`ScopeRecord<'products'>` is Product); any other name, a plain object. */
export type ScopeRecord<S extends string> = S extends ScopeName ? ScopeRecords[S] : Record<string, unknown>;
/** The record an upload of this type carries (`UploadRecord<'orders'>` is Order). */
export type UploadRecord<T extends string> = T extends UploadType ? UploadRecords[T] : Record<string, unknown>;
/** One record of the result file of an upload of this type (`UploadResultRecord<'orders'>` is OrderResult). */
export type UploadResultRecord<T extends string> = T extends UploadType
  ? UploadResultRecords[T]
  : Record<string, unknown>;

export const SolutionSummary = Type.Object(
  {
    domain: Type.String(),
    title: Type.String(),
    version: Type.String(),
    description: Type.String(),
    scopes: Type.Array(
      Type.Object({ name: Type.String(), title: Type.String(), schemaUrl: Type.String({ format: 'uri' }) }),
    ),
    uploads: Type.Array(
      Type.Object({
        type: Type.String(),
        title: Type.String(),
        schemaUrl: Type.String({ format: 'uri' }),
        resultSchemaUrl: Type.String({ format: 'uri' }),
      }),
    ),
  },
  { title: 'Solution' },
);
export type SolutionSummary = Static<typeof SolutionSummary>;

export const SolutionParams = Type.Object({ domain: Type.String({ maxLength: 64 }) });
export const SchemaParams = Type.Object({
  domain: Type.String({ maxLength: 64 }),
  name: Type.String({ maxLength: 64, description: 'a scope name, an upload type, or `<upload type>-result`' }),
});
