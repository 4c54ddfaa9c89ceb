import { Type } from 'typebox';
import {
  InboxItem,
  InboxQuery,
  ProgressReport,
  ResultQuery,
  UploadCreated,
  UploadLease,
  UploadListQuery,
  UploadParams,
  UploadQuery,
  UploadTracking,
  ValidationReport,
} from '../uploads.js';
import { defineRoute, json, records } from './define.js';
import { STORED_DESCRIPTION, storedFile } from './files.js';

export const UploadHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'the same key with the same body answers with the upload it made',
    }),
  ),
  'content-digest': Type.Optional(
    Type.String({
      maxLength: 1000,
      description: 'RFC 9530: sha-256 of the body, checked',
      examples: ['sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'],
    }),
  ),
});

/** The application sends uploads and tracks them (contract §6). */
export const uploadRoutes = {
  createUpload: defineRoute({
    operationId: 'createUpload',
    method: 'POST',
    path: '/api/uploads',
    tag: 'uploads',
    auth: 'apiKey',
    summary: 'Send a file for the instance to process: a JSON array of records of an upload type, streamed',
    description:
      'The bytes are stored as they arrive and acknowledged with 202 (status uploaded); validation against the ' +
      'upload type’s schema follows at once, then upload.validated. The same Idempotency-Key with the same body ' +
      'answers with the upload it made (Idempotent-Replayed: true); with another body, 409 idempotency-conflict. ' +
      'Content-Digest (sha-256, RFC 9530) is checked: 400 digest-mismatch. validateOnly=true answers 200 with ' +
      'the validation report and stores nothing. Limited per integration (RATE_LIMIT_UPLOADS): 429 rate-limited. ' +
      'The upload bodies an integration keeps are bounded by UPLOAD_QUOTA_BYTES: 413 quota-exceeded (before a byte ' +
      'is stored when Content-Length says so). A record larger than MAX_RECORD_BYTES makes the upload invalid ' +
      '(record-too-large at its pointer; with validateOnly, 422 at once); an invalid upload’s body is removed after ' +
      'INVALID_UPLOAD_RETENTION, its tracking stays.',
    query: UploadQuery,
    headers: UploadHeaders,
    body: records('upload', 'The records of the upload type: a JSON array'),
    responses: {
      200: json(ValidationReport, 'validateOnly=true: the validation report; nothing was stored'),
      202: {
        ...json(UploadCreated, 'Stored; validation follows'),
        headers: { 'Idempotent-Replayed': 'true when this answers an earlier request with the same Idempotency-Key' },
      },
    },
    problems: {
      429: ['rate-limited'],
      400: ['upload-type-invalid', 'digest-mismatch'],
      409: ['idempotency-conflict'],
      413: ['quota-exceeded'],
      422: ['record-too-large'],
    },
  }),
  listUploads: defineRoute({
    operationId: 'listUploads',
    method: 'GET',
    path: '/api/uploads',
    tag: 'uploads',
    auth: 'apiKey',
    summary: "The integration's uploads, newest first",
    query: UploadListQuery,
    responses: { 200: json(Type.Array(UploadTracking), 'The uploads') },
  }),
  getTracking: defineRoute({
    operationId: 'getTracking',
    method: 'GET',
    path: '/api/uploads/{fileId}/tracking',
    tag: 'uploads',
    auth: 'apiKey',
    summary: 'Where an upload is: stage, status, progress, errors, and the result once processed',
    description: 'Retry-After (seconds) says when to ask again while the upload is not in a final status.',
    params: UploadParams,
    responses: {
      200: {
        ...json(UploadTracking, 'The upload’s tracking'),
        headers: { 'Retry-After': 'Seconds until asking again is worth it; absent once the status is final' },
      },
    },
    problems: { 404: ['upload-not-found'] },
  }),
  getUploadResult: defineRoute({
    operationId: 'getUploadResult',
    method: 'GET',
    path: '/api/uploads/{fileId}/result',
    tag: 'uploads',
    auth: 'apiKey',
    summary: 'The result file the instance uploaded (where downloadResultUrl points)',
    description: `${STORED_DESCRIPTION} 404 result-not-found until the upload is accepted or failed.`,
    params: UploadParams,
    responses: storedFile('The JSON array of results, one per record of the upload'),
    problems: { 404: ['upload-not-found', 'result-not-found'], 416: ['range-not-satisfiable'], 503: ['not-ready'] },
  }),
} as const;

/** The instance takes uploads from its inbox, reports progress and uploads the result (contract §6). */
export const connectorUploadRoutes = {
  getInbox: defineRoute({
    operationId: 'getInbox',
    method: 'GET',
    path: '/api/connector/inbox',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'Valid uploads waiting for this instance, oldest first (at most 100)',
    description: 'With wait, an empty inbox answers as soon as an upload arrives, or with [] after that many seconds.',
    query: InboxQuery,
    responses: { 200: json(Type.Array(InboxItem), 'The waiting uploads') },
  }),
  claimUpload: defineRoute({
    operationId: 'claimUpload',
    method: 'POST',
    path: '/api/connector/uploads/{fileId}/claim',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'Take a pending upload: status downloaded, under a lease',
    description:
      'The lease lasts UPLOAD_LEASE seconds (10 min by default) and any progress report renews it; when it ends ' +
      'unrenewed the upload goes back to pending. 409 status-conflict when the upload is not pending.',
    params: UploadParams,
    responses: { 200: json(UploadLease, 'The lease') },
    problems: { 404: ['upload-not-found'], 409: ['status-conflict'] },
  }),
  getUploadContent: defineRoute({
    operationId: 'getUploadContent',
    method: 'GET',
    path: '/api/connector/uploads/{fileId}/content',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'The uploaded JSON array',
    description: STORED_DESCRIPTION,
    params: UploadParams,
    responses: storedFile('The JSON array the application uploaded'),
    problems: { 404: ['upload-not-found'], 416: ['range-not-satisfiable'], 503: ['not-ready'] },
  }),
  reportProgress: defineRoute({
    operationId: 'reportProgress',
    method: 'PATCH',
    path: '/api/connector/uploads/{fileId}',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'Report progress (status processing); renews the lease',
    description: '409 lease-required when the instance holds no lease on the upload; 409 status-conflict once final.',
    params: UploadParams,
    body: ProgressReport,
    responses: { 200: json(UploadLease, 'The renewed lease') },
    problems: { 404: ['upload-not-found'], 409: ['lease-required', 'status-conflict'] },
  }),
  putUploadResult: defineRoute({
    operationId: 'putUploadResult',
    method: 'PUT',
    path: '/api/connector/uploads/{fileId}/result',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'Upload the result file: the upload becomes accepted or failed and upload.completed is sent',
    description:
      'The body, a JSON array of one result per uploaded record, is validated against the upload type’s result ' +
      'schema (422 schema-invalid) and counted into the summary. status must be accepted when no record was ' +
      'rejected and failed when any was; a result whose count or ids differ from the upload’s, or whose status ' +
      'contradicts its counts, is refused with 422 result-mismatch. A refused result changes nothing and the lease ' +
      'stays. 409 lease-required when the instance holds no lease on the upload; 409 status-conflict once final.',
    params: UploadParams,
    query: ResultQuery,
    body: records('result', 'One result per record of the upload: a JSON array'),
    responses: { 200: json(UploadTracking, 'The upload, now final') },
    problems: {
      404: ['upload-not-found'],
      409: ['lease-required', 'status-conflict'],
      422: ['schema-invalid', 'result-mismatch', 'record-too-large'],
    },
  }),
} as const;
