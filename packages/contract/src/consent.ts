import { Type, type Static } from 'typebox';
import { Id, Timestamp } from './common.js';

export const InstanceId = Id('ins');
export const IntegrationId = Id('int');
export const PasscodeId = Id('pc');
export const ConsentId = Id('con');

const Secret = Type.String({
  minLength: 16,
  maxLength: 256,
  description: "the application's secret for this integration; needed again to rotate its API key",
});

// Admin: instances of accounting products
export const InstanceInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    product: Type.String({ minLength: 1, maxLength: 100, examples: ['Sage 50'] }),
  },
  { additionalProperties: false, title: 'InstanceInput' },
);
export const Instance = Type.Object(
  { instanceId: InstanceId, name: Type.String(), product: Type.String(), createdAt: Timestamp },
  { title: 'Instance' },
);
export const InstanceCreated = Type.Object(
  {
    instanceId: InstanceId,
    instanceKey: Type.String({ pattern: '^cci_', description: 'shown once; the instance sends it as X-Instance-Key' }),
    name: Type.String(),
    product: Type.String(),
    createdAt: Timestamp,
  },
  { title: 'InstanceCreated' },
);
export type InstanceCreated = Static<typeof InstanceCreated>;
export const InstanceParams = Type.Object({ instanceId: Type.String({ maxLength: 64 }) });

// Passcodes (application side)
export const PasscodeInput = Type.Object({ secret: Secret }, { additionalProperties: false });
export const PasscodeCreated = Type.Object(
  {
    passcodeId: PasscodeId,
    passcode: Type.String({
      pattern: '^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$',
      description: 'show it to the user',
    }),
    expires: Timestamp,
  },
  { title: 'PasscodeCreated' },
);
export type PasscodeCreated = Static<typeof PasscodeCreated>;
export const PasscodeParams = Type.Object({
  developerId: Type.String({ maxLength: 64 }),
  applicationId: Type.String({ maxLength: 64 }),
  passcodeId: Type.String({ maxLength: 64 }),
});
export const ApiKeyPending = Type.Object({ status: Type.Literal('pending') });
export const ApiKeyIssued = Type.Object({
  apikey: Type.String({ pattern: '^cck_' }),
  integrationId: IntegrationId,
  expires: Timestamp,
});

// Consent (instance side)
export type ApiKeyIssued = Static<typeof ApiKeyIssued>;
export const ConsentLookup = Type.Object(
  {
    passcode: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'as the user typed it: case, spaces and dashes are ignored',
    }),
  },
  { additionalProperties: false },
);
export const ConsentChallenge = Type.Object(
  {
    consentId: ConsentId,
    expires: Timestamp,
    application: Type.Object({
      id: Type.String(),
      name: Type.String(),
      description: Type.Union([Type.String(), Type.Null()]),
    }),
    developer: Type.Object({ name: Type.String(), company: Type.Union([Type.String(), Type.Null()]) }),
    solution: Type.Object({
      domain: Type.String(),
      title: Type.String(),
      scopes: Type.Array(Type.String()),
      uploads: Type.Array(Type.String()),
    }),
    replaces: Type.Union(
      [Type.Object({ integrationId: Type.String({ pattern: '^int_' }), createdAt: Timestamp }), Type.Null()],
      {
        description:
          'the application’s active integration with this instance, which granting revokes (integration.revoked is ' +
          'sent for it): the instance should say so, and since when it ran; null when there is none',
      },
    ),
  },
  { title: 'ConsentChallenge' },
);
export type ConsentChallenge = Static<typeof ConsentChallenge>;
export const ConsentParams = Type.Object({ consentId: Type.String({ maxLength: 64 }) });
export const ConsentGranted = Type.Object({ integrationId: IntegrationId });
export const ConsentDenied = Type.Object({ consentId: ConsentId, status: Type.Literal('denied') });

export const IntegrationStatus = Type.Union([Type.Literal('active'), Type.Literal('revoked')]);
export const ConnectorIntegration = Type.Object(
  {
    integrationId: IntegrationId,
    application: Type.Object({ id: Type.String(), name: Type.String() }),
    developer: Type.Object({ name: Type.String(), company: Type.Union([Type.String(), Type.Null()]) }),
    solution: Type.String(),
    status: IntegrationStatus,
    createdAt: Timestamp,
    revokedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'ConnectorIntegration' },
);
export type ConnectorIntegration = Static<typeof ConnectorIntegration>;
export const IntegrationParams = Type.Object({ integrationId: Type.String({ maxLength: 64 }) });

// API keys (application side)
export const ApiKeyRotation = Type.Object(
  {
    initialApikey: Type.String({ minLength: 1, maxLength: 128, description: 'the key being replaced, expired or not' }),
    secret: Secret,
  },
  { additionalProperties: false },
);
export const ApiKeyRotated = Type.Object({
  apikey: Type.String({ pattern: '^cck_' }),
  expires: Timestamp,
  previousKeyValidUntil: Timestamp,
});
export type ApiKeyRotated = Static<typeof ApiKeyRotated>;
export const Integration = Type.Object(
  {
    integrationId: IntegrationId,
    application: Type.Object({ id: Type.String(), name: Type.String() }),
    instance: Type.Object({ id: Type.String(), name: Type.String(), product: Type.String() }),
    solution: Type.String(),
    status: IntegrationStatus,
    keyExpires: Timestamp,
    createdAt: Timestamp,
  },
  { title: 'Integration' },
);
export type Integration = Static<typeof Integration>;
