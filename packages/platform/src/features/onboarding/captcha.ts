import { createChallenge, extractParams, verifySolution } from 'altcha-lib';
import type { Challenge, Payload } from 'altcha-lib/types';
import { sha256Hex } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import { spendCaptcha } from './queries.js';

const CHALLENGE_LIFE_MS = 10 * 60_000;

/**
 * ALTCHA proof-of-work for the registration page. Each challenge is bound to one registration (a `reg` parameter
 * signed into its salt) and each solution is accepted once: a solution for another link, an expired one, or one
 * already used is refused.
 */
export class RegistrationCaptcha {
  constructor(
    private readonly hmacKey: string,
    private readonly maxNumber: number,
  ) {}

  challenge(tokenHash: string): Promise<Challenge> {
    return createChallenge({
      hmacKey: this.hmacKey,
      maxNumber: this.maxNumber,
      // Real time, not the platform's clock: altcha-lib checks the expiry against Date.now().
      expires: new Date(Date.now() + CHALLENGE_LIFE_MS),
      params: { reg: bindingOf(tokenHash) },
    });
  }

  /** Verifies and spends a widget payload (base64 JSON); false for anything but a fresh, valid solution. */
  async verify(db: Db, payload: string | undefined, tokenHash: string): Promise<boolean> {
    if (!payload || payload.length > 4096) return false;
    let decoded: Payload;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Payload;
      if (typeof decoded?.signature !== 'string' || typeof decoded.salt !== 'string') return false;
      if (!(await verifySolution(decoded, this.hmacKey, true))) return false;
    } catch {
      return false;
    }
    if (extractParams(decoded).reg !== bindingOf(tokenHash)) return false;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + CHALLENGE_LIFE_MS).toISOString();
    return spendCaptcha(db, sha256Hex(decoded.signature), expiresAt, now.toISOString());
  }
}

const bindingOf = (tokenHash: string) => tokenHash.slice(0, 16);
