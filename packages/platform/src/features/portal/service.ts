import type { Config } from '../../config.js';
import type { Clock } from '../../infra/clock.js';
import type { DeveloperTokenCheck } from '../../infra/http/auth.js';
import type { JobQueue } from '../../infra/queue/index.js';
import type { RateLimits } from '../../infra/ratelimit/index.js';
import type { SecretBox } from '../../infra/secrets/cipher.js';
import { hasValidChecksum, newId, newKey, newToken, sameHash, sha256Hex } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import { queueMail } from '../../infra/mail/outbox.js';
import * as q from './queries.js';

export interface PortalSession {
  developerId: string;
  email: string;
  /** The hash of the cookie's token: what the session is found by, and what its CSRF token is derived from. */
  tokenHash: string;
}

export type { DeveloperTokenCheck } from '../../infra/http/auth.js';

/**
 * Sign-in by e-mailed link, sessions, CSRF tokens and developer tokens. Every secret here (link, session, token) is
 * 256 bits or a checksummed key, found by its SHA-256; none is stored or logged in plain text.
 */
export class Portal {
  constructor(
    private readonly d: {
      db: Db;
      secrets: SecretBox;
      queue: JobQueue;
      config: Config;
      limits: RateLimits;
      clock: Clock;
    },
  ) {}

  /**
   * E-mails a sign-in link to each active developer of this address; an unknown address gets nothing and the same
   * answer. Limited per address and per client (RATE_LIMIT_SIGNIN_EMAILS, RATE_LIMIT_SIGNIN_CLIENTS, kept in the
   * store): past a limit, a 429 ProblemError with Retry-After, and nothing is sent.
   */
  async requestSignIn(email: string, client: string): Promise<void> {
    const { config } = this.d;
    const now = this.d.clock.date();
    const detail = 'Too many sign-in requests: try again later';
    await this.d.limits.consume('signInClients', sha256Hex(client), detail);
    await this.d.limits.consume('signInEmails', sha256Hex(email.trim().toLowerCase()), detail);
    const developers = await q.activeDevelopersByEmail(this.d.db, email.trim());
    if (developers.length === 0) return;
    const expires = new Date(now.getTime() + config.portal.signInLinkTtl * 1000).toISOString();
    await this.d.db.transaction().execute(async (tx) => {
      const lines: string[] = [];
      for (const developer of developers) {
        const token = newToken();
        await q.insertSignInLink(tx, {
          token_hash: sha256Hex(token),
          developer_id: developer.id,
          expires_at: expires,
          used_at: null,
          created_at: now.toISOString(),
        });
        lines.push(`Developer ID: ${developer.id}`, `${config.publicUrl}/portal/sign-in/${token}`, '');
      }
      const text = [
        'Hello,',
        '',
        'open this link to sign in to the Connected Cloud console:',
        '',
        ...lines,
        `The link works once, for ${Math.round(config.portal.signInLinkTtl / 60)} minutes.`,
        'If you did not ask for it, ignore this e-mail.',
        '',
        'Connected Cloud',
      ].join('\n');
      await queueMail(tx, this.d.queue, this.d.secrets, {
        to: developers[0]!.email,
        subject: 'Sign in to Connected Cloud',
        text,
      });
    });
  }

  /** What the link page shows; opening it changes nothing (link scanners open links too). */
  async lookUpLink(token: string): Promise<{ state: 'open'; email: string } | { state: 'unknown' | 'gone' }> {
    const link = await q.findSignInLink(this.d.db, sha256Hex(token));
    if (!link) return { state: 'unknown' };
    if (link.used_at || link.expires_at <= this.d.clock.date().toISOString()) return { state: 'gone' };
    return { state: 'open', email: link.email };
  }

  /** Spends the link and opens a session; returns the session's cookie token, or undefined if the link is dead. */
  async completeSignIn(token: string): Promise<string | undefined> {
    const link = await q.findSignInLink(this.d.db, sha256Hex(token));
    if (!link) return undefined;
    const now = this.d.clock.date();
    const sessionToken = newToken();
    const opened = await this.d.db.transaction().execute(async (tx) => {
      if (!(await q.spendSignInLink(tx, sha256Hex(token), now.toISOString()))) return false;
      await q.insertSession(tx, {
        token_hash: sha256Hex(sessionToken),
        developer_id: link.developer_id,
        created_at: now.toISOString(),
        last_seen_at: now.toISOString(),
        expires_at: new Date(now.getTime() + this.d.config.portal.sessionMax * 1000).toISOString(),
        ended_at: null,
      });
      return true;
    });
    return opened ? sessionToken : undefined;
  }

  /** The live session of a cookie token, its idle clock restarted (written at most once a minute). */
  async session(token: string | undefined): Promise<PortalSession | undefined> {
    if (!token || token.length > 128) return undefined;
    const tokenHash = sha256Hex(token);
    const now = this.d.clock.date();
    const idleSince = new Date(now.getTime() - this.d.config.portal.sessionIdle * 1000).toISOString();
    const row = await q.findLiveSession(this.d.db, tokenHash, now.toISOString(), idleSince);
    if (!row) return undefined;
    if (now.getTime() - Date.parse(row.last_seen_at) > 60_000)
      await q.touchSession(this.d.db, tokenHash, now.toISOString());
    return { developerId: row.developer_id, email: row.email, tokenHash };
  }

  async signOut(session: PortalSession): Promise<void> {
    await q.endSession(this.d.db, session.tokenHash, this.d.clock.date().toISOString());
  }

  /** The CSRF token of a form: bound to the session, or before sign-in to the browser's anonymous cookie. */
  csrfToken(binding: string): string {
    return this.d.secrets.mac('portal-csrf', binding);
  }

  checkCsrf(binding: string | undefined, given: unknown): boolean {
    return (
      typeof binding === 'string' &&
      typeof given === 'string' &&
      /^[0-9a-f]{64}$/.test(given) &&
      sameHash(this.csrfToken(binding), given)
    );
  }

  async createToken(developerId: string, name: string): Promise<{ id: string; token: string }> {
    const token = newKey('ccd');
    const id = newId('dtk');
    await q.insertToken(this.d.db, {
      id,
      developer_id: developerId,
      name,
      token_hash: sha256Hex(token),
      created_at: this.d.clock.date().toISOString(),
      last_used_at: null,
      revoked_at: null,
    });
    return { id, token };
  }

  listTokens(developerId: string) {
    return q.listTokens(this.d.db, developerId);
  }

  revokeToken(developerId: string, id: string): Promise<boolean> {
    return q.revokeToken(this.d.db, developerId, id, this.d.clock.date().toISOString());
  }

  /** `Authorization: Bearer ccd_…`: the developer it belongs to, or why not. */
  async checkToken(token: string): Promise<DeveloperTokenCheck> {
    if (!token.startsWith('ccd_') || !hasValidChecksum(token))
      return { problem: 'developer-token-invalid', detail: 'This is not a developer token (ccd_…)' };
    const row = await q.findTokenByHash(this.d.db, sha256Hex(token));
    if (!row) return { problem: 'developer-token-invalid', detail: 'The developer token is not known' };
    if (row.revoked_at) return { problem: 'developer-token-revoked', detail: 'The developer token was revoked' };
    const now = this.d.clock.date();
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > 60_000)
      await q.touchToken(this.d.db, row.id, now.toISOString());
    return { developerId: row.developer_id, tokenId: row.id };
  }
}
