import { Type } from 'typebox';
import {
  Application,
  ApplicationCreated,
  ApplicationInput,
  ApplicationParams,
  ApplicationPatch,
  DeveloperParams,
  DeveloperRegistration,
  RegistrationAccepted,
  WebhookSecretRotated,
} from '../onboarding.js';
import { defineRoute, json, stream } from './define.js';

const html = (description: string) => stream('text/html', Type.String(), description);
export const RegistrationTokenParams = Type.Object({
  token: Type.String({ maxLength: 128, description: 'the token of the registrationUrl' }),
});
export const AltchaChallenge = Type.Object(
  {
    algorithm: Type.String(),
    challenge: Type.String(),
    maxnumber: Type.Optional(Type.Integer()),
    salt: Type.String(),
    signature: Type.String(),
  },
  { title: 'AltchaChallenge' },
);
export const RegistrationCompletion = Type.Object({
  altcha: Type.Optional(
    Type.String({ maxLength: 4096, description: 'the ALTCHA payload: base64 of the solved challenge' }),
  ),
});

/** Developers and applications (contract §2). */
export const onboardingRoutes = {
  registerDeveloper: defineRoute({
    operationId: 'registerDeveloper',
    method: 'POST',
    path: '/api/developers',
    tag: 'onboarding',
    auth: 'none',
    summary: 'Start a registration: returns the URL of the page that completes it',
    description:
      'The developer and the application stay pending until the registration page is completed; the IDs then ' +
      'arrive by e-mail. An unknown solution or an unacceptable notificationUrl gives 400 invalid-request. Limited per client address (RATE_LIMIT_REGISTRATIONS) and in all (RATE_LIMIT_REGISTRATIONS_GLOBAL): 429 rate-limited.',
    body: DeveloperRegistration,
    responses: { 202: json(RegistrationAccepted, 'Open registrationUrl in a browser to complete the registration') },
    problems: { 429: ['rate-limited'] },
  }),
  createApplication: defineRoute({
    operationId: 'createApplication',
    method: 'POST',
    path: '/api/developers/{developerId}/applications',
    tag: 'onboarding',
    auth: 'none',
    summary: 'Register another application of an active developer',
    description:
      'The webhook signing secret is returned once, and sent by e-mail with the IDs. Limited per developer (RATE_LIMIT_APPLICATIONS): 429 rate-limited.',
    params: DeveloperParams,
    body: ApplicationInput,
    responses: { 201: json(ApplicationCreated, 'The application, with its webhook signing secret (shown once)') },
    problems: { 429: ['rate-limited'], 404: ['developer-not-found'] },
  }),
  getApplication: defineRoute({
    operationId: 'getApplication',
    method: 'GET',
    path: '/api/developers/{developerId}/applications/{applicationId}',
    tag: 'onboarding',
    auth: 'none',
    summary: 'One application (no secrets)',
    params: ApplicationParams,
    responses: { 200: json(Application, 'The application') },
    problems: { 404: ['developer-not-found', 'application-not-found'] },
  }),
  listApplications: defineRoute({
    operationId: 'listApplications',
    method: 'GET',
    path: '/api/developers/{developerId}/applications',
    tag: 'onboarding',
    auth: 'developerToken',
    summary: 'The developer’s applications (developer token)',
    description:
      'Needs a developer token of this developer (Authorization: Bearer ccd_…); another developer’s ID answers 404.',
    params: DeveloperParams,
    responses: { 200: json(Type.Array(Application), 'The applications, oldest first') },
    problems: { 404: ['developer-not-found'] },
  }),
  updateApplication: defineRoute({
    operationId: 'updateApplication',
    method: 'PATCH',
    path: '/api/developers/{developerId}/applications/{applicationId}',
    tag: 'onboarding',
    auth: 'developerToken',
    summary: 'Change an application’s name, description or notificationUrl (developer token)',
    description:
      'Never with the Developer ID alone: whoever sets the notificationUrl receives the next API keys. The ' +
      'notificationUrl follows the rules of registration (400 invalid-request); a new one lifts a stop that a 410 put on delivery.',
    params: ApplicationParams,
    body: ApplicationPatch,
    responses: { 200: json(Application, 'The application as changed') },
    problems: { 404: ['developer-not-found', 'application-not-found'] },
  }),
  rotateWebhookSecret: defineRoute({
    operationId: 'rotateWebhookSecret',
    method: 'POST',
    path: '/api/developers/{developerId}/applications/{applicationId}/webhook-secret',
    tag: 'onboarding',
    auth: 'developerToken',
    summary: 'Rotate the webhook signing secret (developer token)',
    description:
      'The new secret is returned once. For 24 h every event carries two signatures (Standard Webhooks allows ' +
      'several, space-separated): one with the new secret and one with the previous, so a receiver can switch without losing an event.',
    params: ApplicationParams,
    responses: { 201: json(WebhookSecretRotated, 'The new secret, and until when the previous one still signs') },
    problems: { 404: ['developer-not-found', 'application-not-found'] },
  }),
  getRegistrationPage: defineRoute({
    operationId: 'getRegistrationPage',
    method: 'GET',
    path: '/register/{token}',
    tag: 'onboarding',
    auth: 'none',
    summary: 'The registration page (HTML, with the ALTCHA captcha)',
    params: RegistrationTokenParams,
    responses: { 200: html('The form'), 404: html('Unknown link'), 410: html('Used or expired link') },
  }),
  getRegistrationChallenge: defineRoute({
    operationId: 'getRegistrationChallenge',
    method: 'GET',
    path: '/register/{token}/challenge',
    tag: 'onboarding',
    auth: 'none',
    summary: 'An ALTCHA challenge bound to this registration',
    params: RegistrationTokenParams,
    responses: { 200: json(AltchaChallenge, 'A proof-of-work challenge for the registration page’s widget') },
    problems: { 404: ['registration-not-found'], 410: ['registration-gone'] },
  }),
  completeRegistration: defineRoute({
    operationId: 'completeRegistration',
    method: 'POST',
    path: '/register/{token}',
    tag: 'onboarding',
    auth: 'none',
    summary: 'Complete the registration with the solved captcha (form field `altcha`)',
    description: 'A failed or replayed captcha gives 400 (the form again) and leaves the link usable.',
    params: RegistrationTokenParams,
    body: RegistrationCompletion,
    bodyTypes: ['application/x-www-form-urlencoded', 'application/json'],
    responses: {
      200: html('Done: the IDs are on their way by e-mail'),
      400: html('The captcha failed: the form again'),
      404: html('Unknown link'),
      410: html('Used or expired link'),
    },
  }),
} as const;
