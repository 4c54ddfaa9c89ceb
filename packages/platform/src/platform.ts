import type { Credential } from '@connected-cloud/contract';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config.js';
import { Instances } from './features/admin/service.js';
import { ApiKeys } from './features/apikeys/service.js';
import { Consent } from './features/consent/service.js';
import { eventDeliveryHandler } from './features/events/delivery.js';
import { ScopeFiles } from './features/files/service.js';
import { EventLog } from './features/events/log.js';
import { DELIVER_EVENT, EventOutbox } from './features/events/outbox.js';
import { RegistrationCaptcha } from './features/onboarding/captcha.js';
import { Onboarding } from './features/onboarding/service.js';
import { Portal } from './features/portal/service.js';
import { Retention } from './features/ops/retention.js';
import { SolutionRegistry } from './features/solutions/registry.js';
import { InboxSignal } from './features/uploads/inbox.js';
import { Uploads } from './features/uploads/service.js';
import { createMailer, type Mailer } from './infra/mail/index.js';
import { mailJobs } from './infra/mail/outbox.js';
import { filesystemBlobs, type BlobStore } from './infra/blobs/index.js';
import { blobJobs } from './infra/blobs/jobs.js';
import { adminAuth, apiKeyAuth, developerTokenAuth, instanceAuth, type AuthHook } from './infra/http/auth.js';
import { CredentialCache } from './infra/http/credential-cache.js';
import { guardedAgent } from './infra/net/guarded-agent.js';
import { Metrics } from './infra/metrics.js';
import { JobQueue } from './infra/queue/index.js';
import { RateLimits } from './infra/ratelimit/index.js';
import { SecretBox } from './infra/secrets/cipher.js';
import { resolveLocalKeys } from './infra/secrets/local-keys.js';
import { openStore, type Store } from './infra/store/index.js';

/** Everything a feature may use, built once at start and handed to the routes through `app.platform`. */
export interface Platform {
  config: Config;
  log: Logger;
  store: Store;
  blobs: BlobStore;
  solutions: SolutionRegistry;
  mailer: Mailer;
  secrets: SecretBox;
  captcha: RegistrationCaptcha;
  queue: JobQueue;
  events: EventOutbox;
  eventLog: EventLog;
  onboarding: Onboarding;
  instances: Instances;
  apikeys: ApiKeys;
  consent: Consent;
  files: ScopeFiles;
  uploads: Uploads;
  /** What the inbox's long polls wait on; stopped first when the platform stops, so that no poll holds it up. */
  inbox: InboxSignal;
  metrics: Metrics;
  /** Store-backed rate limits, named in config.rateLimits. */
  limits: RateLimits;
  retention: Retention;
  portal: Portal;
  /** The one hook per credential kind (the contract's words); a route's kind in the table picks it. */
  auth: Record<Exclude<Credential, 'none'>, AuthHook>;
  /** Starts the background work (the queue's worker). */
  start(): Promise<void>;
  /** Stops the background work, letting jobs in hand finish, then closes the store. */
  close(): Promise<void>;
}

export async function createPlatform(config: Config, log: Logger): Promise<Platform> {
  // Refused rather than ignored: files must not land on local disk when the operator asked for S3.
  if (config.s3) throw new ConfigError('S3_ENDPOINT', 'S3 storage is not available in this version yet; unset the S3_* variables to keep files under DATA_DIR');
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
  const metrics = new Metrics(store.db);
  const limits = new RateLimits(store, config.rateLimits);
  queue.handle(DELIVER_EVENT, eventDeliveryHandler({ db: store.db, secrets, agent, config, metrics }));
  const events = new EventOutbox(queue, secrets);
  const solutions = new SolutionRegistry(config.publicUrl);
  const credentials = new CredentialCache(store);
  const apikeys = new ApiKeys({ db: store.db, secrets, queue, limits, credentials, ttlSeconds: config.apikeyTtl, graceSeconds: config.apikeyGrace });
  const blobs = filesystemBlobs(config.dataDir);
  const inbox = new InboxSignal(store);
  const platform = {
    config,
    log,
    store,
    blobs,
    solutions,
    mailer,
    secrets,
    captcha: new RegistrationCaptcha(secrets.derive('altcha').toString('base64'), config.captchaMaxNumber),
    queue,
    inbox,
    metrics,
    limits,
    events,
    eventLog: new EventLog({ db: store.db, secrets, outbox: events, limits }),
    apikeys,
    async start() {
      const swept = await blobs.sweep(async (key) => (await platform.files.isReferenced(key)) || (await platform.uploads.isReferenced(key)));
      if (swept > 0) log.warn({ swept }, 'removed files a crash left behind');
      await credentials.start();
      await inbox.start();
      await queue.start();
    },
    async close() {
      await inbox.stop();
      await credentials.stop();
      await queue.stop();
      await agent.close();
      limits.close();
      mailer.close();
      await store.close();
    },
  } as Platform;
  platform.onboarding = new Onboarding(platform);
  platform.consent = new Consent({ db: store.db, config, secrets, queue, limits, events, apikeys, onboarding: platform.onboarding, solutions, credentials });
  platform.instances = new Instances({ db: store.db, consent: platform.consent, credentials });
  platform.files = new ScopeFiles({ db: store.db, blobs, queue, events, solutions, config });
  platform.uploads = new Uploads({ db: store.db, blobs, queue, events, solutions, inbox, config, log });
  platform.portal = new Portal({ db: store.db, secrets, queue, config, limits });
  platform.auth = {
    adminToken: adminAuth(keys.adminTokenHash),
    instanceKey: instanceAuth((key) => platform.instances.authenticate(key)),
    developerToken: developerTokenAuth((token) => platform.portal.checkToken(token)),
    apiKey: apiKeyAuth((key) => apikeys.check(key), 7 * 86_400_000),
  };
  platform.retention = new Retention({ store, queue, uploads: platform.uploads, days: config.retentionDays, log });
  queue.register(...platform.consent.jobs, ...apikeys.jobs, ...blobJobs(blobs), ...platform.uploads.jobs, ...platform.retention.jobs, ...mailJobs(mailer, secrets));
  return platform;
}
