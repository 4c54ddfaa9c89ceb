import type { App } from '../../../infra/http/fastify.js';
import { ProblemError } from '../../../infra/http/problem.js';
import { esc } from '../../../infra/http/pages/index.js';
import type { PortalSession } from '../service.js';
import * as p from '../pages.js';
import { applicationForm, applicationInput, problemText } from './application-form.js';
import { type Console, field, hide, html, notFound, queryOf } from './shared.js';

/** The developer's applications: list, create, edit, rotate the signing secret, send a test event. */
export function applicationRoutes(app: App, c: Console): void {
  const { onboarding, eventLog, solutions } = app.platform;

  app.get('/portal', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const apps = await onboarding.listApplications(who.session.developerId);
    const cards = apps
      .map(
        (a) => `<li><h2><a href="/portal/applications/${esc(a.applicationId)}">${esc(a.name)}</a></h2>
<p class="muted">${esc(a.solution)} · <code>${esc(a.applicationId)}</code></p><p>${p.urlCode(a.notificationUrl)}</p></li>`,
      )
      .join('');
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'applications',
        'Your applications',
        `<p>Developer ID <code>${esc(who.session.developerId)}</code></p>
<div class="actions"><a class="button" href="/portal/applications/new">New application</a></div>
${apps.length ? `<ul class="cards">${cards}</ul>` : '<p class="muted">No applications yet.</p>'}`,
      ),
    );
  });

  app.get('/portal/applications/new', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'applications',
        'New application',
        applicationForm(solutions.list(), who.viewer.csrf, '/portal/applications', { solution: 'ecommerce' }, true),
      ),
    );
  });

  app.post('/portal/applications', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const input = { ...applicationInput(request.body), solution: field(request.body, 'solution', 64) ?? '' };
    try {
      if (!input.name) throw new ProblemError(400, 'invalid-request', 'Give the application a name');
      const created = await onboarding.createApplication(who.session.developerId, {
        name: input.name,
        solution: input.solution,
        notificationUrl: input.notificationUrl,
        ...(input.description ? { description: input.description } : {}),
      });
      return html(
        reply,
        201,
        p.consolePage(
          who.viewer,
          'applications',
          `${created.name} is created`,
          `${p.notice(`Application ID <code>${esc(created.applicationId)}</code>. Copy the webhook signing secret now: it is not shown again.`)}
<label for="secret">Webhook signing secret</label><code id="secret" class="secret">${esc(created.webhookSecret)}</code>
<div class="actions"><a class="button" href="/portal/applications/${esc(created.applicationId)}">Open the application</a></div>`,
        ),
      );
    } catch (error) {
      return html(
        reply,
        400,
        p.consolePage(
          who.viewer,
          'applications',
          'New application',
          applicationForm(solutions.list(), who.viewer.csrf, '/portal/applications', input, true, problemText(error)),
        ),
      );
    }
  });

  // Anyone else's application answers as one that does not exist.
  const ownApplication = async (session: PortalSession, applicationId: string) => {
    try {
      return await onboarding.getApplication(session.developerId, applicationId);
    } catch {
      throw notFound();
    }
  };

  const applicationPage = async (
    viewer: p.Viewer,
    session: PortalSession,
    applicationId: string,
    opts: { saved?: boolean; error?: string; values?: ReturnType<typeof applicationInput> } = {},
  ) => {
    const a = await ownApplication(session, applicationId);
    const base = `/portal/applications/${esc(a.applicationId)}`;
    return p.consolePage(
      viewer,
      'applications',
      a.name,
      `${opts.saved ? p.notice('Saved.') : ''}
<dl class="facts"><dt>Application ID</dt><dd><code>${esc(a.applicationId)}</code></dd><dt>Solution</dt><dd>${esc(a.solution)}</dd>
<dt>Notification URL</dt><dd>${p.urlCode(a.notificationUrl)}</dd><dt>Created</dt><dd>${p.time(a.createdAt)}</dd></dl>
<div class="actions"><a class="button secondary" href="/portal/events?application=${esc(a.applicationId)}">Its events</a>
${p.postButton(`${base}/test-event`, viewer.csrf, 'Send a test event', 'secondary')}</div>
<h2>Edit</h2>
${applicationForm(solutions.list(), viewer.csrf, base, opts.values ?? { name: a.name, description: a.description, notificationUrl: a.notificationUrl }, false, opts.error)}
<h2>Webhook signing secret</h2>
<p>Rotating makes a new secret, shown once. Events are signed with the new and the old secret for 24 hours, so your
receiver keeps verifying them while you deploy the new one.</p>
${p.postButton(`${base}/webhook-secret`, viewer.csrf, 'Rotate the signing secret', 'danger')}`,
    );
  };

  app.get('/portal/applications/:applicationId', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { applicationId } = request.params as { applicationId: string };
    return html(
      reply,
      200,
      await applicationPage(who.viewer, who.session, applicationId, { saved: queryOf(request).saved === '1' }),
    );
  });

  app.post('/portal/applications/:applicationId', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { applicationId } = request.params as { applicationId: string };
    await ownApplication(who.session, applicationId);
    const values = applicationInput(request.body);
    try {
      if (!values.name) throw new ProblemError(400, 'invalid-request', 'Give the application a name');
      await onboarding.updateApplication(who.session.developerId, applicationId, values);
    } catch (error) {
      return html(
        reply,
        400,
        await applicationPage(who.viewer, who.session, applicationId, { error: problemText(error), values }),
      );
    }
    return reply.redirect(`/portal/applications/${encodeURIComponent(applicationId)}?saved=1`, 303);
  });

  app.post('/portal/applications/:applicationId/webhook-secret', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { applicationId } = request.params as { applicationId: string };
    const a = await ownApplication(who.session, applicationId);
    const rotated = await onboarding.rotateWebhookSecret(who.session.developerId, a.applicationId);
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'applications',
        `New signing secret for ${a.name}`,
        `${p.notice('Copy the new secret now: it is not shown again.')}
<label for="secret">Webhook signing secret</label><code id="secret" class="secret">${esc(rotated.webhookSecret)}</code>
<p>Until ${p.time(rotated.previousSecretValidUntil)} every event carries a signature made with each secret.</p>
<div class="actions"><a class="button" href="/portal/applications/${esc(a.applicationId)}">Back to the application</a></div>`,
      ),
    );
  });

  app.post('/portal/applications/:applicationId/test-event', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { applicationId } = request.params as { applicationId: string };
    const a = await ownApplication(who.session, applicationId);
    const eventId = await eventLog.sendTest(a.applicationId);
    return reply.redirect(`/portal/events/${eventId}`, 303);
  });
}
