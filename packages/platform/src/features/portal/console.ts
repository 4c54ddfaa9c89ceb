import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { EventTypes, UploadStatuses } from '@connected-cloud/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../infra/http/fastify.js';
import { ProblemError } from '../../infra/http/problem.js';
import { esc } from '../../infra/http/pages/index.js';
import { sendStored } from '../../infra/http/streaming.js';
import { randomBase62 } from '../../infra/secrets/random.js';
import { isFinal, journeyProgress, stageOf } from '../uploads/status.js';
import type { PortalSession } from './service.js';
import * as q from './queries.js';
import * as p from './pages.js';

const SESSION_COOKIE = 'cc_session';
const ANON_COOKIE = 'cc_csrf';
const PAGE_SIZE = 50;
const hide = { schema: { hide: true } };
const EVENT_STATUSES = ['pending', 'delivered', 'failed'];
const UPLOAD_STATUSES: readonly string[] = UploadStatuses;

type Req = FastifyRequest;
type Form = Record<string, unknown>;

/** A form field as text, or undefined; over `max` characters is refused, not cut. */
function field(body: unknown, name: string, max = 2048): string | undefined {
  const v = (body as Form | undefined)?.[name];
  if (typeof v !== 'string') return undefined;
  if (v.length > max)
    throw new ProblemError(400, 'invalid-request', `The field ${name} is longer than ${max} characters`);
  return v;
}

const queryOf = (request: Req) => request.query as Record<string, string | undefined>;

function decodeCursor(after: string | undefined): q.Cursor | undefined {
  if (!after || after.length > 200) return undefined;
  const [createdAt, id] = Buffer.from(after, 'base64url').toString('utf8').split('|');
  return createdAt && id ? { createdAt, id } : undefined;
}

/** Cuts the extra row a list query fetched: its presence says there is a next page. */
function paged<T extends { created_at: string; id: string }>(rows: T[]): { rows: T[]; next: string | undefined } {
  if (rows.length <= PAGE_SIZE) return { rows, next: undefined };
  const page = rows.slice(0, PAGE_SIZE);
  const last = page[page.length - 1]!;
  return { rows: page, next: Buffer.from(`${last.created_at}|${last.id}`).toString('base64url') };
}

const notFound = () => new ProblemError(404, 'not-found', 'There is nothing here, or it is not yours.');

/** The developer console and its sign-in (contract §11): server-rendered pages, forms with CSRF tokens. */
export async function consoleRoutes(app: App): Promise<void> {
  const { portal, onboarding, eventLog, consent, store, blobs, solutions, config } = app.platform;
  const db = store.db;
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const secure = config.publicUrl.startsWith('https:');
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure };

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').send(body);

  /** The anonymous CSRF binding of a browser before sign-in (a random cookie), set if it has none. */
  const anonBinding = (request: Req, reply: FastifyReply) => {
    let value = request.cookies[ANON_COOKIE];
    if (!value || !/^[0-9A-Za-z]{32}$/.test(value)) {
      value = randomBase62(32);
      reply.setCookie(ANON_COOKIE, value, cookieOptions);
    }
    return `anon:${value}`;
  };
  const sessionBinding = (s: PortalSession) => `session:${s.tokenHash}`;
  const viewerOf = (s: PortalSession): p.Viewer => ({ email: s.email, csrf: portal.csrfToken(sessionBinding(s)) });

  const refuseCsrf = (reply: FastifyReply) =>
    html(
      reply,
      403,
      p.messagePage(
        'This form has expired',
        'The form was missing its security token, or it was too old. Go back, reload the page and try again.',
      ),
    );

  /**
   * The signed-in developer, or undefined after answering for them: a page asks them to sign in; a form posted
   * without its CSRF token is refused. Nothing changes either way.
   */
  async function signedIn(
    request: Req,
    reply: FastifyReply,
    form = request.method === 'POST',
  ): Promise<{ session: PortalSession; viewer: p.Viewer } | undefined> {
    const session = await portal.session(request.cookies[SESSION_COOKIE]);
    if (!session) {
      if (request.cookies[SESSION_COOKIE]) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.redirect('/portal/sign-in', 303);
      return undefined;
    }
    if (form && !portal.checkCsrf(sessionBinding(session), (request.body as Form | undefined)?.csrf)) {
      refuseCsrf(reply);
      return undefined;
    }
    return { session, viewer: viewerOf(session) };
  }

  // Sign-in

  app.get('/portal/sign-in', hide, async (request, reply) => {
    const session = await portal.session(request.cookies[SESSION_COOKIE]);
    if (session) return reply.redirect('/portal', 303);
    return html(
      reply,
      200,
      p.signInPage(portal.csrfToken(anonBinding(request, reply)), {
        signedOut: queryOf(request)['signed-out'] === '1',
      }),
    );
  });

  app.post('/portal/sign-in', hide, async (request, reply) => {
    const binding = anonBinding(request, reply);
    if (!portal.checkCsrf(binding, (request.body as Form | undefined)?.csrf)) return refuseCsrf(reply);
    const email = (field(request.body, 'email', 254) ?? '').trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      return html(
        reply,
        400,
        p.signInPage(portal.csrfToken(binding), { email, error: 'Enter an e-mail address, such as ada@example.com.' }),
      );
    }
    try {
      await portal.requestSignIn(email, request.ip);
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status !== 429) throw error;
      const retryAfter = Number(error.headers['retry-after']);
      reply.header('retry-after', String(retryAfter));
      const wait = retryAfter < 120 ? `${retryAfter} seconds` : `${Math.ceil(retryAfter / 60)} minutes`;
      return html(
        reply,
        429,
        p.signInPage(portal.csrfToken(binding), { email, error: `Too many sign-in requests. Try again in ${wait}.` }),
      );
    }
    return html(reply, 200, p.linkSentPage(email));
  });

  app.get('/portal/sign-in/:token', hide, async (request, reply) => {
    const { token } = request.params as { token: string };
    const found = token.length <= 128 ? await portal.lookUpLink(token) : ({ state: 'unknown' } as const);
    if (found.state !== 'open') return html(reply, found.state === 'unknown' ? 404 : 410, p.deadLinkPage(found.state));
    reply.header('referrer-policy', 'no-referrer');
    return html(reply, 200, p.confirmSignInPage(portal.csrfToken(anonBinding(request, reply)), token, found.email));
  });

  app.post('/portal/sign-in/:token', hide, async (request, reply) => {
    const { token } = request.params as { token: string };
    if (!portal.checkCsrf(anonBinding(request, reply), (request.body as Form | undefined)?.csrf))
      return refuseCsrf(reply);
    const sessionToken = token.length <= 128 ? await portal.completeSignIn(token) : undefined;
    if (!sessionToken) return html(reply, 410, p.deadLinkPage('gone'));
    reply.setCookie(SESSION_COOKIE, sessionToken, { ...cookieOptions, maxAge: config.portal.sessionMax });
    return reply.redirect('/portal', 303);
  });

  app.post('/portal/sign-out', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    await portal.signOut(who.session);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/portal/sign-in?signed-out=1', 303);
  });

  // Applications

  app.get('/portal', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const apps = await onboarding.listApplications(who.session.developerId);
    const cards = apps
      .map(
        (a) => `<li><h2><a href="/portal/applications/${esc(a.applicationId)}">${esc(a.name)}</a></h2>
<p class="muted">${esc(a.solution)} · <code>${esc(a.applicationId)}</code></p><p><code>${esc(a.notificationUrl)}</code></p></li>`,
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

  const applicationForm = (
    csrf: string,
    action: string,
    values: { name?: string; description?: string | null; notificationUrl?: string; solution?: string },
    isNew: boolean,
    error?: string,
  ) => {
    const options = solutions
      .list()
      .map(
        (s) =>
          `<option value="${esc(s.domain)}"${s.domain === values.solution ? ' selected' : ''}>${esc(s.title)} (${esc(s.domain)})</option>`,
      )
      .join('');
    return `${error ? p.notice(esc(error), 'error') : ''}<form method="post" action="${esc(action)}">${p.hidden(csrf)}
<label for="name">Name</label><input id="name" name="name" type="text" required maxlength="120" value="${esc(values.name)}">
<label for="description">Description</label><textarea id="description" name="description" maxlength="1000">${esc(values.description)}</textarea>
${isNew ? `<label for="solution">Solution</label><select id="solution" name="solution">${options}</select>` : ''}
<label for="notificationUrl">Notification URL</label>
<input id="notificationUrl" name="notificationUrl" type="url" required maxlength="2048" value="${esc(values.notificationUrl)}" aria-describedby="url-hint">
<p class="hint" id="url-hint">An absolute https URL that receives the events. A new one also receives the next API keys.</p>
<div class="actions"><button type="submit">${isNew ? 'Create application' : 'Save changes'}</button></div></form>`;
  };

  /** Reads a problem from the rules of registration into one sentence for the form. */
  const problemText = (error: unknown) => {
    if (error instanceof ProblemError && error.status === 400)
      return error.errors?.map((e) => `${e.pointer.replace(/^\//, '')} ${e.message}`).join('; ') || error.detail;
    throw error;
  };
  const applicationInput = (body: unknown) => ({
    name: (field(body, 'name', 120) ?? '').trim(),
    description: (field(body, 'description', 1000) ?? '').trim(),
    notificationUrl: (field(body, 'notificationUrl') ?? '').trim(),
  });

  app.get('/portal/applications/new', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'applications',
        'New application',
        applicationForm(who.viewer.csrf, '/portal/applications', { solution: 'ecommerce' }, true),
      ),
    );
  });

  app.post('/portal/applications', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
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
          applicationForm(who.viewer.csrf, '/portal/applications', input, true, problemText(error)),
        ),
      );
    }
  });

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
<dt>Notification URL</dt><dd><code>${esc(a.notificationUrl)}</code></dd><dt>Created</dt><dd>${p.time(a.createdAt)}</dd></dl>
<div class="actions"><a class="button secondary" href="/portal/events?application=${esc(a.applicationId)}">Its events</a>
${p.postButton(`${base}/test-event`, viewer.csrf, 'Send a test event', 'secondary')}</div>
<h2>Edit</h2>
${applicationForm(viewer.csrf, base, opts.values ?? { name: a.name, description: a.description, notificationUrl: a.notificationUrl }, false, opts.error)}
<h2>Webhook signing secret</h2>
<p>Rotating makes a new secret, shown once. Events are signed with the new and the old secret for 24 hours, so your
receiver keeps verifying them while you deploy the new one.</p>
${p.postButton(`${base}/webhook-secret`, viewer.csrf, 'Rotate the signing secret', 'danger')}`,
    );
  };

  app.get('/portal/applications/:applicationId', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const { applicationId } = request.params as { applicationId: string };
    return html(
      reply,
      200,
      await applicationPage(who.viewer, who.session, applicationId, { saved: queryOf(request).saved === '1' }),
    );
  });

  app.post('/portal/applications/:applicationId', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
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
    const who = await signedIn(request, reply);
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
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const { applicationId } = request.params as { applicationId: string };
    const a = await ownApplication(who.session, applicationId);
    const eventId = await eventLog.sendTest(a.applicationId);
    return reply.redirect(`/portal/events/${eventId}`, 303);
  });

  // Integrations

  app.get('/portal/integrations', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
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
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const { integrationId } = request.params as { integrationId: string };
    const integration = await q.findIntegration(db, who.session.developerId, integrationId);
    if (!integration) throw notFound();
    await consent.revokeOfApplication(integration.id, integration.application_id);
    return reply.redirect(`/portal/integrations?revoked=${encodeURIComponent(integration.id)}`, 303);
  });

  // Events

  app.get('/portal/events', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
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
    const who = await signedIn(request, reply);
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
    const who = await signedIn(request, reply);
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

  // Uploads

  app.get('/portal/uploads', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const query = queryOf(request);
    const status = UPLOAD_STATUSES.includes(query.status ?? '') ? query.status : undefined;
    const { rows, next } = paged(
      await q.listUploads(db, who.session.developerId, { status }, decodeCursor(query.after), PAGE_SIZE),
    );
    const filters = `<form class="filters" method="get" action="/portal/uploads"><div><label for="status">Status</label><select id="status" name="status"><option value="">All</option>${UPLOAD_STATUSES.map(
      (s) => `<option${s === status ? ' selected' : ''}>${esc(s)}</option>`,
    ).join('')}</select></div><div><button class="secondary" type="submit">Filter</button></div></form>`;
    const body = p.table(
      'Uploads',
      ['Upload', 'Type', 'Application', 'Instance', 'Status', 'Progress', 'Records', 'Errors', 'Created'],
      rows.map((r) => {
        const progress = journeyProgress(r.status, r.progress);
        return [
          `<a href="/portal/uploads/${esc(r.id)}"><code>${esc(r.id)}</code></a>`,
          esc(r.type),
          esc(r.application_name),
          esc(r.instance_name),
          p.badge(r.status),
          `<progress max="100" value="${progress}" aria-label="Progress of ${esc(r.id)}">${progress}%</progress>`,
          r.records === null ? '—' : String(r.records),
          String(r.error_count),
          p.time(r.created_at),
        ];
      }),
      'No uploads yet.',
    );
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'uploads',
        'Uploads',
        `${filters}${body}${p.pager(next, { status, after: query.after }, '/portal/uploads')}`,
      ),
    );
  });

  app.get('/portal/uploads/:uploadId', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const { uploadId } = request.params as { uploadId: string };
    const u = await q.findUpload(db, who.session.developerId, uploadId);
    if (!u) throw notFound();
    const progress = journeyProgress(u.status, u.progress);
    const final = isFinal(u.status);
    const errors = JSON.parse(u.errors) as { pointer: string; message: string }[];
    const base = `/portal/uploads/${esc(u.id)}`;
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'uploads',
        `Upload ${u.type}`,
        `${p.liveRegion(
          !final,
          `<dl class="facts"><dt>Upload ID</dt><dd><code>${esc(u.id)}</code></dd><dt>Application</dt><dd>${esc(u.application_name)}</dd>
<dt>Instance</dt><dd>${esc(u.instance_name)}</dd><dt>Stage</dt><dd>${stageOf(u.status)}</dd>
<dt>Status</dt><dd id="upload-status">${p.badge(u.status)}</dd>
<dt>Progress</dt><dd><progress max="100" value="${progress}" aria-label="Progress">${progress}%</progress> ${progress}%</dd>
<dt>Records</dt><dd>${u.records ?? '—'}</dd><dt>Size</dt><dd>${p.bytes(u.size)}</dd><dt>Errors</dt><dd>${u.error_count}</dd>
<dt>Created</dt><dd>${p.time(u.created_at)}</dd><dt>Updated</dt><dd>${p.time(u.updated_at)}</dd></dl>
<div class="actions"><a class="button secondary" href="${base}/content" download>Download the content</a>
${u.result_blob_key ? `<a class="button" href="${base}/result" download>Download the result</a>` : ''}</div>
${
  errors.length
    ? `<h2>Errors</h2>${p.table(
        'Errors',
        ['Where', 'What'],
        errors.map((e) => [`<code>${esc(e.pointer)}</code>`, esc(e.message)]),
        '',
      )}`
    : ''
}
${final ? '' : '<p class="muted">The status updates by itself until the upload is finished.</p>'}`,
        )}`,
        { live: !final },
      ),
    );
  });

  app.get('/portal/uploads/:uploadId/content', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const u = await q.findUpload(db, who.session.developerId, (request.params as { uploadId: string }).uploadId);
    if (!u) throw notFound();
    reply.header('content-disposition', `attachment; filename="${u.id}.json"`);
    return sendStored(request, reply, blobs, { key: u.blob_key, size: Number(u.size), sha256: u.sha256 });
  });

  app.get('/portal/uploads/:uploadId/result', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const u = await q.findUpload(db, who.session.developerId, (request.params as { uploadId: string }).uploadId);
    if (!u || !u.result_blob_key) throw notFound();
    reply.header('content-disposition', `attachment; filename="${u.id}-result.json"`);
    return sendStored(request, reply, blobs, {
      key: u.result_blob_key,
      size: Number(u.result_size),
      sha256: u.result_sha256!,
    });
  });

  // Scope files

  app.get('/portal/files', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const after = queryOf(request).after;
    const { rows, next } = paged(await q.listScopeFiles(db, who.session.developerId, decodeCursor(after), PAGE_SIZE));
    const body = p.table(
      'Scope files',
      ['Scope', 'Instance', 'Version', 'Records', 'Size', 'Created', ''],
      rows.map((r) => [
        esc(r.scope),
        esc(r.instance_name),
        `<code>${esc(r.id)}</code>${r.previous_file_id ? `<br><span class="muted">after <code>${esc(r.previous_file_id)}</code></span>` : ''}`,
        String(r.records),
        p.bytes(r.size),
        p.time(r.created_at),
        `<a href="/portal/files/${esc(r.id)}/content" download>Download<span class="skip"> ${esc(r.id)}</span></a>`,
      ]),
      'No scope files: they appear once an instance you are integrated with delivers its data.',
    );
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'files',
        'Scope files',
        `<p>Every kept version, newest first.</p>${body}${p.pager(next, { after }, '/portal/files')}`,
      ),
    );
  });

  app.get('/portal/files/:fileId/content', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const f = await q.findScopeFile(db, who.session.developerId, (request.params as { fileId: string }).fileId);
    if (!f) throw notFound();
    reply.header('content-disposition', `attachment; filename="${f.scope}-${f.id}.json"`);
    return sendStored(request, reply, blobs, { key: f.blob_key, size: Number(f.size), sha256: f.sha256 });
  });

  // Developer tokens

  const tokensPage = async (
    who: { session: PortalSession; viewer: p.Viewer },
    created?: { name: string; token: string },
  ) => {
    const tokens = await portal.listTokens(who.session.developerId);
    const list = p.table(
      'Developer tokens',
      ['Name', 'Token ID', 'Created', 'Last used', 'Status', ''],
      tokens.map((t) => [
        esc(t.name),
        `<code>${esc(t.id)}</code>`,
        p.time(t.created_at),
        p.time(t.last_used_at),
        p.badge(t.revoked_at ? 'revoked' : 'active'),
        t.revoked_at ? '' : p.postButton(`/portal/tokens/${t.id}/revoke`, who.viewer.csrf, 'Revoke', 'danger small'),
      ]),
      'No developer tokens yet.',
    );
    return p.consolePage(
      who.viewer,
      'tokens',
      'Developer tokens',
      `${created ? `${p.notice(`Token “${esc(created.name)}” is created. Copy it now: it is not shown again.`)}<label for="token">Developer token</label><code id="token" class="secret">${esc(created.token)}</code>` : ''}
<p>A developer token lets a program change your applications through the developer API
(<code>Authorization: Bearer ccd_…</code>): list them, change a <code>notificationUrl</code>, rotate a signing secret.</p>
<form method="post" action="/portal/tokens">${p.hidden(who.viewer.csrf)}<label for="token-name">Name</label>
<input id="token-name" name="name" type="text" required maxlength="80" placeholder="deploy script"><div class="actions"><button type="submit">Create token</button></div></form>
${list}`,
    );
  };

  app.get('/portal/tokens', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    return html(reply, 200, await tokensPage(who));
  });

  app.post('/portal/tokens', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    const name = (field(request.body, 'name', 80) ?? '').trim() || 'token';
    const { token } = await portal.createToken(who.session.developerId, name);
    return html(reply, 201, await tokensPage(who, { name, token }));
  });

  app.post('/portal/tokens/:tokenId/revoke', hide, async (request, reply) => {
    const who = await signedIn(request, reply);
    if (!who) return reply;
    if (!(await portal.revokeToken(who.session.developerId, (request.params as { tokenId: string }).tokenId)))
      throw notFound();
    return reply.redirect('/portal/tokens', 303);
  });
}
