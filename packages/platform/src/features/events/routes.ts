import { routes } from '@connected-cloud/contract';
import type { App } from '../../app.js';
import { handle } from '../../infra/http/routes.js';
import { clearNotificationUrlGone } from './queries.js';

/** Test events and the event log of the integration an API key belongs to (contract §7). */
export async function eventRoutes(app: App): Promise<void> {
  const { onboarding, events, eventLog, store, limits } = app.platform;

  handle(app, routes.sendTestEvent, async (request, reply) => {
    const application = await onboarding.getApplication(request.params.developerId, request.params.applicationId);
    await limits.consume('testEventsPerDeveloper', application.developerId, 'This developer asked for too many test events: try again later');
    const eventId = await store.db.transaction().execute(async (tx) => {
      await clearNotificationUrlGone(tx, application.applicationId);
      return events.record(tx, { applicationId: application.applicationId, type: 'webhook.test', data: {} });
    });
    return reply.code(202).send({ eventId, type: 'webhook.test' as const, status: 'pending' as const });
  });

  handle(app, routes.listEvents, async (request) => eventLog.list(request.integration!.integrationId, request.query));
  handle(app, routes.getEvent, async (request) => eventLog.get(request.integration!.integrationId, request.params.eventId));
  handle(app, routes.resendEvent, async (request, reply) =>
    reply.code(202).send(await eventLog.resend(request.integration!.integrationId, request.params.eventId)),
  );
}
