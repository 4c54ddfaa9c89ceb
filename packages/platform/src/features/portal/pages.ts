import { LIVE_SCRIPT, esc, page } from '../../infra/http/pages/index.js';

/** The console's pages: plain HTML forms and tables in the shared shell; every one works without JavaScript. */

export interface Viewer {
  email: string;
  csrf: string;
}

export type Tab = 'applications' | 'integrations' | 'events' | 'uploads' | 'files' | 'tokens';

const TABS: [Tab, string, string][] = [
  ['applications', 'Applications', '/portal'],
  ['integrations', 'Integrations', '/portal/integrations'],
  ['events', 'Events', '/portal/events'],
  ['uploads', 'Uploads', '/portal/uploads'],
  ['files', 'Scope files', '/portal/files'],
  ['tokens', 'Developer tokens', '/portal/tokens'],
];

export function consolePage(
  viewer: Viewer,
  tab: Tab,
  title: string,
  body: string,
  opts: { live?: boolean } = {},
): string {
  const tabs = TABS.map(
    ([t, label, href]) => `<a href="${href}"${t === tab ? ' aria-current="page"' : ''}>${label}</a>`,
  ).join('');
  return page({
    title,
    current: 'portal',
    session: viewer,
    head: opts.live ? LIVE_SCRIPT : '',
    body: `<p class="muted">Signed in as ${esc(viewer.email)}</p>
<nav class="tabs" aria-label="Console">${tabs}</nav>
${body}`,
  });
}

export const hidden = (csrf: string) => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;

/** A one-button form (POST with its CSRF token). */
export const postButton = (action: string, csrf: string, label: string, cls = 'secondary small') =>
  `<form class="inline" method="post" action="${esc(action)}">${hidden(csrf)}<button class="${cls}" type="submit">${esc(label)}</button></form>`;

export function table(caption: string, head: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  const numeric = (h: string) => /^(Records|Size|Attempts|Errors|HTTP status|Duration)/.test(h);
  return `<div class="table-wrap" role="region" aria-label="${esc(caption)}" tabindex="0"><table>
<caption class="skip">${esc(caption)}</caption>
<thead><tr>${head.map((h) => `<th scope="col"${numeric(h) ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td data-label="${esc(head[i])}"${numeric(head[i]!) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n')}</tbody>
</table></div>`;
}

const GOOD = new Set(['delivered', 'active', 'accepted', 'valid']);
const BAD = new Set(['failed', 'revoked', 'invalid']);
export const badge = (status: string) =>
  `<span class="badge ${GOOD.has(status) ? 'ok' : BAD.has(status) ? 'bad' : 'wait'}">${esc(status)}</span>`;

export const time = (iso: string | null | undefined) =>
  iso
    ? `<time datetime="${esc(iso)}">${esc(iso.slice(0, 19).replace('T', ' '))} UTC</time>`
    : '<span class="muted">—</span>';

export function bytes(n: number | string | null | undefined): string {
  const v = Number(n ?? 0);
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let x = v / 1024;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${x.toFixed(1)} ${units[u]}`;
}

export function pager(next: string | undefined, params: Record<string, string | undefined>, path: string): string {
  const query = (extra: Record<string, string>) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...params, ...extra })) if (v) qs.set(k, v);
    const s = qs.toString();
    return s ? `${path}?${s}` : path;
  };
  const first = params.after
    ? `<a class="button secondary small" href="${esc(query({ after: '' }))}">First page</a>`
    : '';
  const more = next ? `<a class="button secondary small" href="${esc(query({ after: next }))}">Next page</a>` : '';
  return first || more ? `<nav class="pager" aria-label="Pages">${first}${more}</nav>` : '';
}

/**
 * A URL as code that wraps after a slash, or before a dot or its query, not mid-word: <wbr> marks where, and adds
 * no character to what is copied.
 */
export const urlCode = (url: string) =>
  `<code class="url">${url
    .split(/(?<=[^/]\/)(?=[^/])|(?=[.?&#])/)
    .map(esc)
    .join('<wbr>')}</code>`;

export const notice = (text: string, kind: 'success' | 'error' | '' = 'success') =>
  `<p class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;

// Sign-in

export function signInPage(csrf: string, opts: { email?: string; error?: string; signedOut?: boolean } = {}): string {
  return page({
    title: 'Sign in to the console',
    current: 'portal',
    narrow: true,
    body: `${opts.signedOut ? notice('You are signed out.') : ''}${opts.error ? notice(esc(opts.error), 'error') : ''}
<p>Enter the e-mail address you registered with. We send you a link that signs you in: no password.</p>
<form method="post" action="/portal/sign-in">
${hidden(csrf)}
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value="${esc(opts.email ?? '')}">
<div class="actions"><button type="submit">Send me a sign-in link</button></div>
</form>
<p class="muted">Not registered yet? Follow <a href="/#register">the first step of the guide</a>.</p>`,
  });
}

export function linkSentPage(email: string): string {
  return page({
    title: 'Check your e-mail',
    current: 'portal',
    narrow: true,
    body: `<p role="status">If <strong>${esc(email)}</strong> belongs to a registered developer, a sign-in link is on its way.
It works once, for 15 minutes.</p><p><a href="/portal/sign-in">Use another address</a></p>`,
  });
}

export function confirmSignInPage(csrf: string, token: string, email: string): string {
  return page({
    title: 'Sign in',
    current: 'portal',
    narrow: true,
    body: `<p>Sign in to the Connected Cloud console as <strong>${esc(email)}</strong>.</p>
<form method="post" action="/portal/sign-in/${esc(encodeURIComponent(token))}">${hidden(csrf)}
<div class="actions"><button type="submit">Sign in</button></div></form>`,
  });
}

export function deadLinkPage(kind: 'unknown' | 'gone'): string {
  const text =
    kind === 'unknown'
      ? 'This sign-in link is not valid. Check that you copied it whole.'
      : 'This sign-in link has expired or was already used.';
  return page({
    title: 'Sign-in link not valid',
    current: 'portal',
    narrow: true,
    body: `<p role="alert">${text}</p><div class="actions"><a class="button" href="/portal/sign-in">Get a new link</a></div>`,
  });
}

export function messagePage(title: string, text: string, viewer?: Viewer): string {
  return page({
    title,
    narrow: true,
    current: 'portal',
    session: viewer,
    body: `<p role="alert">${esc(text)}</p><p><a href="/portal">Back to the console</a></p>`,
  });
}

/** A region the live script refreshes while `moving` (see infra/http/pages); a plain region without JavaScript. */
export const liveRegion = (moving: boolean, html: string) =>
  `<div data-live="${moving ? 'on' : 'off'}" aria-live="polite">${html}</div>`;
