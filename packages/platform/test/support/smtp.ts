import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps every message it receives, parsed. */
export class MailCatcher {
  readonly messages: ParsedMail[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, _session, callback) => {
      simpleParser(stream).then(
        (mail) => {
          this.messages.push(mail);
          for (const wake of this.#waiters) wake();
          callback();
        },
        (error) => callback(error as Error),
      );
    },
  });
  port = 0;

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The first message (received or to come) to `to` that `match` accepts. */
  async waitFor(to: string, match: (m: ParsedMail) => boolean = () => true, timeoutMs = 30_000): Promise<ParsedMail> {
    const find = () => this.messages.find((m) => recipients(m).includes(to.toLowerCase()) && match(m));
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (!found) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no mail to ${to} within ${timeoutMs} ms (${this.messages.length} received)`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  to(address: string): ParsedMail[] {
    return this.messages.filter((m) => recipients(m).includes(address.toLowerCase()));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function recipients(m: ParsedMail): string[] {
  const to = Array.isArray(m.to) ? m.to : m.to ? [m.to] : [];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

/** The IDs and secret of a credentials e-mail, by the lines the contract names. */
export function credentialsOf(mail: ParsedMail): { developerId: string; applicationId: string; webhookSecret: string } {
  const text = mail.text ?? '';
  const line = (label: string) => new RegExp(`^${label}: (\\S+)$`, 'm').exec(text)?.[1];
  const developerId = line('Developer ID');
  const applicationId = line('Application ID');
  const webhookSecret = line('Webhook signing secret');
  if (!developerId || !applicationId || !webhookSecret) throw new Error(`not a credentials e-mail:\n${text}`);
  return { developerId, applicationId, webhookSecret };
}
