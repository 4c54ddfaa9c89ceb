import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import '../hidden.js';
import { SHELL_CSS, SITE_CSS } from './style.js';
import escapeHtml from 'escape-html';

/** The page shell every HTML page of the platform is written in: one header, one stylesheet, one footer. */

export const esc = (s: string | number | null | undefined) => escapeHtml(String(s ?? ''));

/** Scripts only from the platform itself (the ALTCHA widget styles itself inline, hence 'unsafe-inline' for styles). */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self' blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The one script of the pages, and optional: a region marked data-live="on" is fetched again every 2 s and replaced,
 * until the server marks it "off" (the upload or event reached its end). Without JavaScript, reloading shows the same.
 */
const LIVE_JS = `const live = document.querySelector('[data-live="on"]');
async function tick() {
  try {
    const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').querySelector('[data-live]');
    if (!fresh) return;
    live.innerHTML = fresh.innerHTML;
    if (fresh.getAttribute('data-live') !== 'on') return;
  } catch {}
  setTimeout(tick, 2000);
}
if (live) setTimeout(tick, 2000);
`;
export const LIVE_SCRIPT = '<script type="module" src="/assets/live.js"></script>';

const hashed = (name: string, css: string) =>
  `/assets/${name}.${createHash('sha256').update(css).digest('hex').slice(0, 10)}.css`;
const CSS_PATH = hashed('site', SITE_CSS);
const SHELL_CSS_PATH = hashed('shell', SHELL_CSS);

export interface PageOptions {
  title: string;
  body: string;
  /** The header's links: the signed-in developer gets the console and a sign-out button (with its CSRF token). */
  session?: { email: string; csrf: string } | undefined;
  /** Which header link is the current page. */
  current?: 'home' | 'docs' | 'portal';
  narrow?: boolean;
  /** Extra tags for <head> (the ALTCHA widget's module). */
  head?: string;
}

/** The site's header: the brand, the links, and sign-in or sign-out. */
export function siteHeader(current?: PageOptions['current'], session?: PageOptions['session']): string {
  const cur = (name: PageOptions['current']) => (current === name ? ' aria-current="page"' : '');
  const account = session
    ? `<form class="inline" method="post" action="/portal/sign-out"><input type="hidden" name="csrf" value="${esc(session.csrf)}">` +
      `<button class="link" type="submit">Sign out</button></form>`
    : `<a href="/portal/sign-in">Sign in</a>`;
  return `<header class="site"><div class="bar">
<a class="brand" href="/">Connected Cloud</a>
<nav aria-label="Site">
<a href="/"${cur('home')}>Guide</a>
<a href="/docs"${cur('docs')}>API reference</a>
<a href="/portal"${cur('portal')}>Console</a>
${account}
</nav>
</div></header>`;
}

/** The document's head: the stylesheet (only the shell's for a page that brings its own), no referrer, extra tags. */
export function pageHead(title: string, extra = '', stylesheet: 'site' | 'shell' = 'site'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${stylesheet === 'site' ? CSS_PATH : SHELL_CSS_PATH}">
<title>${esc(title)} · Connected Cloud</title>
${extra}
</head>`;
}

export function page(o: PageOptions): string {
  return `${pageHead(o.title, o.head)}
<body>
<a class="skip" href="#main">Skip to content</a>
${siteHeader(o.current, o.session)}
<main id="main"${o.narrow ? ' class="narrow"' : ''}>
<h1>${esc(o.title)}</h1>
${o.body}
</main>
<footer class="site"><div>Connected Cloud · <a href="/openapi.json">OpenAPI</a> · <a href="/postman.json">Postman collection</a></div></footer>
</body>
</html>
`;
}

/** A person in a browser (HTML preferred, not an API route) gets pages; API clients keep problem documents. */
export function wantsPage(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/') || request.url === '/api') return false;
  const accept = String(request.headers.accept ?? '');
  return /\btext\/html\b/.test(accept);
}

/** An error as a page: what went wrong in words, and where to go next. */
export function errorPage(status: number, title: string, detail: string): string {
  return page({
    title: status === 404 ? 'Page not found' : title,
    narrow: true,
    body: `<p role="alert">${esc(detail)}</p>
<p class="muted">Error ${status}.</p>
<div class="actions"><a class="button" href="/">Go to the guide</a><a class="button secondary" href="/portal">Open the console</a></div>`,
  });
}

/** The stylesheet's route and the headers every page carries. */
export function installPages(app: FastifyInstance): void {
  for (const [path, css] of [
    [CSS_PATH, SITE_CSS],
    [SHELL_CSS_PATH, SHELL_CSS],
  ]) {
    app.get(path!, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(css),
    );
  }
  app.get('/assets/live.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(LIVE_JS),
  );
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (
      String(reply.getHeader('content-type') ?? '').startsWith('text/html') &&
      !reply.getHeader('content-security-policy')
    ) {
      reply.header('content-security-policy', PAGE_CSP).header('x-content-type-options', 'nosniff');
      if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
    }
    done(null, payload);
  });
}
