import { ApplicationParams, EventAttempt, EventStatus, EventSummary, EventTypes, Problem } from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';

export async function eventRoutes(app: App): Promise<void> {
  const { onboarding, eventLog } = app.platform;

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
      const eventId = await eventLog.sendTest(application.applicationId);
      return reply.code(202).send({ eventId, type: 'webhook.test' as const, status: 'pending' as const });
    },
  );
}

const EventParams = Type.Object({ eventId: Type.String({ maxLength: 64 }) });
const security = [{ apiKey: [] }];

/** The event log of the integration an API key belongs to (contract §7). */
export async function eventLogRoutes(app: App): Promise<void> {
  const { eventLog, auth } = app.platform;
  app.addHook('onRequest', auth.apiKey);

  app.get(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary: "The integration's events, newest first",
        security,
        querystring: Type.Object({
          status: Type.Optional(EventStatus),
          type: Type.Optional(Type.Union(EventTypes.map((t) => Type.Literal(t)))),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: { 200: Type.Array(EventSummary), 400: Problem, 401: Problem },
      },
    },
    async (request) => eventLog.list(request.integration!.integrationId, request.query),
  );

  app.get(
    '/api/events/:eventId',
    {
      schema: {
        tags: ['events'],
        summary: 'One event with its delivery attempts (time, HTTP status, duration, error)',
        security,
        params: EventParams,
        response: { 200: Type.Intersect([EventSummary, Type.Object({ attemptLog: Type.Array(EventAttempt) })]), 401: Problem, 404: Problem },
      },
    },
    async (request) => eventLog.get(request.integration!.integrationId, request.params.eventId),
  );

  app.post(
    '/api/events/:eventId/resend',
    {
      schema: {
        tags: ['events'],
        summary: 'Deliver an event again (same webhook-id, fresh retry schedule)',
        description:
          'Also lifts a stop that a 410 put on the notificationUrl. An apikey.issued event no longer holds its key once ' +
          'delivered or failed: resending it gives 409 event-not-resendable.',
        security,
        params: EventParams,
        response: { 202: EventSummary, 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.code(202).send(await eventLog.resend(request.integration!.integrationId, request.params.eventId)),
  );
}
