import { routes } from '@connected-cloud/contract';
import type { App } from '../../infra/http/fastify.js';
import { handle } from '../../infra/http/routes.js';

/** Test events and the event log of the integration an API key belongs to (contract §7). */
export async function eventRoutes(app: App): Promise<void> {
  const { onboarding, eventLog, limits } = app.platform;

  handle(app, routes.sendTestEvent, async (request, reply) => {
    const application = await onboarding.getApplication(request.params.developerId, request.params.applicationId);
    await limits.consume(
      'testEventsPerDeveloper',
      application.developerId,
      'This developer asked for too many test events: try again later',
    );
    const eventId = await eventLog.sendTest(application.applicationId);
    return reply.code(202).send({ eventId, type: 'webhook.test' as const, status: 'pending' as const });
  });

  handle(app, routes.listEvents, async (request) => eventLog.list(request.integration!.integrationId, request.query));
  handle(app, routes.getEvent, async (request) =>
    eventLog.get(request.integration!.integrationId, request.params.eventId),
  );
  handle(app, routes.resendEvent, async (request, reply) =>
    reply.code(202).send(await eventLog.resend(request.integration!.integrationId, request.params.eventId)),
  );
}
