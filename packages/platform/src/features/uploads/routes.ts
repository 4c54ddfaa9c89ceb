import type { Readable } from 'node:stream';
import {
  InboxItem,
  InboxQuery,
  Problem,
  ProgressReport,
  ResultQuery,
  UploadCreated,
  UploadLease,
  UploadListQuery,
  UploadParams,
  UploadQuery,
  UploadTracking,
  ValidationReport,
} from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';
import { MAX_FILE, STORED_DESCRIPTION, acceptStreamedJson, sendStored, storedResponses } from '../../infra/http/streaming.js';
import { retryAfter } from './status.js';

const security = [{ apiKey: [] }];
const instanceSecurity = [{ instanceKey: [] }];

/** The application sends uploads and tracks them (contract §6). */
export async function uploadRoutes(app: App): Promise<void> {
  const { uploads, auth, blobs } = app.platform;
  app.addHook('onRequest', auth.apiKey);
  acceptStreamedJson(app);

  app.post(
    '/api/uploads',
    {
      bodyLimit: MAX_FILE,
      schema: {
        tags: ['uploads'],
        summary: 'Send a file for the instance to process: a JSON array of records of an upload type, streamed',
        description:
          'The bytes are stored as they arrive and acknowledged with 202 (status uploaded); validation against the ' +
          'upload type’s schema follows at once, then upload.validated. The same Idempotency-Key with the same body ' +
          'answers with the upload it made (Idempotent-Replayed: true); with another body, 409 idempotency-conflict. ' +
          'Content-Digest (sha-256, RFC 9530) is checked: 400 digest-mismatch. validateOnly=true answers 200 with ' +
          'the validation report and stores nothing.',
        security,
        querystring: UploadQuery,
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          'content-digest': Type.Optional(Type.String({ maxLength: 1000, examples: ['sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'] })),
        }),
        consumes: ['application/json'],
        response: { 200: ValidationReport, 202: UploadCreated, 400: Problem, 401: Problem, 409: Problem, 413: Problem, 415: Problem },
      },
    },
    async (request, reply) => {
      const headers = { idempotencyKey: request.headers['idempotency-key'], contentDigest: request.headers['content-digest'] };
      const created = await uploads.create(request.integration!, request.query, headers, request.body as Readable);
      if (created.code === 200) return reply.code(200).send(created.body);
      if (created.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send(created.body);
    },
  );

  app.get(
    '/api/uploads',
    {
      schema: {
        tags: ['uploads'],
        summary: "The integration's uploads, newest first",
        security,
        querystring: UploadListQuery,
        response: { 200: Type.Array(UploadTracking), 400: Problem, 401: Problem },
      },
    },
    async (request) => uploads.list(request.integration!, request.query),
  );

  app.get(
    '/api/uploads/:fileId/tracking',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Where an upload is: stage, status, progress, errors, and the result once processed',
        description: 'Retry-After (seconds) says when to ask again while the upload is not in a final status.',
        security,
        params: UploadParams,
        response: { 200: UploadTracking, 401: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const tracking = await uploads.tracking(request.integration!, request.params.fileId);
      const wait = retryAfter(tracking.status);
      if (wait !== undefined) reply.header('retry-after', wait);
      return tracking;
    },
  );

  app.get(
    '/api/uploads/:fileId/result',
    {
      schema: {
        tags: ['uploads'],
        summary: 'The result file the instance uploaded (where downloadResultUrl points)',
        description: `${STORED_DESCRIPTION} 404 result-not-found until the upload is accepted or failed.`,
        security,
        params: UploadParams,
        response: storedResponses('the JSON array of results, one per record of the upload'),
      },
    },
    async (request, reply) => sendStored(request, reply, blobs, await uploads.resultOf(request.integration!, request.params.fileId)),
  );
}

/** The instance takes uploads from its inbox, reports progress and uploads the result (contract §6). */
export async function connectorUploadRoutes(app: App): Promise<void> {
  const { uploads, auth, blobs, config } = app.platform;
  app.addHook('onRequest', auth.instance);

  app.get(
    '/api/connector/inbox',
    {
      schema: {
        tags: ['connector'],
        summary: 'Valid uploads waiting for this instance, oldest first (at most 100)',
        description: 'With wait, an empty inbox answers as soon as an upload arrives, or with [] after that many seconds.',
        security: instanceSecurity,
        querystring: InboxQuery,
        response: { 200: Type.Array(InboxItem), 400: Problem, 401: Problem },
      },
    },
    async (request) => uploads.inbox(request.instance!, request.query.wait),
  );

  app.post(
    '/api/connector/uploads/:fileId/claim',
    {
      schema: {
        tags: ['connector'],
        summary: 'Take a pending upload: status downloaded, under a lease',
        description: `The lease lasts ${config.uploadLease} s (UPLOAD_LEASE) and any progress report renews it; when it ends unrenewed the upload goes back to pending. 409 status-conflict when the upload is not pending.`,
        security: instanceSecurity,
        params: UploadParams,
        response: { 200: UploadLease, 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => uploads.claim(request.instance!, request.params.fileId),
  );

  app.get(
    '/api/connector/uploads/:fileId/content',
    {
      schema: {
        tags: ['connector'],
        summary: 'The uploaded JSON array',
        description: STORED_DESCRIPTION,
        security: instanceSecurity,
        params: UploadParams,
        response: storedResponses('the JSON array the application uploaded'),
      },
    },
    async (request, reply) => sendStored(request, reply, blobs, await uploads.contentOf(request.instance!, request.params.fileId)),
  );

  app.patch(
    '/api/connector/uploads/:fileId',
    {
      schema: {
        tags: ['connector'],
        summary: 'Report progress (status processing); renews the lease',
        description: '409 lease-required when the instance holds no lease on the upload; 409 status-conflict once final.',
        security: instanceSecurity,
        params: UploadParams,
        body: ProgressReport,
        response: { 200: UploadLease, 400: Problem, 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => uploads.progress(request.instance!, request.params.fileId, request.body),
  );

  await app.register(async (streaming: App) => {
    acceptStreamedJson(streaming);
    streaming.put(
      '/api/connector/uploads/:fileId/result',
      {
        bodyLimit: MAX_FILE,
        schema: {
          tags: ['connector'],
          summary: 'Upload the result file: the upload becomes accepted or failed and upload.completed is sent',
          description:
            'The body, a JSON array, is validated against the upload type’s result schema (422 schema-invalid, nothing ' +
            'changes). 409 lease-required when the instance holds no lease on the upload; 409 status-conflict once final.',
          security: instanceSecurity,
          params: UploadParams,
          querystring: ResultQuery,
          consumes: ['application/json'],
          response: { 200: UploadTracking, 400: Problem, 401: Problem, 404: Problem, 409: Problem, 413: Problem, 415: Problem, 422: Problem },
        },
      },
      async (request) => uploads.result(request.instance!, request.params.fileId, request.query.status, request.body as Readable),
    );
  });
}
