export { ConnectedCloud, applyChanges, type ClientOptions, type UploadProgress } from './client.js';
export { ApiError } from './http.js';
export { FileKeyStore, MemoryKeyStore, type KeyStore } from './keys.js';
export { WebhookVerificationError, WebhookVerifier, expressWebhook, fastifyWebhookRoute, nodeWebhookHandler, readRawBody, type EventOf, type PlatformEvent } from './webhooks.js';
export type * from '@connected-cloud/contract';
