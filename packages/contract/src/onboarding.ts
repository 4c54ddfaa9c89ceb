import { Type, type Static } from 'typebox';
import { Id, Timestamp } from './common.js';

export const DeveloperId = Id('dev');
export const ApplicationId = Id('app');

const NotificationUrl = Type.String({
  format: 'uri',
  maxLength: 2048,
  description:
    'Absolute https URL that receives the events. Plain http and loopback or private hosts only where ' +
    'the operator set ALLOW_INSECURE_NOTIFICATION_URLS=true.',
  examples: ['https://shop.example.com/connected-cloud/events'],
});
const Solution = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'domain of a published solution',
  examples: ['ecommerce'],
});
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const ApplicationInput = Type.Object(
  {
    name: Text(120),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    solution: Solution,
    notificationUrl: NotificationUrl,
  },
  { additionalProperties: false, title: 'ApplicationInput' },
);
export type ApplicationInput = Static<typeof ApplicationInput>;

export const DeveloperRegistration = Type.Object(
  {
    name: Text(120),
    email: Type.String({ format: 'email', maxLength: 254 }),
    company: Type.Optional(Type.String({ maxLength: 200 })),
    application: ApplicationInput,
  },
  { additionalProperties: false, title: 'DeveloperRegistration' },
);
export type DeveloperRegistration = Static<typeof DeveloperRegistration>;

export const RegistrationAccepted = Type.Object({
  registrationUrl: Type.String({ format: 'uri', description: 'open it in a browser to complete the registration' }),
  expires: Timestamp,
});
export type RegistrationAccepted = Static<typeof RegistrationAccepted>;

export const Application = Type.Object(
  {
    applicationId: ApplicationId,
    developerId: DeveloperId,
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    solution: Type.String(),
    notificationUrl: Type.String(),
    createdAt: Timestamp,
  },
  { title: 'Application' },
);
export type Application = Static<typeof Application>;

export const ApplicationCreated = Type.Object(
  {
    applicationId: ApplicationId,
    name: Type.String(),
    solution: Type.String(),
    notificationUrl: Type.String(),
    webhookSecret: Type.String({ pattern: '^whsec_', description: 'Standard Webhooks signing secret; shown once' }),
    createdAt: Timestamp,
  },
  { title: 'ApplicationCreated' },
);
export type ApplicationCreated = Static<typeof ApplicationCreated>;

export const ApplicationPatch = Type.Object(
  {
    name: Type.Optional(Text(120)),
    description: Type.Optional(Type.String({ maxLength: 1000, description: 'an empty string clears it' })),
    notificationUrl: Type.Optional(NotificationUrl),
  },
  { additionalProperties: false, minProperties: 1, title: 'ApplicationPatch' },
);
export type ApplicationPatch = Static<typeof ApplicationPatch>;

export const WebhookSecretRotated = Type.Object(
  {
    webhookSecret: Type.String({
      pattern: '^whsec_',
      description: 'the new Standard Webhooks signing secret; shown once',
    }),
    previousSecretValidUntil: Type.String({
      format: 'date-time',
      description: 'until then every event carries a signature made with the previous secret too (24 h)',
    }),
  },
  { title: 'WebhookSecretRotated' },
);
export type WebhookSecretRotated = Static<typeof WebhookSecretRotated>;

export const DeveloperParams = Type.Object({ developerId: Type.String({ maxLength: 64 }) });
export const ApplicationParams = Type.Object({
  developerId: Type.String({ maxLength: 64 }),
  applicationId: Type.String({ maxLength: 64 }),
});
