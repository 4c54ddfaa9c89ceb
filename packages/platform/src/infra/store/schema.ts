import type { UploadStatus } from '@connected-cloud/contract';
import type { Generated } from 'kysely';

// Times are ISO 8601 UTC text with milliseconds in both dialects, so they compare and sort as strings.
type Time = string;

export interface DevelopersTable {
  id: string;
  name: string;
  email: string;
  company: string | null;
  status: 'pending' | 'active';
  created_at: Time;
  activated_at: Time | null;
}

export interface ApplicationsTable {
  id: string;
  developer_id: string;
  name: string;
  description: string | null;
  solution: string;
  notification_url: string;
  status: 'pending' | 'active';
  /** SecretBox-sealed whsec_ secret; null while pending. */
  webhook_secret_sealed: string | null;
  /** Set when the notificationUrl answered 410 Gone: no delivery is attempted until a developer asks again. */
  notification_gone_at: Time | null;
  created_at: Time;
  /** After a rotation, the secret replaced, sealed: events are signed with it too until previous_secret_valid_until. */
  previous_webhook_secret_sealed: string | null;
  previous_secret_valid_until: Time | null;
}

/** One-time sign-in links of the portal, found by the hash of their token. */
export interface SignInLinksTable {
  token_hash: string;
  developer_id: string;
  expires_at: Time;
  used_at: Time | null;
  created_at: Time;
}

/** Portal sessions, found by the hash of the cookie's token; end after an idle time or an absolute one. */
export interface PortalSessionsTable {
  token_hash: string;
  developer_id: string;
  created_at: Time;
  last_seen_at: Time;
  expires_at: Time;
  ended_at: Time | null;
}

/** Developer tokens (ccd_…) for the developer API, found by their hash. */
export interface DeveloperTokensTable {
  id: string;
  developer_id: string;
  name: string;
  token_hash: string;
  created_at: Time;
  last_used_at: Time | null;
  revoked_at: Time | null;
}

export interface RegistrationsTable {
  token_hash: string;
  developer_id: string;
  application_id: string;
  expires_at: Time;
  completed_at: Time | null;
  created_at: Time;
}

/** Captcha solutions already used, kept until their challenge expires, so that none is accepted twice. */
export interface CaptchaSpentTable {
  signature_hash: string;
  expires_at: Time;
}

/** The one job queue (infra/queue): background work kept in the store. */
export interface JobsTable {
  seq: Generated<number>;
  kind: string;
  /** Jobs with the same key run one at a time, in order of seq. */
  key: string | null;
  payload: string;
  status: 'queued' | 'dead';
  /** 1 for the oldest queued job of its key (or a job without key): the only ones that may be claimed. */
  ready: number;
  run_at: Time;
  attempts: number;
  locked_by: string | null;
  locked_until: Time | null;
  last_error: string | null;
  created_at: Time;
}

export interface EventsTable {
  id: string;
  application_id: string;
  integration_id: string | null;
  type: string;
  /** The exact body sent, sealed: some events carry credentials (apikey.issued). */
  payload_sealed: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  created_at: Time;
  last_attempt_at: Time | null;
  next_attempt_at: Time | null;
  delivered_at: Time | null;
}

export interface EventAttemptsTable {
  event_id: string;
  attempt: number;
  attempted_at: Time;
  http_status: number | null;
  duration_ms: number;
  error: string | null;
}

export interface InstancesTable {
  id: string;
  name: string;
  product: string;
  key_hash: string;
  created_at: Time;
  deleted_at: Time | null;
}

export interface PasscodesTable {
  id: string;
  application_id: string;
  /** Keyed hash of the normalised code: 20^8 codes are too few for a plain hash. */
  code_hash: string;
  secret_hash: string;
  /** pending → claimed (looked up by an instance) → granted | denied */
  status: 'pending' | 'claimed' | 'granted' | 'denied';
  instance_id: string | null;
  integration_id: string | null;
  /** The key handed out by the polling fallback, sealed, until apikey_kept_until. */
  apikey_sealed: string | null;
  apikey_kept_until: Time | null;
  expires_at: Time;
  created_at: Time;
}

export interface ConsentsTable {
  id: string;
  passcode_id: string;
  instance_id: string;
  status: 'open' | 'granted' | 'denied';
  expires_at: Time;
  created_at: Time;
}

export interface PasscodeFailuresTable {
  instance_id: string;
  failed_at: Time;
}

export interface IntegrationsTable {
  id: string;
  application_id: string;
  instance_id: string;
  solution: string;
  passcode_id: string;
  secret_hash: string;
  status: 'active' | 'revoked';
  created_at: Time;
  revoked_at: Time | null;
}

export interface ApiKeysTable {
  key_hash: string;
  integration_id: string;
  expires_at: Time;
  created_at: Time;
  /** Set when rotated: the key stays valid until valid_until, and a repeated rotation returns its successor. */
  replaced_at: Time | null;
  valid_until: Time | null;
  successor_hash: string | null;
  successor_sealed: string | null;
}

export interface ScopeFilesTable {
  id: string;
  instance_id: string;
  solution: string;
  scope: string;
  blob_key: string;
  records: number;
  size: number;
  sha256: string;
  previous_file_id: string | null;
  created_at: Time;
}

export interface Database {
  developers: DevelopersTable;
  applications: ApplicationsTable;
  registrations: RegistrationsTable;
  captcha_spent: CaptchaSpentTable;
  jobs: JobsTable;
  events: EventsTable;
  event_attempts: EventAttemptsTable;
  instances: InstancesTable;
  passcodes: PasscodesTable;
  consents: ConsentsTable;
  passcode_failures: PasscodeFailuresTable;
  integrations: IntegrationsTable;
  api_keys: ApiKeysTable;
  scope_files: ScopeFilesTable;
  uploads: UploadsTable;
  sign_in_links: SignInLinksTable;
  portal_sessions: PortalSessionsTable;
  developer_tokens: DeveloperTokensTable;
  rate_limits: RateLimitsTable;
}

/** Written by rate-limiter-flexible (infra/ratelimit); one row per limit and key. */
export interface RateLimitsTable {
  key: string;
  points: number;
  /** Epoch milliseconds when the window ends. */
  expire: number | null;
}

export interface UploadsTable {
  id: string;
  integration_id: string;
  application_id: string;
  instance_id: string;
  solution: string;
  type: string;
  status: UploadStatus;
  /** Within the current stage, 0–100: bytes validated, or what the instance last reported. */
  progress: number;
  blob_key: string;
  size: number;
  sha256: string;
  records: number | null;
  error_count: number;
  /** JSON: up to 100 { pointer, message }. */
  errors: string;
  idempotency_key: string | null;
  lease_until: Time | null;
  result_blob_key: string | null;
  result_size: number | null;
  result_sha256: string | null;
  /** The multiset hash of the uploaded records' ids (result.ts), set when validated; null for records without ids. */
  ids_digest: string | null;
  /** The summary counted from the result file, set once final. */
  result_accepted: number | null;
  result_rejected: number | null;
  /** When an invalid upload's body was removed (INVALID_UPLOAD_RETENTION); its tracking stays. */
  body_removed_at: string | null;
  created_at: Time;
  updated_at: Time;
}
