import { Type } from 'typebox';
import {
  AppScopeParams,
  Change,
  ChangesQuery,
  FileParams,
  ScopeFile,
  ScopeFileCreated,
  ScopeParams,
} from '../files.js';
import { defineRoute, empty, json, records, stream, type ResponseSpec } from './define.js';

export const STORED_DESCRIPTION =
  'Streamed, with ETag (the SHA-256) and Content-Length; gzip when asked with Accept-Encoding; one byte range ' +
  'with Range (206; 416 when outside the file; If-Range honoured). Where files are kept in S3 and downloads are ' +
  'redirected (S3_REDIRECT_DOWNLOADS), a 302 to a short-lived presigned URL of the storage instead; 503 not-ready ' +
  'when the content is missing from storage.';

/** The answers of a route that serves a stored JSON file. */
export const storedFile = (what: string) => {
  const content = stream('application/json', Type.Array(Type.Unknown()), what);
  return {
    200: content,
    206: { ...content, description: `${what}: the range asked for` },
    302: empty('Served by the storage: follow Location (S3_REDIRECT_DOWNLOADS)'),
    304: empty('Not modified (If-None-Match)'),
  } satisfies Record<number, ResponseSpec>;
};

/** The instance delivers scope files (contract §5). */
export const connectorFileRoutes = {
  putScopeFile: defineRoute({
    operationId: 'putScopeFile',
    method: 'PUT',
    path: '/api/connector/solutions/{domain}/scopes/{scope}',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'Deliver the full snapshot of a scope: a JSON array of records, streamed',
    description:
      'Every record is validated against the scope’s JSON Schema while the body streams in. An invalid file is ' +
      'refused with 422 schema-invalid (up to 100 pointers such as /12/email, and errorCount) and changes nothing; ' +
      'a body that is not JSON gives 400. A record larger than MAX_RECORD_BYTES ends the request at once with 422 ' +
      'record-too-large (its pointer); text that is not UTF-8, or a number too large for a double (1e400), gives 422 ' +
      'schema-invalid with its pointer. The files an instance keeps are bounded by SCOPE_FILE_QUOTA_BYTES: 413 ' +
      'quota-exceeded. The new file becomes current and file.available is sent to every ' +
      'active integration of this instance on the solution.',
    params: ScopeParams,
    body: records('scope', 'The full snapshot of the scope: a JSON array of its records'),
    responses: { 201: json(ScopeFileCreated, 'The new current file of the scope') },
    problems: {
      404: ['solution-not-found', 'scope-not-found'],
      413: ['quota-exceeded'],
      422: ['schema-invalid', 'record-too-large'],
    },
  }),
} as const;

/** The application reads its integration's scope files (contract §5). */
export const fileRoutes = {
  listFiles: defineRoute({
    operationId: 'listFiles',
    method: 'GET',
    path: '/api/files',
    tag: 'files',
    auth: 'apiKey',
    summary: 'The current file of every scope',
    responses: { 200: json(Type.Array(ScopeFile), 'The current files') },
  }),
  getFile: defineRoute({
    operationId: 'getFile',
    method: 'GET',
    path: '/api/files/{fileId}',
    tag: 'files',
    auth: 'apiKey',
    summary: 'A file’s metadata',
    params: FileParams,
    responses: { 200: json(ScopeFile, 'The file') },
    problems: { 404: ['file-not-found'] },
  }),
  getFileContent: defineRoute({
    operationId: 'getFileContent',
    method: 'GET',
    path: '/api/files/{fileId}/content',
    tag: 'files',
    auth: 'apiKey',
    summary: 'A file’s content',
    description: STORED_DESCRIPTION,
    params: FileParams,
    responses: storedFile('The JSON array of records'),
    problems: { 404: ['file-not-found'], 416: ['range-not-satisfiable'], 503: ['not-ready'] },
  }),
  getScopeContent: defineRoute({
    operationId: 'getScopeContent',
    method: 'GET',
    path: '/api/scopes/{scope}/content',
    tag: 'files',
    auth: 'apiKey',
    summary: 'The content of the current file of a scope',
    description: STORED_DESCRIPTION,
    params: AppScopeParams,
    responses: storedFile('The JSON array of records'),
    problems: { 404: ['scope-not-found', 'file-not-found'], 416: ['range-not-satisfiable'], 503: ['not-ready'] },
  }),
  getFileChanges: defineRoute({
    operationId: 'getFileChanges',
    method: 'GET',
    path: '/api/files/{fileId}/changes',
    tag: 'files',
    auth: 'apiKey',
    summary: 'What changed since an older version, one NDJSON line per record: added, updated or removed',
    description: 'Records are matched by their id. Lines come in no particular order.',
    params: FileParams,
    query: ChangesQuery,
    responses: { 200: stream('application/x-ndjson', Change, 'One Change per line') },
    problems: { 404: ['file-not-found'] },
  }),
} as const;
