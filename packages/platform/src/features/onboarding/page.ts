/** The registration pages, in the platform's page shell; the only script is the self-hosted ALTCHA widget. */
import { esc, page } from '../../infra/http/pages/index.js';

export function registrationForm(args: {
  token: string;
  developerName: string;
  applicationName: string;
  error?: string;
}): string {
  const t = encodeURIComponent(args.token);
  return page({
    title: 'Complete your registration',
    narrow: true,
    head: '<script type="module" src="/assets/altcha.js"></script>',
    body: `<p>Hello ${esc(args.developerName)}, one step remains to register the application
<strong>${esc(args.applicationName)}</strong>: confirm that you are not a robot.</p>
${args.error ? `<p class="notice error" role="alert">${esc(args.error)}</p>` : ''}
<form method="post" action="${t}">
  <altcha-widget name="altcha" challengeurl="${t}/challenge" hidelogo></altcha-widget>
  <div class="actions"><button type="submit">Complete registration</button></div>
</form>`,
  });
}

export function checkYourEmail(email: string): string {
  return page({
    title: 'Check your e-mail',
    narrow: true,
    body: `<p role="status">Your registration is complete. We sent your Developer ID, your Application ID and your webhook
signing secret to <strong>${esc(email)}</strong>.</p>
<p>Next: <a href="/#passcode">ask for a passcode</a>, or <a href="/portal/sign-in">sign in to the console</a> with the same address.</p>`,
  });
}

export function linkProblem(kind: 'unknown' | 'used' | 'expired'): string {
  const text = {
    unknown: ['Registration link not found', 'This registration link does not exist. Check that you copied it whole.'],
    used: [
      'Registration already completed',
      'This registration link has already been used. Your IDs were sent by e-mail.',
    ],
    expired: ['Registration link expired', 'This registration link has expired. Register again to get a new one.'],
  }[kind];
  return page({
    title: text[0]!,
    narrow: true,
    body: `<p role="alert">${esc(text[1])}</p><p><a href="/">Read the guide</a></p>`,
  });
}
