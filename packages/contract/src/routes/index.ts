import { apiKeyRoutes, connectorConsentRoutes, consentRoutes } from './consent.js';
import type { RouteDefinition } from './define.js';
import { eventRoutes } from './events.js';
import { connectorFileRoutes, fileRoutes } from './files.js';
import { onboardingRoutes } from './onboarding.js';
import { portalRoutes } from './portal.js';
import { adminRoutes, operationRoutes } from './operations.js';
import { solutionRoutes } from './solutions.js';
import { connectorUploadRoutes, uploadRoutes } from './uploads.js';

export * from './define.js';
export { EventDetail, EventListQuery, EventParams, TestEventSent } from './events.js';
export { STORED_DESCRIPTION } from './files.js';
export { AltchaChallenge, RegistrationCompletion, RegistrationTokenParams } from './onboarding.js';
export { UploadHeaders } from './uploads.js';

/**
 * Every operation of the API, by operationId, in the guide's order: the one place where a method and a path are
 * written. The platform registers its handlers against it; the SDK, the CLI and the connector derive their calls
 * from it; the OpenAPI document and the Postman collection are generated from it.
 */
export const routes = {
  ...onboardingRoutes,
  ...solutionRoutes,
  ...consentRoutes,
  ...apiKeyRoutes,
  ...fileRoutes,
  ...uploadRoutes,
  ...eventRoutes,
  ...connectorConsentRoutes,
  ...connectorFileRoutes,
  ...connectorUploadRoutes,
  ...adminRoutes,
  ...operationRoutes,
  ...portalRoutes,
} as const;

export type Routes = typeof routes;
export type OperationId = keyof Routes;

// Each key is its route's operationId: a compile-time check that the two never differ.
type Mismatched = { [K in OperationId]: Routes[K]['operationId'] extends K ? never : K }[OperationId];
const keysAreOperationIds: [Mismatched] extends [never] ? true : Mismatched = true;
void keysAreOperationIds;

export const routeList: readonly RouteDefinition[] = Object.values(routes);
