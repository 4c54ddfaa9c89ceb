import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Application,
  ApplicationCreated,
  ApplicationInput,
  ApplicationParams,
  DeveloperParams,
  DeveloperRegistration,
  Problem,
  RegistrationAccepted,
} from '@connected-cloud/contract';
import formbody from '@fastify/formbody';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';
import { ProblemError } from '../../infra/http/problem.js';
import { checkYourEmail, linkProblem, registrationForm } from './page.js';

/** The captcha widget the registration page loads, served from the package (no CDN). */
const altchaScript = fileURLToPath(import.meta.resolve('altcha'));

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const TokenParams = Type.Object({ token: Type.String({ maxLength: 128 }) });

/** The developer-facing API of onboarding (contract §2). */
export async function onboardingApiRoutes(app: App): Promise<void> {
  const { onboarding } = app.platform;

  app.post(
    '/api/developers',
    {
      schema: {
        tags: ['onboarding'],
        summary: 'Start a registration: returns the URL of the page that completes it',
        description:
          'The developer and the application stay pending until the registration page is completed; the IDs then ' +
          'arrive by e-mail. An unknown solution or an unacceptable notificationUrl gives 400 invalid-request.',
        body: DeveloperRegistration,
        response: { 202: RegistrationAccepted, 400: Problem, 413: Problem, 415: Problem },
      },
    },
    async (request, reply) => reply.code(202).send(await onboarding.register(request.body)),
  );

  app.post(
    '/api/developers/:developerId/applications',
    {
      schema: {
        tags: ['onboarding'],
        summary: 'Register another application of an active developer',
        description: 'The webhook signing secret is returned once, and sent by e-mail with the IDs.',
        params: DeveloperParams,
        body: ApplicationInput,
        response: { 201: ApplicationCreated, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await onboarding.createApplication(request.params.developerId, request.body)),
  );

  app.get(
    '/api/developers/:developerId/applications/:applicationId',
    {
      schema: {
        tags: ['onboarding'],
        summary: 'One application (no secrets)',
        params: ApplicationParams,
        response: { 200: Application, 404: Problem },
      },
    },
    async (request) => onboarding.getApplication(request.params.developerId, request.params.applicationId),
  );
}

/** The registration page, its captcha challenge and its completion (HTML for a browser). */
export async function registrationPageRoutes(app: App): Promise<void> {
  const { onboarding } = app.platform;
  await app.register(formbody, { bodyLimit: 16 * 1024 }); // the form post; encapsulated here, not on the API
  app.get('/assets/altcha.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(fs.createReadStream(altchaScript)),
  );
  const closed = { unknown: 404, used: 410, expired: 410 } as const;
  const form = (token: string, r: { developerName: string; applicationName: string }, error?: string) =>
    registrationForm({ token, developerName: r.developerName, applicationName: r.applicationName, ...(error ? { error } : {}) });

  app.get(
    '/register/:token',
    {
      schema: {
        tags: ['onboarding'],
        summary: 'The registration page (HTML, with the ALTCHA captcha)',
        params: TokenParams,
        response: { 200: html('the form'), 404: html('unknown link'), 410: html('used or expired link') },
      },
    },
    async (request, reply) => {
      const found = await onboarding.lookUp(request.params.token);
      reply.type('text/html; charset=utf-8');
      if (found.state !== 'open') return reply.code(closed[found.state]).send(linkProblem(found.state));
      return reply.code(200).send(form(request.params.token, found.registration));
    },
  );

  app.get(
    '/register/:token/challenge',
    {
      schema: {
        tags: ['onboarding'],
        summary: 'An ALTCHA challenge bound to this registration',
        params: TokenParams,
        response: {
          200: Type.Object({ algorithm: Type.String(), challenge: Type.String(), maxnumber: Type.Optional(Type.Integer()), salt: Type.String(), signature: Type.String() }),
          404: Problem,
          410: Problem,
        },
      },
    },
    async (request, reply) => {
      const found = await onboarding.lookUp(request.params.token);
      if (found.state === 'unknown') throw new ProblemError(404, 'registration-not-found', 'No such registration link');
      if (found.state !== 'open') throw new ProblemError(410, 'registration-gone', `The registration link was ${found.state === 'used' ? 'used' : 'not used in time'}`);
      return reply.header('cache-control', 'no-store').send(await onboarding.challenge(request.params.token));
    },
  );

  app.post(
    '/register/:token',
    {
      schema: {
        tags: ['onboarding'],
        summary: 'Complete the registration with the solved captcha (form field `altcha`)',
        description: 'A failed or replayed captcha gives 400 and leaves the link usable.',
        params: TokenParams,
        body: Type.Object({ altcha: Type.Optional(Type.String({ maxLength: 4096 })) }),
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        response: {
          200: html('done: check your e-mail'),
          400: html('captcha failed; the form again'),
          404: html('unknown link'),
          410: html('used or expired link'),
        },
      },
    },
    async (request, reply) => {
      const outcome = await onboarding.complete(request.params.token, request.body.altcha);
      reply.type('text/html; charset=utf-8');
      switch (outcome.state) {
        case 'completed':
          return reply.code(200).send(checkYourEmail(outcome.email));
        case 'captcha-invalid':
          return reply
            .code(400)
            .send(form(request.params.token, outcome.registration, 'The captcha was not solved, or its solution was already used. Please solve it again.'));
        default:
          return reply.code(closed[outcome.state]).send(linkProblem(outcome.state));
      }
    },
  );
}
