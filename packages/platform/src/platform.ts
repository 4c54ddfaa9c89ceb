import type { Credential } from '@connected-cloud/contract';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config.js';
import { systemClock, type Clock } from './infra/clock.js';
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
import { openBlobStore, type BlobStore } from './infra/blobs/index.js';
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
  /** "Now" for every service: the system's, or a test's that moves. */
  clock: Clock;
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
  /** Set once start() has finished: until then /ready and the API answer 503 (app.ts). */
  started: boolean;
  /** Starts the background work (the queue's worker). */
  start(): Promise<void>;
  /** Stops the background work, letting jobs in hand finish, then closes the store. */
  close(): Promise<void>;
}

export async function createPlatform(config: Config, log: Logger, opts: { clock?: Clock } = {}): Promise<Platform> {
  const clock = opts.clock ?? systemClock;
  const keys = resolveLocalKeys(config.dataDir, config, (token, file) => {
    // The one time the admin token is shown: to the operator's terminal, never to the log.
    process.stderr.write(
      `\nADMIN_TOKEN was not set: generated ${token}\nKeep it: only its hash is kept (${file}).\n\n`,
    );
  });
  const store = await openStore(config);
  const secrets = new SecretBox(keys.secretsKey);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir, log });
  // A claimed delivery is this process's for the HTTP timeout and a margin; a crash frees it after that.
  const queue = new JobQueue(store, log, { ...config.queue, leaseMs: config.webhookTimeoutMs + 10_000, clock });
  const agent = guardedAgent({
    allowPrivate: config.allowInsecureNotificationUrls,
    connectTimeoutMs: config.webhookTimeoutMs,
  });
  const metrics = new Metrics();
  const limits = new RateLimits(store, config.rateLimits);
  metrics.gauge('cc_jobs', 'Jobs in the queue, by kind and status (queued or dead)', ['kind', 'status'], () =>
    queue.counts(),
  );
  queue.handle(DELIVER_EVENT, eventDeliveryHandler({ db: store.db, secrets, agent, config, metrics, clock }));
  const events = new EventOutbox(queue, secrets, clock);
  const solutions = new SolutionRegistry(config.publicUrl);
  const credentials = new CredentialCache(store);
  const apikeys = new ApiKeys({
    db: store.db,
    secrets,
    queue,
    clock,
    limits,
    credentials,
    ttlSeconds: config.apikeyTtl,
    graceSeconds: config.apikeyGrace,
  });
  const blobs = await openBlobStore(config);
  if (!config.s3 && store.dialect === 'postgres') {
    log.info(
      { files: `${config.dataDir}/files` },
      'files are kept under DATA_DIR: every process on this database must share that folder, or use S3_*',
    );
  }
  const inbox = new InboxSignal(store);
  const eventLog = new EventLog({ db: store.db, secrets, outbox: events, clock, limits });
  const captcha = new RegistrationCaptcha(secrets.derive('altcha').toString('base64'), config.captchaMaxNumber);
  const onboarding = new Onboarding({ db: store.db, config, secrets, captcha, queue, solutions, clock, limits });
  const consent = new Consent({
    db: store.db,
    config,
    secrets,
    queue,
    clock,
    limits,
    events,
    apikeys,
    onboarding,
    solutions,
    credentials,
  });
  const instances = new Instances({ db: store.db, consent, credentials, clock });
  const files = new ScopeFiles({ db: store.db, blobs, queue, events, solutions, config, clock });
  const uploads = new Uploads({ db: store.db, blobs, queue, events, solutions, inbox, config, log, clock });
  const retention = new Retention({ store, queue, uploads, clock, days: config.retentionDays, log });
  const portal = new Portal({ db: store.db, secrets, queue, config, limits, clock });
  const auth = {
    adminToken: adminAuth(keys.adminTokenHash),
    instanceKey: instanceAuth((key) => instances.authenticate(key)),
    developerToken: developerTokenAuth((token) => portal.checkToken(token)),
    apiKey: apiKeyAuth((key) => apikeys.check(key), 7 * 86_400_000, clock),
  };
  /** Which of these blob keys a record refers to: the sweep and the guard of a write keep those. */
  const referencedKeys = async (keys: string[]) =>
    new Set([...(await files.referencedKeys(keys)), ...(await uploads.referencedKeys(keys))]);
  metrics.gauge('cc_uploads', 'Uploads, by status', ['status'], () => uploads.countByStatus());
  queue.register(
    ...consent.jobs,
    ...apikeys.jobs,
    ...blobJobs(blobs, referencedKeys),
    ...uploads.jobs,
    ...retention.jobs,
    ...mailJobs(mailer, secrets),
  );

  const platform: Platform = {
    config,
    clock,
    log,
    store,
    blobs,
    solutions,
    mailer,
    secrets,
    captcha,
    queue,
    inbox,
    metrics,
    limits,
    events,
    eventLog,
    onboarding,
    instances,
    apikeys,
    consent,
    files,
    uploads,
    retention,
    portal,
    auth,
    started: false,
    async start() {
      if (config.s3) {
        await blobs.ping().catch((error: Error) => {
          throw new ConfigError(
            'S3_ENDPOINT',
            `the bucket "${config.s3!.bucket}" at ${config.s3!.endpoint} cannot be reached: ${error.name} ${error.message}`,
          );
        });
      }
      const swept = await blobs.sweep(referencedKeys);
      if (swept > 0) log.warn({ swept }, 'removed files a crash left behind');
      await credentials.start();
      await inbox.start();
      await queue.start();
      platform.started = true;
    },
    async close() {
      await inbox.stop();
      await credentials.stop();
      await queue.stop();
      await agent.close();
      limits.close();
      mailer.close();
      blobs.close?.();
      await store.close();
    },
  };
  return platform;
}
