import { createChallenge, solveChallenge } from 'altcha-lib';
import { expect, it } from 'vitest';
import { solve } from '../support/captcha.js';

// The tests register through the captcha with a solver of their own (support/captcha.ts); it must find the number
// altcha-lib's does, for challenges made the way the platform makes them.
it('solves challenges as altcha-lib does', async () => {
  for (let i = 0; i < 10; i++) {
    const challenge = await createChallenge({ hmacKey: 'test', maxNumber: 2_000 });
    const theirs = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber)
      .promise;
    expect(theirs).not.toBeNull();
    expect(solve({ ...challenge, maxnumber: challenge.maxnumber! })).toBe(theirs!.number);
  }
  const unsolvable = await createChallenge({ hmacKey: 'test', maxNumber: 50, number: 50 });
  expect(solve({ ...unsolvable, maxnumber: 49 })).toBeNull();
});
