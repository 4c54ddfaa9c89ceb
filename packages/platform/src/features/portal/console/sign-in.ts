import type { App } from '../../../infra/http/fastify.js';
import { ProblemError } from '../../../infra/http/problem.js';
import * as p from '../pages.js';
import { type Console, SESSION_COOKIE, csrfOf, field, hide, html, queryOf, refuseCsrf } from './shared.js';

/** Sign-in by e-mailed link, and sign-out. Before sign-in the CSRF tokens are bound to an anonymous cookie. */
export function signInRoutes(app: App, c: Console): void {
  const { portal, config } = app.platform;

  app.get('/portal/sign-in', hide, async (request, reply) => {
    const session = await portal.session(request.cookies[SESSION_COOKIE]);
    if (session) return reply.redirect('/portal', 303);
    return html(
      reply,
      200,
      p.signInPage(portal.csrfToken(c.anonBinding(request, reply)), {
        signedOut: queryOf(request)['signed-out'] === '1',
      }),
    );
  });

  app.post('/portal/sign-in', hide, async (request, reply) => {
    const binding = c.anonBinding(request, reply);
    if (!portal.checkCsrf(binding, csrfOf(request))) return refuseCsrf(reply);
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
    return html(reply, 200, p.confirmSignInPage(portal.csrfToken(c.anonBinding(request, reply)), token, found.email));
  });

  // Opening the link only shows a button: mail scanners that follow links must not sign anyone in.
  app.post('/portal/sign-in/:token', hide, async (request, reply) => {
    const { token } = request.params as { token: string };
    if (!portal.checkCsrf(c.anonBinding(request, reply), csrfOf(request))) return refuseCsrf(reply);
    const sessionToken = token.length <= 128 ? await portal.completeSignIn(token) : undefined;
    if (!sessionToken) return html(reply, 410, p.deadLinkPage('gone'));
    reply.setCookie(SESSION_COOKIE, sessionToken, { ...c.cookieOptions, maxAge: config.portal.sessionMax });
    return reply.redirect('/portal', 303);
  });

  app.post('/portal/sign-out', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    await portal.signOut(who.session);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/portal/sign-in?signed-out=1', 303);
  });
}
