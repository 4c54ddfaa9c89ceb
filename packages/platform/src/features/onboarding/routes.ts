import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { routes } from '@connected-cloud/contract';
import formbody from '@fastify/formbody';
import type { App } from '../../infra/http/fastify.js';
import { ProblemError } from '../../infra/http/problem.js';
import { sameDeveloper } from '../../infra/http/auth.js';
import { handle } from '../../infra/http/routes.js';
import { clientAddress } from '../../infra/ratelimit/index.js';
import { checkYourEmail, linkProblem, registrationForm } from './page.js';

/** The captcha widget the registration page loads, served from the package (no CDN). */
const altchaScript = fileURLToPath(import.meta.resolve('altcha'));

/** The developer-facing API of onboarding (contract §2). */
export async function onboardingApiRoutes(app: App): Promise<void> {
  const { onboarding, limits } = app.platform;
  handle(app, routes.registerDeveloper, async (request, reply) => {
    await limits.consume(
      'registrationsPerAddress',
      clientAddress(request),
      'Too many registrations from this address: try again later',
    );
    await limits.consume('registrationsGlobal', 'all', 'Too many registrations at the moment: try again later');
    return reply.code(202).send(await onboarding.register(request.body));
  });
  handle(app, routes.createApplication, async (request, reply) =>
    reply.code(201).send(await onboarding.createApplication(request.params.developerId, request.body)),
  );
  handle(app, routes.getApplication, async (request) =>
    onboarding.getApplication(request.params.developerId, request.params.applicationId),
  );

  // The developer API (contract §11): a developer token of this developer, never the Developer ID alone.
  handle(app, routes.listApplications, async (request) =>
    onboarding.listApplications(sameDeveloper(request, request.params.developerId)),
  );
  handle(app, routes.updateApplication, async (request) =>
    onboarding.updateApplication(
      sameDeveloper(request, request.params.developerId),
      request.params.applicationId,
      request.body,
    ),
  );
  handle(app, routes.rotateWebhookSecret, async (request, reply) =>
    reply
      .code(201)
      .send(
        await onboarding.rotateWebhookSecret(
          sameDeveloper(request, request.params.developerId),
          request.params.applicationId,
        ),
      ),
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
    registrationForm({
      token,
      developerName: r.developerName,
      applicationName: r.applicationName,
      ...(error ? { error } : {}),
    });

  handle(app, routes.getRegistrationPage, async (request, reply) => {
    const found = await onboarding.lookUp(request.params.token);
    reply.type('text/html; charset=utf-8');
    if (found.state !== 'open') return reply.code(closed[found.state]).send(linkProblem(found.state));
    return reply.code(200).send(form(request.params.token, found.registration));
  });

  handle(app, routes.getRegistrationChallenge, async (request, reply) => {
    const found = await onboarding.lookUp(request.params.token);
    if (found.state === 'unknown') throw new ProblemError(404, 'registration-not-found', 'No such registration link');
    if (found.state !== 'open')
      throw new ProblemError(
        410,
        'registration-gone',
        `The registration link was ${found.state === 'used' ? 'used' : 'not used in time'}`,
      );
    return reply.header('cache-control', 'no-store').send(await onboarding.challenge(request.params.token));
  });

  handle(app, routes.completeRegistration, async (request, reply) => {
    const outcome = await onboarding.complete(request.params.token, request.body.altcha);
    reply.type('text/html; charset=utf-8');
    switch (outcome.state) {
      case 'completed':
        return reply.code(200).send(checkYourEmail(outcome.email));
      case 'captcha-invalid':
        return reply
          .code(400)
          .send(
            form(
              request.params.token,
              outcome.registration,
              'The captcha was not solved, or its solution was already used. Please solve it again.',
            ),
          );
      default:
        return reply.code(closed[outcome.state]).send(linkProblem(outcome.state));
    }
  });
}
