import { Type, type Static } from 'typebox';
import { Timestamp } from '../common.js';

// Sage's published Trial Balance contract (comp-nominalv1); fields it does not publish say "(added)".
const Opt = (max = 255) => Type.Optional(Type.String({ maxLength: max }));
const Flag = Type.Boolean();

export const CompanySetting = Type.Object({
  id: Type.String({ minLength: 1, description: '(added) the record id every scope record carries' }),
  companyId: Type.String({ minLength: 1 }),
  name: Opt(),
  address1: Opt(),
  address2: Opt(),
  city: Opt(),
  state: Type.Optional(Type.String({ maxLength: 255, description: 'county' })),
  postCode: Opt(20),
  country: Type.String({ minLength: 1, maxLength: 100 }),
  telephone: Opt(40),
  vatRegistrationNumber: Opt(40),
  lastBackupDate: Type.Optional(Timestamp),
  lastRestoreDate: Type.Optional(Timestamp),
  lastCheckDataDate: Type.Optional(Timestamp),
  lastCheckDataErrors: Type.Optional(Type.Integer({ minimum: 0 })),
  lastCheckDataWarnings: Type.Optional(Type.Integer({ minimum: 0 })),
  lastCheckDataComments: Type.Optional(Type.Integer({ minimum: 0 })),
  variant: Type.String({ minLength: 1, description: 'the program type, e.g. Sage 50 Accounts Professional' }),
  gocardlessState: Flag,
  invoicePaymentsState: Flag,
  sagePaymentsState: Flag,
  sagePayState: Flag,
  bankFeedsState: Flag,
  cisState: Flag,
  charityState: Flag,
  eBankingState: Flag,
  mtdForVATState: Flag,
  office365State: Flag,
  timestamp: Timestamp,
});
export type CompanySetting = Static<typeof CompanySetting>;

export const NominalAccount = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    code: Type.String({ minLength: 1, maxLength: 20, description: 'nominal code, e.g. 4000' }),
    name: Type.String({ minLength: 1, maxLength: 255 }),
    type: Type.Union([
      Type.Literal('asset'),
      Type.Literal('liability'),
      Type.Literal('equity'),
      Type.Literal('income'),
      Type.Literal('expense'),
    ]),
    category: Type.Optional(
      Type.String({ maxLength: 255, description: 'chart of accounts category, e.g. Current Assets' }),
    ),
    timestamp: Timestamp,
  },
  { description: '(added) a nominal ledger account' },
);
export type NominalAccount = Static<typeof NominalAccount>;

export const TrialBalanceLine = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'unique per account and period' }),
    accountCode: Type.String({ minLength: 1, maxLength: 20 }),
    accountName: Type.Optional(Type.String({ maxLength: 255 })),
    period: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'accounting period, YYYY-MM' }),
    debit: Type.Number({ minimum: 0 }),
    credit: Type.Number({ minimum: 0 }),
    balance: Type.Number({ description: 'debit minus credit' }),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    timestamp: Timestamp,
  },
  { description: '(added) one trial balance line' },
);
export type TrialBalanceLine = Static<typeof TrialBalanceLine>;
