import { Type, type Static } from 'typebox';

/** ISO 8601 UTC with milliseconds, e.g. 2026-11-28T10:00:00.000Z. */
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-28T10:00:00.000Z'] });

/** A prefixed opaque ID (`dev_…`, `app_…`): prefix, underscore, base62 with ≥ 96 bits of randomness. */
export const Id = (prefix: string) =>
  Type.String({ pattern: `^${prefix}_[0-9A-Za-z]{16,40}$`, examples: [`${prefix}_4CjRZf7q1pTz8WkX2mYb0v`] });

export const ProblemItem = Type.Object({
  pointer: Type.String({ description: 'JSON Pointer into the request part that failed' }),
  message: Type.String(),
});

/** RFC 9457 problem document: the one error shape of the platform. */
export const Problem = Type.Object(
  {
    type: Type.String({ examples: ['/problems/invalid-request'] }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ examples: ['invalid-request'] }),
    errors: Type.Optional(Type.Array(ProblemItem)),
    errorCount: Type.Optional(Type.Integer()),
  },
  { title: 'Problem' },
);
export type Problem = Static<typeof Problem>;

/** Codes named by the contract, plus the few the platform adds where the contract is silent. */
export const ProblemCodes = {
  'invalid-request': 'The request is malformed or violates its schema',
  'not-found': 'No such route',
  'unsupported-media-type': 'The request body has a content type this route does not accept',
  'payload-too-large': 'The request body is larger than this route accepts',
  'rate-limited': 'Too many requests',
  'developer-not-found': 'No such developer',
  'application-not-found': 'No such application',
  'solution-not-found': 'No such solution',
  'schema-not-found': 'No such schema',
  'registration-not-found': 'No such registration',
  'registration-gone': 'The registration link was used or has expired',
  'not-ready': 'The platform cannot reach its store or storage',
  'internal-error': 'The platform failed to handle the request',
  'admin-token-invalid': 'The admin token is missing or wrong',
  'instance-key-invalid': 'The instance key is missing or wrong',
  'instance-not-found': 'No such instance',
  'api-key-missing': 'No API key was sent',
  'api-key-invalid': 'The API key is not valid',
  'api-key-expired': 'The API key has expired',
  'api-key-revoked': 'The integration of this API key was revoked',
  'secret-invalid': 'The secret does not match',
  'passcode-invalid': 'The passcode is wrong, used or expired',
  'passcode-not-found': 'No such passcode',
  'passcode-expired': 'The passcode expired before it was used',
  'consent-denied': 'The user denied consent',
  'consent-not-found': 'No such consent',
  'consent-closed': 'The consent was already granted, denied or has expired',
  'integration-not-found': 'No such integration',
  'event-not-found': 'No such event',
  'event-not-resendable': 'This event no longer holds what it carried',
  'schema-invalid': 'The file does not match the schema',
  'record-too-large': 'A record of the file is larger than MAX_RECORD_BYTES',
  'quota-exceeded': 'The storage quota would be exceeded',
  'scope-not-found': 'No such scope',
  'file-not-found': 'No such file',
  'range-not-satisfiable': 'The range is outside the file',
  'upload-type-invalid': 'The solution offers no such upload type',
  'upload-not-found': 'No such upload',
  'digest-mismatch': 'The body does not match its Content-Digest',
  'idempotency-conflict': 'The Idempotency-Key was used before with another body',
  'lease-required': 'The instance holds no lease on this upload',
  'status-conflict': 'The upload’s status does not allow this',
  'result-not-found': 'The upload has no result yet',
  'result-mismatch': 'The result file does not answer the upload record for record, or contradicts the status',
  'developer-token-missing': 'No developer token was sent',
  'developer-token-invalid': 'The developer token is not valid',
  'developer-token-revoked': 'The developer token was revoked',
  'csrf-invalid': 'The form’s CSRF token is missing or wrong',
} as const;
export type ProblemCode = keyof typeof ProblemCodes;
