import { Type } from 'typebox';
import {
  ApiKeyIssued,
  ApiKeyPending,
  ApiKeyRotated,
  ApiKeyRotation,
  ConnectorIntegration,
  ConsentChallenge,
  ConsentDenied,
  ConsentGranted,
  ConsentLookup,
  ConsentParams,
  Integration,
  IntegrationParams,
  PasscodeCreated,
  PasscodeInput,
  PasscodeParams,
} from '../consent.js';
import { ApplicationParams } from '../onboarding.js';
import { defineRoute, empty, json } from './define.js';

/** The application's side of consent: passcodes and the polling fallback (contract §3). */
export const consentRoutes = {
  createPasscode: defineRoute({
    operationId: 'createPasscode',
    method: 'POST',
    path: '/api/developers/{developerId}/applications/{applicationId}/passcodes',
    tag: 'consent',
    auth: 'none',
    summary: 'A passcode to show the user, who types it into the accounting product',
    description:
      'Single use; expires after PASSCODE_TTL (15 min). At most 60 an hour per application (429 rate-limited).',
    params: ApplicationParams,
    body: PasscodeInput,
    responses: { 201: json(PasscodeCreated, 'The passcode to show the user') },
    problems: { 404: ['developer-not-found', 'application-not-found'], 429: ['rate-limited'] },
  }),
  pollApiKey: defineRoute({
    operationId: 'pollApiKey',
    method: 'POST',
    path: '/api/developers/{developerId}/applications/{applicationId}/passcodes/{passcodeId}/apikey',
    tag: 'consent',
    auth: 'none',
    summary: 'Polling fallback: the API key once the user consented',
    description:
      '202 while the user has not decided; 200 with the key that apikey.issued carried, for PASSCODE_TTL after the ' +
      'grant, as long as that key is alive: 401 api-key-revoked once the integration was revoked, api-key-expired ' +
      'once the key was rotated and its grace ended (or it expired); 403 consent-denied; 410 passcode-expired; 401 ' +
      'secret-invalid. After RATE_LIMIT_SECRET_ATTEMPTS wrong secrets for one passcode, 429 rate-limited.',
    params: PasscodeParams,
    body: PasscodeInput,
    responses: {
      200: json(ApiKeyIssued, 'The API key, as apikey.issued carried it'),
      202: json(ApiKeyPending, 'The user has not decided yet'),
    },
    problems: {
      429: ['rate-limited'],
      401: ['secret-invalid', 'api-key-revoked', 'api-key-expired'],
      403: ['consent-denied'],
      404: ['passcode-not-found'],
      410: ['passcode-expired'],
    },
  }),
} as const;

/** The instance's side of consent, behind X-Instance-Key. */
export const connectorConsentRoutes = {
  lookUpConsent: defineRoute({
    operationId: 'lookUpConsent',
    method: 'POST',
    path: '/api/connector/consents',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'Look a passcode up: the consent challenge to show the user',
    description:
      'A wrong, used or expired passcode gives 404 passcode-invalid. After 10 failed look-ups in 15 minutes the ' +
      'instance gets 429 rate-limited with Retry-After.',
    body: ConsentLookup,
    responses: { 201: json(ConsentChallenge, 'What the user is asked to allow') },
    problems: { 404: ['passcode-invalid'], 429: ['rate-limited'] },
  }),
  grantConsent: defineRoute({
    operationId: 'grantConsent',
    method: 'POST',
    path: '/api/connector/consents/{consentId}/grant',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'The user grants consent: the integration is created and its API key sent (apikey.issued)',
    description: 'An earlier active integration of the same application and instance is revoked (integration.revoked).',
    params: ConsentParams,
    responses: { 201: json(ConsentGranted, 'The integration') },
    problems: { 404: ['consent-not-found'], 409: ['consent-closed'] },
  }),
  denyConsent: defineRoute({
    operationId: 'denyConsent',
    method: 'POST',
    path: '/api/connector/consents/{consentId}/deny',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'The user denies consent: the passcode is dead and consent.denied is sent',
    params: ConsentParams,
    responses: { 200: json(ConsentDenied, 'Denied') },
    problems: { 404: ['consent-not-found'], 409: ['consent-closed'] },
  }),
  listConnectorIntegrations: defineRoute({
    operationId: 'listConnectorIntegrations',
    method: 'GET',
    path: '/api/connector/integrations',
    tag: 'connector',
    auth: 'instanceKey',
    summary: "This instance's integrations, newest first",
    responses: { 200: json(Type.Array(ConnectorIntegration), 'The integrations') },
  }),
  revokeIntegration: defineRoute({
    operationId: 'revokeIntegration',
    method: 'DELETE',
    path: '/api/connector/integrations/{integrationId}',
    tag: 'connector',
    auth: 'instanceKey',
    summary: 'Revoke an integration: its keys answer 401 api-key-revoked and integration.revoked is sent',
    params: IntegrationParams,
    responses: { 204: empty('Revoked') },
    problems: { 404: ['integration-not-found'] },
  }),
} as const;

/** API keys (contract §4). */
export const apiKeyRoutes = {
  rotateApiKey: defineRoute({
    operationId: 'rotateApiKey',
    method: 'PATCH',
    path: '/api/apikey',
    tag: 'apikeys',
    auth: 'none',
    summary: 'Rotate an API key, expired or not',
    description:
      'Needs no valid key: it is how an expired one is replaced. The replaced key stays valid for APIKEY_GRACE ' +
      '(24 h; 0 if it had expired). Repeating the call within APIKEY_GRACE returns the same new key. 401 ' +
      'secret-invalid for a wrong secret, api-key-revoked for a revoked integration. After RATE_LIMIT_SECRET_ATTEMPTS wrong secrets for one integration, 429 rate-limited.',
    body: ApiKeyRotation,
    responses: { 200: json(ApiKeyRotated, 'The new key') },
    problems: {
      429: ['rate-limited'],
      401: ['api-key-invalid', 'api-key-expired', 'api-key-revoked', 'secret-invalid'],
    },
  }),
  getIntegration: defineRoute({
    operationId: 'getIntegration',
    method: 'GET',
    path: '/api/integration',
    tag: 'apikeys',
    auth: 'apiKey',
    summary: 'The integration this API key belongs to',
    responses: { 200: json(Integration, 'The integration') },
    problems: { 404: ['integration-not-found'] },
  }),
} as const;
