import { randomInt } from 'node:crypto';

/** Passcodes per contract §3: 8 characters of an alphabet without vowels or look-alikes, shown as XXXX-XXXX. */
const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export function newPasscode(): string {
  return Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

export const displayPasscode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** The code as typed, ignoring case, spaces and dashes; undefined when it cannot be a passcode at all. */
export function normalisePasscode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]+/g, '');
  return code.length === 8 && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined;
}
