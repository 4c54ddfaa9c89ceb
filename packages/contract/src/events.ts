import { Type, type Static, type TSchema } from 'typebox';
import { Id, Timestamp } from './common.js';
import { UploadSummary } from './uploads.js';

/** The event bodies sent to an application's notificationUrl (contract §7). */
const Instance = Type.Object({ id: Type.String(), name: Type.String(), product: Type.String() });

export const EventData = {
  'apikey.issued': Type.Object({
    integrationId: Id('int'),
    passcodeId: Id('pc'),
    apikey: Type.String({ pattern: '^cck_' }),
    expires: Timestamp,
    instance: Instance,
    solution: Type.String(),
  }),
  'consent.denied': Type.Object({ passcodeId: Id('pc') }),
  'integration.revoked': Type.Object({ integrationId: Id('int') }),
  'file.available': Type.Object({
    integrationId: Id('int'),
    fileId: Id('file'),
    scope: Type.String(),
    records: Type.Integer(),
    size: Type.Integer(),
    sha256: Type.String(),
    previousFileId: Type.Union([Id('file'), Type.Null()]),
    url: Type.String({ format: 'uri' }),
  }),
  'upload.validated': Type.Object({
    integrationId: Id('int'),
    fileId: Id('upl'),
    type: Type.String(),
    status: Type.Union([Type.Literal('valid'), Type.Literal('invalid')]),
    errorCount: Type.Integer(),
  }),
  'upload.completed': Type.Object({
    integrationId: Id('int'),
    fileId: Id('upl'),
    type: Type.String(),
    status: Type.Union([Type.Literal('accepted'), Type.Literal('failed')]),
    downloadResultUrl: Type.String({ format: 'uri' }),
    summary: UploadSummary,
  }),
  'webhook.test': Type.Object({}),
} as const satisfies Record<string, TSchema>;

export type EventType = keyof typeof EventData;
export const EventTypes = Object.keys(EventData) as EventType[];
export type EventDataOf<T extends EventType> = Static<(typeof EventData)[T]>;

/** The body of one event: what the receiver verifies and parses. */
export const eventBody = <T extends EventType>(type: T) =>
  Type.Object({ type: Type.Literal(type), timestamp: Timestamp, data: EventData[type] }, { title: `Event ${type}` });

export type EventBody = { [T in EventType]: { type: T; timestamp: string; data: EventDataOf<T> } }[EventType];

export const EventStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);

export const EventAttempt = Type.Object({
  attempt: Type.Integer(),
  attemptedAt: Timestamp,
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
});

export const EventSummary = Type.Object(
  {
    eventId: Id('evt'),
    type: Type.String(),
    status: EventStatus,
    attempts: Type.Integer(),
    createdAt: Timestamp,
    lastAttemptAt: Type.Union([Timestamp, Type.Null()]),
    nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
    deliveredAt: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'EventSummary' },
);
export type EventSummary = Static<typeof EventSummary>;
