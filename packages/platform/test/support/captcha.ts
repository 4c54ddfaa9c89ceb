import { solveChallenge } from 'altcha-lib';

/** Solves the registration page's ALTCHA challenge the way the widget does, and returns the form payload. */
export async function solveRegistrationCaptcha(registrationUrl: string): Promise<string> {
  const res = await fetch(`${registrationUrl}/challenge`);
  if (res.status !== 200) throw new Error(`challenge: ${res.status} ${await res.text()}`);
  const challenge = (await res.json()) as {
    algorithm: string;
    challenge: string;
    salt: string;
    signature: string;
    maxnumber: number;
  };
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber)
    .promise;
  if (!solution) throw new Error('challenge not solvable');
  const payload = {
    algorithm: challenge.algorithm,
    challenge: challenge.challenge,
    number: solution.number,
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
