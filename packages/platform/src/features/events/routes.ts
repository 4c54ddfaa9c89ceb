import { ApplicationParams, EventStatus, Problem } from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../app.js';
import { clearNotificationUrlGone } from './queries.js';

export async function eventRoutes(app: App): Promise<void> {
  const { onboarding, events, store } = app.platform;

  app.post(
    '/api/developers/:developerId/applications/:applicationId/events/test',
    {
      schema: {
        tags: ['events'],
        summary: 'Send a webhook.test event to the application’s notificationUrl',
        description:
          'Delivered like every event (signed, retried, logged). Asking for it also lifts a stop that an earlier ' +
          '410 Gone put on the notificationUrl.',
        params: ApplicationParams,
        response: {
          202: Type.Object({ eventId: Type.String(), type: Type.Literal('webhook.test'), status: EventStatus }),
          404: Problem,
        },
      },
    },
    async (request, reply) => {
      const application = await onboarding.getApplication(request.params.developerId, request.params.applicationId);
      const eventId = await store.db.transaction().execute(async (tx) => {
        await clearNotificationUrlGone(tx, application.applicationId);
        return events.record(tx, { applicationId: application.applicationId, type: 'webhook.test', data: {} });
      });
      return reply.code(202).send({ eventId, type: 'webhook.test' as const, status: 'pending' as const });
    },
  );
}
