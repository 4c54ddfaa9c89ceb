import type { Logger } from 'pino';
import type { Config } from './config.js';
import { eventDeliveryHandler } from './features/events/delivery.js';
import { DELIVER_EVENT, EventOutbox } from './features/events/outbox.js';
import { RegistrationCaptcha } from './features/onboarding/captcha.js';
import { Onboarding } from './features/onboarding/service.js';
import { SolutionRegistry } from './features/solutions/registry.js';
import { createMailer, type Mailer } from './infra/mail/index.js';
import { guardedAgent } from './infra/net/guarded-agent.js';
import { JobQueue } from './infra/queue/index.js';
import { SecretBox } from './infra/secrets/cipher.js';
import { resolveLocalKeys } from './infra/secrets/local-keys.js';
import { openStore, type Store } from './infra/store/index.js';

/** Everything a feature may use, built once at start and handed to the routes through `app.platform`. */
export interface Platform {
  config: Config;
  log: Logger;
  store: Store;
  solutions: SolutionRegistry;
  mailer: Mailer;
  secrets: SecretBox;
  captcha: RegistrationCaptcha;
  adminTokenHash: string;
  queue: JobQueue;
  events: EventOutbox;
  onboarding: Onboarding;
  /** Starts the background work (the queue's worker). */
  start(): Promise<void>;
  /** Stops the background work, letting jobs in hand finish, then closes the store. */
  close(): Promise<void>;
}

export async function createPlatform(config: Config, log: Logger): Promise<Platform> {
  const keys = resolveLocalKeys(config.dataDir, config, (token, file) => {
    // The one time the admin token is shown: to the operator's terminal, never to the log.
    process.stderr.write(`\nADMIN_TOKEN was not set: generated ${token}\nKeep it: only its hash is kept (${file}).\n\n`);
  });
  const store = await openStore(config);
  const secrets = new SecretBox(keys.secretsKey);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir, log });
  // A claimed delivery is this process's for the HTTP timeout and a margin; a crash frees it after that.
  const queue = new JobQueue(store, log, { ...config.queue, leaseMs: config.webhookTimeoutMs + 10_000 });
  const agent = guardedAgent({ allowPrivate: config.allowInsecureNotificationUrls, connectTimeoutMs: config.webhookTimeoutMs });
  queue.handle(DELIVER_EVENT, eventDeliveryHandler({ db: store.db, secrets, agent, config }));
  const platform: Platform = {
    config,
    log,
    store,
    solutions: new SolutionRegistry(config.publicUrl),
    mailer,
    secrets,
    captcha: new RegistrationCaptcha(secrets.derive('altcha').toString('base64'), config.captchaMaxNumber),
    adminTokenHash: keys.adminTokenHash,
    queue,
    events: new EventOutbox(queue, secrets),
    onboarding: undefined as unknown as Onboarding,
    start: () => queue.start(),
    async close() {
      await queue.stop();
      await agent.close();
      mailer.close();
      await store.close();
    },
  };
  platform.onboarding = new Onboarding(platform);
  return platform;
}
