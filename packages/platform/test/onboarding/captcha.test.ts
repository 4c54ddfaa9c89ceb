import { createChallenge, solveChallenge } from 'altcha-lib';
import { expect, it } from 'vitest';
import { solve } from '../support/captcha.js';

// The tests register through the captcha with a solver of their own (support/captcha.ts); it must find the number
// altcha-lib's does, for challenges made as the platform makes them (an expiry and a parameter in the salt).
it('solves challenges as altcha-lib does', async () => {
  for (let i = 0; i < 10; i++) {
    const challenge = await createChallenge({
      hmacKey: 'test',
      maxNumber: 2_000,
      expires: new Date(Date.now() + 600_000),
      params: { reg: `r${i}` },
    });
    expect(challenge.salt).toMatch(/\?reg=r\d&expires=\d+&$/);
    const theirs = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber)
      .promise;
    expect(theirs).not.toBeNull();
    expect(solve({ ...challenge, maxnumber: challenge.maxnumber! })).toBe(theirs!.number);
  }
  const unsolvable = await createChallenge({ hmacKey: 'test', maxNumber: 50, number: 50 });
  expect(solve({ ...unsolvable, maxnumber: 49 })).toBeNull();
});
