import { Type, type Static } from 'typebox';
import { Id, ProblemItem, Timestamp } from './common.js';

export const UploadId = Id('upl');

export const UploadStatuses = [
  'uploaded',
  'validating',
  'valid',
  'invalid',
  'pending',
  'downloaded',
  'processing',
  'accepted',
  'failed',
] as const;
export type UploadStatus = (typeof UploadStatuses)[number];
/** Where an upload's journey ends: no status follows these. */
export const FinalUploadStatuses = ['invalid', 'accepted', 'failed'] as const satisfies readonly UploadStatus[];
export const UploadStatus = Type.Unsafe<UploadStatus>({
  type: 'string',
  enum: [...UploadStatuses],
  title: 'UploadStatus',
  description:
    'validation: uploaded → validating → valid | invalid (final); a valid upload moves on at once to processing: ' +
    'pending (waiting for the instance) → downloaded (claimed) → processing → accepted | failed (final). An expired ' +
    'lease puts a downloaded or processing upload back to pending.',
});

export const UploadQuery = Type.Object({
  type: Type.String({ maxLength: 64, description: 'an upload type of the integration’s solution, e.g. orders' }),
  validateOnly: Type.Optional(
    Type.Boolean({ default: false, description: 'validate and report; nothing is stored or sent' }),
  ),
});

export const UploadCreated = Type.Object(
  { fileId: UploadId, type: Type.String(), status: UploadStatus, trackingUrl: Type.String({ format: 'uri' }) },
  { title: 'UploadCreated' },
);
export type UploadCreated = Static<typeof UploadCreated>;

export const ValidationReport = Type.Object(
  {
    type: Type.String(),
    status: Type.Union([Type.Literal('valid'), Type.Literal('invalid')]),
    records: Type.Integer(),
    errorCount: Type.Integer(),
    errors: Type.Array(ProblemItem, { description: 'up to 100, pointers like /12/lines/0/quantity' }),
  },
  { title: 'ValidationReport', description: 'the answer to validateOnly=true: nothing was stored' },
);
export type ValidationReport = Static<typeof ValidationReport>;

export const UploadSummary = Type.Object(
  {
    records: Type.Integer({ minimum: 0, description: 'result records: one per uploaded record' }),
    accepted: Type.Integer({ minimum: 0, description: 'records the instance took in' }),
    rejected: Type.Integer({
      minimum: 0,
      description: 'records the instance refused; their reasons are in the result file',
    }),
  },
  {
    title: 'UploadSummary',
    description:
      'Counted by the platform from the result file. An upload ends accepted only when every record was accepted; ' +
      'one rejected record makes it failed, however many were accepted: the summary says how many of each.',
  },
);
export type UploadSummary = Static<typeof UploadSummary>;

export const UploadTracking = Type.Object(
  {
    fileId: UploadId,
    type: Type.String(),
    stage: Type.Union([Type.Literal('validation'), Type.Literal('processing')]),
    status: UploadStatus,
    progress: Type.Integer({
      minimum: 0,
      maximum: 100,
      description: 'within the whole journey: validation 0–40, processing 40–100',
    }),
    records: Type.Union([Type.Integer(), Type.Null()], { description: 'null until validated' }),
    size: Type.Integer({ description: 'bytes' }),
    errorCount: Type.Integer(),
    errors: Type.Array(ProblemItem, {
      description:
        'why the upload is invalid, or (failed) the first rejected records’ reasons, pointer /<index>: up to 100',
    }),
    downloadResultUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
      description: 'set once accepted or failed',
    }),
    summary: Type.Optional(UploadSummary),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'UploadTracking' },
);
export type UploadTracking = Static<typeof UploadTracking>;

export const UploadParams = Type.Object({ fileId: Type.String({ maxLength: 64 }) });
export const UploadListQuery = Type.Object({
  status: Type.Optional(UploadStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const InboxQuery = Type.Object({
  wait: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 30,
      default: 0,
      description: 'seconds to wait for an upload when none is waiting (long poll)',
    }),
  ),
});
export const InboxItem = Type.Object(
  { fileId: UploadId, integrationId: Id('int'), type: Type.String(), records: Type.Integer(), size: Type.Integer() },
  { title: 'InboxItem' },
);
export type InboxItem = Static<typeof InboxItem>;

export const UploadLease = Type.Object(
  {
    fileId: UploadId,
    integrationId: Id('int'),
    type: Type.String(),
    status: UploadStatus,
    progress: Type.Integer({ minimum: 0, maximum: 100, description: 'as the instance last reported it' }),
    records: Type.Integer(),
    size: Type.Integer(),
    sha256: Type.String(),
    leaseExpires: Timestamp,
    contentUrl: Type.String({ format: 'uri' }),
  },
  { title: 'UploadLease', description: 'an upload the instance holds a lease on; any progress report renews it' },
);
export type UploadLease = Static<typeof UploadLease>;

export const ProgressReport = Type.Object(
  { status: Type.Literal('processing'), progress: Type.Integer({ minimum: 0, maximum: 100 }) },
  { additionalProperties: false },
);
export const ResultQuery = Type.Object({ status: Type.Union([Type.Literal('accepted'), Type.Literal('failed')]) });
