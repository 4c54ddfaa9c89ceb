import type {
  Application,
  ApplicationCreated,
  ApplicationInput,
  DeveloperRegistration,
  RegistrationAccepted,
} from '@connected-cloud/contract';
import type { Config } from '../../config.js';
import type { Clock } from '../../infra/clock.js';
import type { JobQueue } from '../../infra/queue/index.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import type { RateLimits } from '../../infra/ratelimit/index.js';
import type { Db } from '../../infra/store/index.js';
import type { SolutionRegistry } from '../solutions/registry.js';
import type { RegistrationCaptcha } from './captcha.js';
import { invalidRequest, notFound } from '../../infra/http/problem.js';
import { newId, newToken, newWebhookSecret, sha256Hex } from '../../infra/secrets/random.js';
import type { ApplicationsTable } from '../../infra/store/schema.js';
import { queueMail } from '../../infra/mail/outbox.js';
import { credentialsMail } from './mail.js';
import { notificationUrlProblem, resolvedAddressProblem } from '../../infra/net/notification-url.js';
import * as q from './queries.js';
import { linkTo } from '../../infra/http/links.js';
import { routes } from '@connected-cloud/contract';

/** How long a replaced webhook signing secret keeps signing beside the new one. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3_600_000;

export type ApplicationPatch = { name?: string; description?: string; notificationUrl?: string };

function applicationOf(row: ApplicationsTable): Application {
  return {
    applicationId: row.id,
    developerId: row.developer_id,
    name: row.name,
    description: row.description,
    solution: row.solution,
    notificationUrl: row.notification_url,
    createdAt: row.created_at,
  };
}

/** Onboarding: a developer registers (pending until the captcha is solved), then adds applications. */
export class Onboarding {
  constructor(
    private readonly d: {
      db: Db;
      config: Pick<Config, 'publicUrl' | 'registrationTtl' | 'allowInsecureNotificationUrls'>;
      secrets: SecretBox;
      captcha: RegistrationCaptcha;
      queue: JobQueue;
      solutions: SolutionRegistry;
      clock: Clock;
      limits: RateLimits;
    },
  ) {}

  async register(input: DeveloperRegistration): Promise<RegistrationAccepted> {
    const now = this.d.clock.date();
    const developerId = newId('dev');
    const application = await this.#newApplication(developerId, input.application, '/application', now);
    const token = newToken();
    const expires = new Date(now.getTime() + this.d.config.registrationTtl * 1000).toISOString();
    await q.insertPendingRegistration(this.d.db, {
      developer: {
        id: developerId,
        name: input.name,
        email: input.email,
        company: input.company ?? null,
        status: 'pending',
        created_at: now.toISOString(),
        activated_at: null,
      },
      application,
      tokenHash: sha256Hex(token),
      expiresAt: expires,
    });
    return { registrationUrl: linkTo(this.d.config.publicUrl, routes.getRegistrationPage, { token }), expires };
  }

  /** What the registration page shows for a token, or why it cannot be used. */
  async lookUp(token: string) {
    const registration = await q.findRegistration(this.d.db, sha256Hex(token));
    if (!registration) return { state: 'unknown' as const };
    if (registration.completed_at) return { state: 'used' as const, registration };
    if (registration.expires_at <= this.d.clock.date().toISOString())
      return { state: 'expired' as const, registration };
    return { state: 'open' as const, registration };
  }

  challenge(token: string) {
    return this.d.captcha.challenge(sha256Hex(token));
  }

  /**
   * Solves the registration: a fresh captcha solution bound to this link activates the developer and application,
   * and the credentials e-mail is queued in the same transaction (sent at once, retried if the mail server fails).
   */
  async complete(token: string, captchaPayload: string | undefined) {
    const found = await this.lookUp(token);
    if (found.state !== 'open') return { state: found.state };
    const { registration } = found;
    const tokenHash = sha256Hex(token);
    if (!(await this.d.captcha.verify(this.d.db, captchaPayload, tokenHash))) {
      return { state: 'captcha-invalid' as const, registration };
    }
    const webhookSecret = newWebhookSecret();
    const activated = await this.d.db.transaction().execute(async (tx) => {
      const done = await q.activateRegistration(tx, {
        tokenHash,
        developerId: registration.developerId,
        applicationId: registration.applicationId,
        now: this.d.clock.date().toISOString(),
        webhookSecretSealed: this.d.secrets.seal(webhookSecret),
      });
      if (done) {
        const mail = credentialsMail({
          to: registration.email,
          developerId: registration.developerId,
          applicationId: registration.applicationId,
          applicationName: registration.applicationName,
          webhookSecret,
        });
        await queueMail(tx, this.d.queue, this.d.secrets, mail);
      }
      return done;
    });
    if (!activated) return { state: 'used' as const };
    return { state: 'completed' as const, email: registration.email };
  }

  async createApplication(developerId: string, input: ApplicationInput): Promise<ApplicationCreated> {
    const developer = await q.findActiveDeveloper(this.d.db, developerId);
    if (!developer) throw notFound('developer-not-found', `No active developer "${developerId}"`);
    const now = this.d.clock.date();
    const webhookSecret = newWebhookSecret();
    const application = await this.#newApplication(developerId, input, '', now);
    await this.d.limits.consume(
      'applicationsPerDeveloper',
      developerId,
      'This developer created too many applications: try again later',
    );
    application.status = 'active';
    application.webhook_secret_sealed = this.d.secrets.seal(webhookSecret);
    await this.d.db.transaction().execute(async (tx) => {
      await q.insertApplication(tx, application);
      const mail = credentialsMail({
        to: developer.email,
        developerId,
        applicationId: application.id,
        applicationName: application.name,
        webhookSecret,
      });
      await queueMail(tx, this.d.queue, this.d.secrets, mail);
    });
    return {
      applicationId: application.id,
      name: application.name,
      solution: application.solution,
      notificationUrl: application.notification_url,
      webhookSecret,
      createdAt: application.created_at,
    };
  }

  async getApplication(developerId: string, applicationId: string): Promise<Application> {
    const row = await q.findActiveApplication(this.d.db, developerId, applicationId);
    if (!row)
      throw notFound('application-not-found', `Developer "${developerId}" has no application "${applicationId}"`);
    return applicationOf(row);
  }

  /** A developer's active applications, oldest first (a developer has few). */
  async listApplications(developerId: string): Promise<Application[]> {
    return (await q.listActiveApplications(this.d.db, developerId)).map(applicationOf);
  }

  /**
   * Changes name, description or notificationUrl, under the rules of registration. Only for a caller that proved it
   * is the developer (a session or a developer token): whoever sets the notificationUrl receives the next API key.
   */
  async updateApplication(developerId: string, applicationId: string, patch: ApplicationPatch): Promise<Application> {
    await this.getApplication(developerId, applicationId);
    if (patch.notificationUrl !== undefined) {
      const urlProblem = notificationUrlProblem(patch.notificationUrl, this.d.config.allowInsecureNotificationUrls);
      if (urlProblem)
        throw invalidRequest(`notificationUrl ${urlProblem}`, [{ pointer: '/notificationUrl', message: urlProblem }]);
    }
    await q.updateApplication(this.d.db, applicationId, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description === '' ? null : patch.description } : {}),
      // A new URL is a fresh start: a 410 from the old one no longer stops delivery.
      ...(patch.notificationUrl !== undefined
        ? { notification_url: patch.notificationUrl, notification_gone_at: null }
        : {}),
    });
    return this.getApplication(developerId, applicationId);
  }

  /**
   * A new webhook signing secret, returned once. The replaced one keeps signing beside it for
   * WEBHOOK_SECRET_OVERLAP, so that receivers can switch without losing an event.
   */
  async rotateWebhookSecret(
    developerId: string,
    applicationId: string,
  ): Promise<{ webhookSecret: string; previousSecretValidUntil: string }> {
    const row = await q.findActiveApplication(this.d.db, developerId, applicationId);
    if (!row)
      throw notFound('application-not-found', `Developer "${developerId}" has no application "${applicationId}"`);
    const webhookSecret = newWebhookSecret();
    const previousSecretValidUntil = new Date(this.d.clock.now() + WEBHOOK_SECRET_OVERLAP_MS).toISOString();
    await q.updateApplication(this.d.db, applicationId, {
      webhook_secret_sealed: this.d.secrets.seal(webhookSecret),
      previous_webhook_secret_sealed: row.webhook_secret_sealed,
      previous_secret_valid_until: previousSecretValidUntil,
    });
    return { webhookSecret, previousSecretValidUntil };
  }

  /** A pending application row, after the checks the schema cannot make (known solution, acceptable URL). */
  async #newApplication(
    developerId: string,
    input: ApplicationInput,
    pointer: string,
    now: Date,
  ): Promise<ApplicationsTable> {
    if (!this.d.solutions.has(input.solution)) {
      throw invalidRequest(`Unknown solution "${input.solution}"`, [
        {
          pointer: `${pointer}/solution`,
          message: `is not a published solution (${this.d.solutions
            .list()
            .map((s) => s.domain)
            .join(', ')})`,
        },
      ]);
    }
    const insecure = this.d.config.allowInsecureNotificationUrls;
    const urlProblem =
      notificationUrlProblem(input.notificationUrl, insecure) ??
      (insecure ? undefined : await resolvedAddressProblem(input.notificationUrl));
    if (urlProblem) {
      throw invalidRequest(`notificationUrl ${urlProblem}`, [
        { pointer: `${pointer}/notificationUrl`, message: urlProblem },
      ]);
    }
    return {
      id: newId('app'),
      developer_id: developerId,
      name: input.name,
      description: input.description ?? null,
      solution: input.solution,
      notification_url: input.notificationUrl,
      status: 'pending',
      webhook_secret_sealed: null,
      notification_gone_at: null,
      created_at: now.toISOString(),
      previous_webhook_secret_sealed: null,
      previous_secret_valid_until: null,
    };
  }
}
