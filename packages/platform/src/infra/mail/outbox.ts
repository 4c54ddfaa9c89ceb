import type { JobHandler, JobQueue } from '../queue/index.js';
import type { SecretBox } from '../secrets/cipher.js';
import type { Db } from '../store/index.js';
import type { Mail, Mailer } from './index.js';

export const SEND_MAIL = 'send-mail';
const MAX_ATTEMPTS = 20; // with the queue's backoff (1 s doubling, capped at 10 min): about 2.5 hours

/**
 * E-mail goes out through the job queue: the message is queued in the transaction of the change it reports, so a
 * crash cannot lose it, and a mail server that is down is retried. Messages carry credentials, so the queued copy
 * is sealed.
 */
export async function queueMail(tx: Db, queue: JobQueue, secrets: SecretBox, mail: Mail): Promise<void> {
  await queue.enqueue(tx, { kind: SEND_MAIL, payload: { sealed: secrets.seal(JSON.stringify(mail)) } });
}

export function mailJobHandler(mailer: Mailer, secrets: SecretBox): JobHandler {
  return async (job) => {
    const mail = JSON.parse(secrets.open((job.payload as { sealed: string }).sealed)) as Mail;
    try {
      await mailer.send(mail);
      return { outcome: 'done' };
    } catch (error) {
      const message = `mail to ${mail.to} failed: ${(error as Error).message}`;
      if (job.attempts >= MAX_ATTEMPTS) return { outcome: 'dead', error: message };
      return { outcome: 'retry', at: new Date(Date.now() + Math.min(600_000, 1000 * 2 ** (job.attempts - 1))), error: message };
    }
  };
}
