import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../../infra/http/fastify.js';
import { ProblemError } from '../../../infra/http/problem.js';
import { randomBase62 } from '../../../infra/secrets/random.js';
import type { PortalSession } from '../service.js';
import type * as q from '../queries.js';
import * as p from '../pages.js';

export const SESSION_COOKIE = 'cc_session';
const ANON_COOKIE = 'cc_csrf';
export const PAGE_SIZE = 50;
export const hide = { schema: { hide: true } };

type Form = Record<string, unknown>;

export interface SignedIn {
  session: PortalSession;
  viewer: p.Viewer;
}

/** A form field as text, or undefined; over `max` characters is refused, not cut. */
export function field(body: unknown, name: string, max = 2048): string | undefined {
  const v = (body as Form | undefined)?.[name];
  if (typeof v !== 'string') return undefined;
  if (v.length > max)
    throw new ProblemError(400, 'invalid-request', `The field ${name} is longer than ${max} characters`);
  return v;
}

/** The CSRF token a form was posted with. */
export const csrfOf = (request: FastifyRequest): unknown => (request.body as Form | undefined)?.csrf;

export const queryOf = (request: FastifyRequest) => request.query as Record<string, string | undefined>;

/** The `after` of a Next page link: the (created_at, id) of the last row shown. */
export const encodeCursor = (row: { created_at: string; id: string }) =>
  Buffer.from(`${row.created_at}|${row.id}`).toString('base64url');

export function decodeCursor(after: string | undefined): q.Cursor | undefined {
  if (!after || after.length > 200) return undefined;
  const [createdAt, id] = Buffer.from(after, 'base64url').toString('utf8').split('|');
  return createdAt && id ? { createdAt, id } : undefined;
}

/** Cuts the extra row a list query fetched: its presence says there is a next page. */
export function paged<T extends { created_at: string; id: string }>(
  rows: T[],
): { rows: T[]; next: string | undefined } {
  if (rows.length <= PAGE_SIZE) return { rows, next: undefined };
  const page = rows.slice(0, PAGE_SIZE);
  return { rows: page, next: encodeCursor(page[page.length - 1]!) };
}

export const notFound = () => new ProblemError(404, 'not-found', 'There is nothing here, or it is not yours.');

export const html = (reply: FastifyReply, status: number, body: string) =>
  reply.code(status).type('text/html; charset=utf-8').send(body);

export const refuseCsrf = (reply: FastifyReply) =>
  html(
    reply,
    403,
    p.messagePage(
      'This form has expired',
      'The form was missing its security token, or it was too old. Go back, reload the page and try again.',
    ),
  );

/** What the console's sections share: the cookies' options and the CSRF bindings, before and after sign-in. */
export type Console = ReturnType<typeof consoleKit>;

export function consoleKit(app: App) {
  const { portal, config } = app.platform;
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.publicUrl.startsWith('https:'),
  };
  const sessionBinding = (s: PortalSession) => `session:${s.tokenHash}`;

  /** The anonymous CSRF binding of a browser before sign-in (a random cookie), set if it has none. */
  const anonBinding = (request: FastifyRequest, reply: FastifyReply) => {
    let value = request.cookies[ANON_COOKIE];
    if (!value || !/^[0-9A-Za-z]{32}$/.test(value)) {
      value = randomBase62(32);
      reply.setCookie(ANON_COOKIE, value, cookieOptions);
    }
    return `anon:${value}`;
  };

  /**
   * The signed-in developer, or undefined after answering for them: a page asks them to sign in; a form posted
   * without its CSRF token is refused. Nothing changes either way.
   */
  async function signedIn(
    request: FastifyRequest,
    reply: FastifyReply,
    form = request.method === 'POST',
  ): Promise<SignedIn | undefined> {
    const session = await portal.session(request.cookies[SESSION_COOKIE]);
    if (!session) {
      if (request.cookies[SESSION_COOKIE]) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.redirect('/portal/sign-in', 303);
      return undefined;
    }
    if (form && !portal.checkCsrf(sessionBinding(session), csrfOf(request))) {
      refuseCsrf(reply);
      return undefined;
    }
    return { session, viewer: { email: session.email, csrf: portal.csrfToken(sessionBinding(session)) } };
  }

  return { cookieOptions, anonBinding, signedIn };
}
