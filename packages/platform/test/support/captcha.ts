import { hash } from 'node:crypto';
import type { Challenge } from 'altcha-lib/types';

/**
 * The number the widget finds: the first n up to `maxnumber` whose hash of salt + n is the challenge. Node's
 * synchronous hash, where altcha-lib's solveChallenge awaits WebCrypto once per number (tens of thousands of
 * awaits a registration, a second of CPU each time: minutes over the suite). captcha.test.ts holds it to
 * altcha-lib's answer.
 */
export function solve(challenge: Omit<Required<Challenge>, 'signature'>): number | null {
  const algorithm = challenge.algorithm.replace('-', '').toLowerCase();
  for (let n = 0; n <= challenge.maxnumber; n++)
    if (hash(algorithm, challenge.salt + n, 'hex') === challenge.challenge) return n;
  return null;
}

/** Solves the registration page's ALTCHA challenge as the widget does, and returns the form payload. */
export async function solveRegistrationCaptcha(registrationUrl: string): Promise<string> {
  const res = await fetch(`${registrationUrl}/challenge`);
  if (res.status !== 200) throw new Error(`challenge: ${res.status} ${await res.text()}`);
  const challenge = (await res.json()) as Required<Challenge>; // the platform sets maxnumber
  const number = solve(challenge);
  if (number === null) throw new Error('challenge not solvable');
  const payload = {
    algorithm: challenge.algorithm,
    challenge: challenge.challenge,
    number,
    salt: challenge.salt,
    signature: challenge.signature,
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

/** Posts the registration form as a browser would. */
export async function submitRegistration(registrationUrl: string, altcha: string | undefined) {
  const res = await fetch(registrationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(altcha === undefined ? {} : { altcha }).toString(),
  });
  return { status: res.status, html: await res.text(), contentType: res.headers.get('content-type') };
}
