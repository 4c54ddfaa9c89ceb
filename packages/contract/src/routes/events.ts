import { Type } from 'typebox';
import { EventAttempt, EventStatus, EventSummary, EventTypes } from '../events.js';
import { ApplicationParams } from '../onboarding.js';
import { defineRoute, json } from './define.js';

export const EventParams = Type.Object({ eventId: Type.String({ maxLength: 64 }) });
export const EventListQuery = Type.Object({
  status: Type.Optional(EventStatus),
  type: Type.Optional(Type.Union(EventTypes.map((t) => Type.Literal(t)))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});
export const EventDetail = Type.Intersect([EventSummary, Type.Object({ attemptLog: Type.Array(EventAttempt) })], {
  title: 'EventDetail',
});
export const TestEventSent = Type.Object(
  { eventId: Type.String(), type: Type.Literal('webhook.test'), status: EventStatus },
  { title: 'TestEventSent' },
);

/** Events and their delivery log (contract §7). */
export const eventRoutes = {
  sendTestEvent: defineRoute({
    operationId: 'sendTestEvent',
    method: 'POST',
    path: '/api/developers/{developerId}/applications/{applicationId}/events/test',
    tag: 'events',
    auth: 'none',
    summary: 'Send a webhook.test event to the application’s notificationUrl',
    description:
      'Delivered like every event (signed, retried, logged). Asking for it also lifts a stop that an earlier ' +
      '410 Gone put on the notificationUrl. Limited per developer (RATE_LIMIT_TEST_EVENTS): 429 rate-limited.',
    params: ApplicationParams,
    responses: { 202: json(TestEventSent, 'The event, on its way') },
    problems: { 429: ['rate-limited'], 404: ['developer-not-found', 'application-not-found'] },
  }),
  listEvents: defineRoute({
    operationId: 'listEvents',
    method: 'GET',
    path: '/api/events',
    tag: 'events',
    auth: 'apiKey',
    summary: "The integration's events, newest first",
    query: EventListQuery,
    responses: { 200: json(Type.Array(EventSummary), 'The events') },
  }),
  getEvent: defineRoute({
    operationId: 'getEvent',
    method: 'GET',
    path: '/api/events/{eventId}',
    tag: 'events',
    auth: 'apiKey',
    summary: 'One event with its delivery attempts (time, HTTP status, duration, error)',
    params: EventParams,
    responses: { 200: json(EventDetail, 'The event and its attempts') },
    problems: { 404: ['event-not-found'] },
  }),
  resendEvent: defineRoute({
    operationId: 'resendEvent',
    method: 'POST',
    path: '/api/events/{eventId}/resend',
    tag: 'events',
    auth: 'apiKey',
    summary: 'Deliver an event again (same webhook-id, fresh retry schedule)',
    description:
      'Also lifts a stop that a 410 put on the notificationUrl. An apikey.issued event no longer holds its key once ' +
      'delivered or failed: resending it gives 409 event-not-resendable. Limited per event (RATE_LIMIT_RESENDS): 429 rate-limited.',
    params: EventParams,
    responses: { 202: json(EventSummary, 'The event, pending again') },
    problems: { 429: ['rate-limited'], 404: ['event-not-found'], 409: ['event-not-resendable'] },
  }),
} as const;
