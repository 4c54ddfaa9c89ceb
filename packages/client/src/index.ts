// The main entry: the Fetch API only (Node 20+, Deno, Bun, edge runtimes). File helpers: '@connected-cloud/client/node'.
export {
  ConnectedCloud,
  applyChanges,
  type ClientOptions,
  type EventAttempt,
  type EventDetail,
  type Tracking,
  type UploadOptions,
  type UploadProgress,
  type UploadSource,
} from './client.js';
export {
  ApiError,
  ConnectionError,
  Transport,
  operation,
  parseRetryAfter,
  type Call,
  type PathParams,
  type Problem,
  type RequestLog,
  type TransportOptions,
} from './transport.js';
export { ConnectedCloudAdmin, type Instance, type InstanceInput } from './admin.js';
export { MemoryKeyStore, MissingApiKeyError, type KeyStore } from './keys.js';
export { jsonArray, ndjson } from './json-stream.js';
export {
  WebhookVerificationError,
  WebhookVerifier,
  expressWebhook,
  fastifyWebhookRoute,
  fetchWebhookHandler,
  headerValue,
  nodeWebhookHandler,
  readRawBody,
  type EventOf,
  type HeaderSource,
  type PlatformEvent,
} from './webhooks.js';
export type * from '@connected-cloud/contract';
