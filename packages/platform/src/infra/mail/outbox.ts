import type { JobHandler, JobQueue } from '../queue/index.js';
import type { SecretBox } from '../secrets/cipher.js';
import type { Db } from '../store/index.js';
import type { Mail, Mailer } from './index.js';

export const SEND_MAIL = 'send-mail';

/**
 * E-mail goes out through the job queue: the message is queued in the transaction of the change it reports, so a
 * crash cannot lose it, and a mail server that is down is retried (the queue's backoff for a handler that throws).
 * Messages carry credentials, so the queued copy is sealed.
 */
export async function queueMail(tx: Db, queue: JobQueue, secrets: SecretBox, mail: Mail): Promise<void> {
  await queue.enqueue(tx, { kind: SEND_MAIL, payload: { sealed: secrets.seal(JSON.stringify(mail)) } });
}

/** Sends a queued message; a failure throws, and the queue retries it with its backoff. */
export function mailJobHandler(mailer: Mailer, secrets: SecretBox): JobHandler {
  return async (job) => {
    await mailer.send(JSON.parse(secrets.open((job.payload as { sealed: string }).sealed)) as Mail);
    return { outcome: 'done' };
  };
}
