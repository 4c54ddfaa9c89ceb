import { Type } from 'typebox';
import { defineJob, handler, type JobQueue, type JobRegistration } from '../queue/index.js';
import type { SecretBox } from '../secrets/cipher.js';
import type { Db } from '../store/index.js';
import type { Mail, Mailer } from './index.js';

export const SEND_MAIL = defineJob('send-mail', Type.Object({ sealed: Type.String() }));

/**
 * E-mail goes out through the job queue: the message is queued in the transaction of the change it reports, so a
 * crash cannot lose it, and a mail server that is down is retried (the queue's backoff for a handler that throws).
 * Messages carry credentials, so the queued copy is sealed.
 */
export async function queueMail(tx: Db, queue: JobQueue, secrets: SecretBox, mail: Mail): Promise<void> {
  await queue.enqueue(tx, SEND_MAIL, { sealed: secrets.seal(JSON.stringify(mail)) });
}

/** Sends a queued message; a failure throws, and the queue retries it with its backoff. */
export function mailJobs(mailer: Mailer, secrets: SecretBox): JobRegistration[] {
  return [handler(SEND_MAIL, async ({ sealed }) => mailer.send(JSON.parse(secrets.open(sealed)) as Mail))];
}
