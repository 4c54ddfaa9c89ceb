import { EventTypes } from '@connected-cloud/contract';
import type { App } from '../../../infra/http/fastify.js';
import { ProblemError } from '../../../infra/http/problem.js';
import { esc } from '../../../infra/http/pages/index.js';
import * as q from '../queries.js';
import * as p from '../pages.js';
import { type Console, PAGE_SIZE, decodeCursor, hide, html, notFound, paged, queryOf } from './shared.js';

const EVENT_STATUSES = ['pending', 'delivered', 'failed'];

/** The events sent to the developer's applications, their attempts, and sending one again. */
export function eventRoutes(app: App, c: Console): void {
  const { eventLog, store } = app.platform;
  const db = store.db;

  app.get('/portal/events', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const query = queryOf(request);
    const filter = {
      status: EVENT_STATUSES.includes(query.status ?? '') ? query.status : undefined,
      type: (EventTypes as string[]).includes(query.type ?? '') ? query.type : undefined,
      applicationId: query.application && query.application.length <= 64 ? query.application : undefined,
    };
    const { rows, next } = paged(
      await q.listEvents(db, who.session.developerId, filter, decodeCursor(query.after), PAGE_SIZE),
    );
    const select = (name: string, label: string, values: string[], current: string | undefined) =>
      `<div><label for="${name}">${label}</label><select id="${name}" name="${name}"><option value="">All</option>${values
        .map((v) => `<option${v === current ? ' selected' : ''}>${esc(v)}</option>`)
        .join('')}</select></div>`;
    const filters = `<form class="filters" method="get" action="/portal/events">
${select('status', 'Status', EVENT_STATUSES, filter.status)}${select('type', 'Type', EventTypes, filter.type)}
${filter.applicationId ? `<input type="hidden" name="application" value="${esc(filter.applicationId)}">` : ''}
<div><button class="secondary" type="submit">Filter</button></div></form>`;
    const body = p.table(
      'Events',
      ['Event', 'Type', 'Application', 'Status', 'Attempts', 'Created', 'Next attempt'],
      rows.map((r) => [
        `<a href="/portal/events/${esc(r.id)}"><code>${esc(r.id)}</code></a>`,
        esc(r.type),
        esc(r.application_name),
        p.badge(r.status),
        String(r.attempts),
        p.time(r.created_at),
        r.status === 'pending' ? p.time(r.next_attempt_at) : p.time(null),
      ]),
      'No events match.',
    );
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'events',
        'Events',
        `${filters}${body}${p.pager(next, { status: filter.status, type: filter.type, application: filter.applicationId, after: query.after }, '/portal/events')}`,
      ),
    );
  });

  app.get('/portal/events/:eventId', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { eventId } = request.params as { eventId: string };
    const event = await q.findEvent(db, who.session.developerId, eventId);
    if (!event) throw notFound();
    const attempts = await q.listAttempts(db, event.id);
    const attemptRows = attempts.map((a) => [
      String(a.attempt),
      p.time(a.attempted_at),
      a.http_status === null ? '<span class="muted">—</span>' : String(a.http_status),
      `${a.duration_ms} ms`,
      a.error
        ? esc(a.error)
        : a.http_status !== null && a.http_status >= 200 && a.http_status < 300
          ? 'delivered'
          : `HTTP ${a.http_status}`,
    ]);
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'events',
        `Event ${event.type}`,
        `${queryOf(request).resent === '1' ? p.notice('Sent again: the new attempt appears below.') : ''}
${p.liveRegion(
  event.status === 'pending',
  `<dl class="facts"><dt>Event ID</dt><dd><code>${esc(event.id)}</code></dd><dt>Application</dt><dd>${esc(event.application_name)}</dd>
<dt>Sent to</dt><dd><code>${esc(event.notification_url)}</code></dd><dt>Status</dt><dd>${p.badge(event.status)}</dd>
<dt>Created</dt><dd>${p.time(event.created_at)}</dd>${event.status === 'pending' ? `<dt>Next attempt</dt><dd>${p.time(event.next_attempt_at)}</dd>` : ''}</dl>
${event.status !== 'pending' ? `<div class="actions">${p.postButton(`/portal/events/${esc(event.id)}/resend`, who.viewer.csrf, 'Resend', '')}</div>` : ''}
<h2>Attempts</h2>
${p.table('Attempts', ['Attempt', 'Time', 'HTTP status', 'Duration', 'Outcome'], attemptRows, 'Not attempted yet.')}`,
)}`,
        { live: event.status === 'pending' },
      ),
    );
  });

  app.post('/portal/events/:eventId/resend', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { eventId } = request.params as { eventId: string };
    const event = await q.findEvent(db, who.session.developerId, eventId);
    if (!event) throw notFound();
    try {
      await eventLog.resendEvent(event);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 409)
        return html(reply, 409, p.messagePage('This event cannot be sent again', error.detail, who.viewer));
      throw error;
    }
    return reply.redirect(`/portal/events/${encodeURIComponent(event.id)}?resent=1`, 303);
  });
}
