import type { ConsentChallenge } from '@connected-cloud/contract';
import escapeHtml from 'escape-html';

export interface IntegrationRow {
  integrationId: string;
  application: { name: string };
  developer: { name: string; company: string | null };
  solution: string;
  status: 'active' | 'revoked';
  createdAt: string;
}

const esc = (s: string | number | boolean | null | undefined) => escapeHtml(s == null ? '' : String(s));

function layout(company: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${esc(company)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}
button{font:inherit;padding:.4rem 1rem;cursor:pointer}.note{padding:.6rem;border-left:4px solid #2e6b30;background:#eef6ee}
.error{padding:.6rem;border-left:4px solid #a4262c;background:#fbeeee}label{display:block;font-weight:600}
input{font:inherit;padding:.4rem;letter-spacing:.1em;text-transform:uppercase}
.warning{padding:.6rem;border-left:4px solid #8a5a00;background:#fdf5e6}
a.button{display:inline-block;padding:.4rem 1rem;border:1px solid #555;border-radius:3px;color:inherit;text-decoration:none}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}</style></head>
<body><header><p>${esc(company)} — Connected Cloud connector</p></header><main>
${body}
</main></body></html>`;
}

const form = (action: string, token: string, button: string, extra = '') =>
  `<form method="post" action="${esc(action)}"><input type="hidden" name="token" value="${esc(token)}">${extra}<button type="submit">${esc(button)}</button></form>`;

export function homePage(opts: {
  company: string;
  token: string;
  integrations: IntegrationRow[];
  note?: string;
  error?: string;
  passcode?: string;
}): string {
  const rows = opts.integrations
    .map(
      (
        i,
      ) => `<tr><td>${esc(i.application.name)}</td><td>${esc(i.developer.name)}${i.developer.company ? ` (${esc(i.developer.company)})` : ''}</td>
<td>${esc(i.solution)}</td><td>${esc(i.createdAt.slice(0, 10))}</td><td>${esc(i.status)}</td>
<td>${i.status === 'active' ? `<a class="button" href="/integrations/${esc(encodeURIComponent(i.integrationId))}/disable">Disable ${esc(i.application.name)}</a>` : ''}</td></tr>`,
    )
    .join('\n');
  return layout(
    opts.company,
    'External integrations',
    `<h1>External integrations</h1>
${opts.note ? `<p class="note" role="status">${esc(opts.note)}</p>` : ''}
<section aria-labelledby="enable"><h2 id="enable">Enable external integration</h2>
<p>An application shows you a passcode. Type it here to see what it asks for before you allow it.</p>
${opts.error ? `<p class="error" role="alert" id="passcode-error">${esc(opts.error)}</p>` : ''}
<form method="post" action="/consents"><input type="hidden" name="token" value="${esc(opts.token)}">
<label for="passcode">Passcode</label>
<input id="passcode" name="passcode" required autocomplete="off" spellcheck="false" maxlength="64" value="${esc(opts.passcode ?? '')}"${opts.error ? ' aria-invalid="true" aria-describedby="passcode-error"' : ''}>
<button type="submit">Continue</button></form></section>
<section aria-labelledby="list"><h2 id="list">Integrations</h2>
${opts.integrations.length === 0 ? '<p>No application is connected yet.</p>' : `<table><thead><tr><th scope="col">Application</th><th scope="col">Developer</th><th scope="col">Solution</th><th scope="col">Since</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>${rows}</tbody></table>`}
</section>`,
  );
}

export function consentPage(opts: { company: string; token: string; challenge: ConsentChallenge }): string {
  const c = opts.challenge;
  const list = (items: string[]) =>
    items.length === 0 ? '<p>Nothing.</p>' : `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
  return layout(
    opts.company,
    `Allow ${c.application.name}?`,
    `<h1>Allow ${esc(c.application.name)} to connect to ${esc(opts.company)}?</h1>
<dl><dt>Application</dt><dd>${esc(c.application.name)}${c.application.description ? ` — ${esc(c.application.description)}` : ''}</dd>
<dt>Developer</dt><dd>${esc(c.developer.name)}${c.developer.company ? ` (${esc(c.developer.company)})` : ''}</dd>
<dt>Solution</dt><dd>${esc(c.solution.title)} (${esc(c.solution.domain)})</dd></dl>
${c.replaces ? replacesWarning(c.application.name, c.replaces) : ''}
<h2>It will receive</h2>${list(c.solution.scopes)}
<h2>It may send</h2>${list(c.solution.uploads)}
<p>This request expires at ${esc(c.expires.slice(11, 16))} UTC.</p>
${form(`/consents/${c.consentId}/grant`, opts.token, 'Grant')}
${form(`/consents/${c.consentId}/deny`, opts.token, 'Deny')}
<p><a href="/">Back</a></p>`,
  );
}

const when = (iso: string) => `${iso.slice(0, 10)} at ${iso.slice(11, 16)} UTC`;

/** Granting again replaces the application's running integration: say so before the user chooses. */
function replacesWarning(application: string, replaces: { integrationId: string; createdAt: string }): string {
  return `<div class="warning" role="note"><h2>This replaces the current connection</h2>
<p>${esc(application)} is already connected to this company, since ${esc(when(replaces.createdAt))}. Granting ends that
connection (its key stops working at once) and starts a new one. Orders it sent before are not taken in twice.</p></div>`;
}

/** Disabling cuts an application off at once: a page of its own asks first, and works without JavaScript. */
export function disablePage(opts: { company: string; token: string; integration: IntegrationRow }): string {
  const i = opts.integration;
  return layout(
    opts.company,
    `Disable ${i.application.name}?`,
    `<h1>Disable ${esc(i.application.name)}?</h1>
<p>${esc(i.application.name)} (${esc(i.developer.name)}${i.developer.company ? `, ${esc(i.developer.company)}` : ''}) has been connected since
${esc(when(i.createdAt))}. Disabling it stops it reading your data and sending you orders at once; it is told it was disconnected.
To connect it again it must ask you for a new passcode.</p>
${form(`/integrations/${i.integrationId}/disable`, opts.token, `Yes, disable ${i.application.name}`)}
<p><a href="/">No, keep it connected</a></p>`,
  );
}
