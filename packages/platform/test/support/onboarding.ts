import { solveRegistrationCaptcha, submitRegistration } from './captcha.js';
import { credentialsOf, type MailCatcher } from './smtp.js';

export interface RegisteredApplication {
  developerId: string;
  applicationId: string;
  webhookSecret: string;
  /** The token of the registration link, for tests that look for it where it must not be. */
  registrationToken: string;
}

/** Registers a developer and an application the way a developer does: API, captcha, e-mail. */
export async function registerApplication(
  platformUrl: string,
  mail: MailCatcher,
  opts: { notificationUrl: string; email?: string; solution?: string },
): Promise<RegisteredApplication> {
  const email = opts.email ?? `dev-${Math.random().toString(36).slice(2)}@example.com`;
  const res = await fetch(`${platformUrl}/api/developers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Test Developer',
      email,
      application: { name: 'Test App', solution: opts.solution ?? 'ecommerce', notificationUrl: opts.notificationUrl },
    }),
  });
  if (res.status !== 202) throw new Error(`register: ${res.status} ${await res.text()}`);
  const { registrationUrl } = (await res.json()) as { registrationUrl: string };
  const done = await submitRegistration(registrationUrl, await solveRegistrationCaptcha(registrationUrl));
  if (done.status !== 200) throw new Error(`registration page: ${done.status}`);
  return { ...credentialsOf(await mail.waitFor(email)), registrationToken: registrationUrl.split('/').pop()! };
}

export async function sendTestEvent(platformUrl: string, app: RegisteredApplication): Promise<string> {
  const res = await fetch(
    `${platformUrl}/api/developers/${app.developerId}/applications/${app.applicationId}/events/test`,
    { method: 'POST' },
  );
  if (res.status !== 202) throw new Error(`test event: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { eventId: string }).eventId;
}
