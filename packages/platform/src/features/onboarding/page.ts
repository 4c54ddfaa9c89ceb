/** The registration pages: plain, accessible HTML; the only script is the self-hosted ALTCHA widget. */

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self' blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function layout(title: string, body: string, withWidget = false): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${esc(title)} · Connected Cloud</title>
${withWidget ? '<script type="module" src="../assets/altcha.js"></script>' : ''}
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a1a; }
  h1 { font-size: 1.5rem; } .error { color: #a00; } button { font: inherit; padding: .5rem 1.25rem; margin-top: 1rem; }
</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export function registrationForm(args: { token: string; developerName: string; applicationName: string; error?: string }): string {
  const t = encodeURIComponent(args.token);
  return layout(
    'Complete your registration',
    `<p>Hello ${esc(args.developerName)}, one step remains to register the application
<strong>${esc(args.applicationName)}</strong>: confirm that you are not a robot.</p>
${args.error ? `<p class="error" role="alert">${esc(args.error)}</p>` : ''}
<form method="post" action="${t}">
  <altcha-widget name="altcha" challengeurl="${t}/challenge" hidelogo></altcha-widget>
  <button type="submit">Complete registration</button>
</form>`,
    true,
  );
}

export function checkYourEmail(email: string): string {
  return layout(
    'Check your e-mail',
    `<p role="status">Your registration is complete. We sent your Developer ID, your Application ID and your webhook
signing secret to <strong>${esc(email)}</strong>.</p>`,
  );
}

export function linkProblem(kind: 'unknown' | 'used' | 'expired'): string {
  const text = {
    unknown: ['Registration link not found', 'This registration link does not exist. Check that you copied it whole.'],
    used: ['Registration already completed', 'This registration link has already been used. Your IDs were sent by e-mail.'],
    expired: ['Registration link expired', 'This registration link has expired. Register again to get a new one.'],
  }[kind];
  return layout(text[0]!, `<p role="alert">${esc(text[1]!)}</p>`);
}
