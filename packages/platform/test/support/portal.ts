import type { MailCatcher } from './smtp.js';

/** A browser without a browser: cookies kept, forms posted with their CSRF token, redirects not followed. */
export class FormClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async request(
    method: string,
    path: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; location: string | null; text: string; headers: Headers }> {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=');
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || v === '') this.cookies.delete(k!);
      else this.cookies.set(k!, v!);
    }
    return { status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** The CSRF token of the form on the page at `page`. */
  async csrf(page: string): Promise<string> {
    const res = await this.get(page);
    const token = /name="csrf" value="([0-9a-f]{64})"/.exec(res.text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${page} (${res.status})`);
    return token;
  }

  /** Posts a form with the CSRF token of `from` (the page it sits on). */
  async post(
    path: string,
    form: Record<string, string> = {},
    from = '/portal',
  ): Promise<ReturnType<FormClient['request']>> {
    return this.request('POST', path, { csrf: await this.csrf(from), ...form });
  }
}

const SUBJECT = 'Sign in to Connected Cloud';

/** The sign-in e-mails received so far for `email`. */
export const signInMails = (mail: MailCatcher, email: string) =>
  new Set(mail.to(email).filter((m) => m.subject === SUBJECT));

/** The link of the first sign-in e-mail to `email` that is not among `seen`. */
export async function signInLink(mail: MailCatcher, email: string, seen = signInMails(mail, email)): Promise<string> {
  const m = await mail.waitFor(email, (x) => x.subject === SUBJECT && !seen.has(x));
  const link = /(http\S+\/portal\/sign-in\/[0-9A-Za-z]+)/.exec(m.text ?? '')?.[1];
  if (!link) throw new Error(`no link in: ${m.text}`);
  return link;
}

/** Signs in through the forms, as a browser would; returns the client with its session cookie. */
export async function signIn(base: string, mail: MailCatcher, email: string): Promise<FormClient> {
  const client = new FormClient(base);
  const seen = signInMails(mail, email);
  const asked = await client.post('/portal/sign-in', { email }, '/portal/sign-in');
  if (asked.status !== 200) throw new Error(`sign-in request: ${asked.status}`);
  const path = new URL(await signInLink(mail, email, seen)).pathname;
  const done = await client.post(path, {}, path);
  if (done.status !== 303 || !client.cookies.has('cc_session')) throw new Error(`sign-in: ${done.status}`);
  return client;
}
