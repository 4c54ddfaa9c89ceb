import type { App } from '../../../infra/http/fastify.js';
import { esc } from '../../../infra/http/pages/index.js';
import * as q from '../queries.js';
import * as p from '../pages.js';
import { type Console, PAGE_SIZE, decodeCursor, hide, html, notFound, paged, queryOf } from './shared.js';

/** The integrations of the developer's applications, and revoking one. */
export function integrationRoutes(app: App, c: Console): void {
  const { consent, store } = app.platform;
  const db = store.db;

  app.get('/portal/integrations', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const after = queryOf(request).after;
    const { rows, next } = paged(await q.listIntegrations(db, who.session.developerId, decodeCursor(after), PAGE_SIZE));
    const revoked = queryOf(request).revoked;
    const body = p.table(
      'Integrations',
      ['Integration', 'Application', 'Instance', 'Product', 'Status', 'Key expires', ''],
      rows.map((r) => [
        `<code>${esc(r.id)}</code>`,
        esc(r.application_name),
        esc(r.instance_name),
        esc(r.product),
        p.badge(r.status),
        r.status === 'active' ? p.time(r.key_expires) : p.time(null),
        r.status === 'active'
          ? p.postButton(`/portal/integrations/${r.id}/revoke`, who.viewer.csrf, 'Revoke', 'danger small')
          : '',
      ]),
      'No integrations yet: they appear when a user grants consent to a passcode of one of your applications.',
    );
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'integrations',
        'Integrations',
        `${revoked ? p.notice(`Integration <code>${esc(revoked)}</code> is revoked; its keys no longer work.`) : ''}${body}${p.pager(next, { after }, '/portal/integrations')}`,
      ),
    );
  });

  app.post('/portal/integrations/:integrationId/revoke', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { integrationId } = request.params as { integrationId: string };
    const integration = await q.findIntegration(db, who.session.developerId, integrationId);
    if (!integration) throw notFound();
    await consent.revokeOfApplication(integration.id, integration.application_id);
    return reply.redirect(`/portal/integrations?revoked=${encodeURIComponent(integration.id)}`, 303);
  });
}
