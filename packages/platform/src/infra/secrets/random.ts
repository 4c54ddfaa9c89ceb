import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 string of `length` characters from the CSPRNG (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export type IdPrefix = 'dev' | 'app' | 'pc' | 'con' | 'int' | 'ins' | 'file' | 'upl' | 'evt' | 'dtk';

/** Prefixed opaque ID: 22 base62 characters carry 131 bits of randomness. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(22)}`;
}

/** A bearer token for URLs (registration links): 43 base62 characters, ~256 bits. */
export function newToken(): string {
  return randomBase62(43);
}

/**
 * A credential in the contract's format: prefix + 40 base62 random + 6 base62 of the CRC32 of both, so that a
 * mistyped key can be told apart from a wrong one without a look-up.
 */
export function newKey(prefix: 'cck' | 'cci' | 'cca' | 'ccd'): string {
  const body = `${prefix}_${randomBase62(40)}`;
  return body + checksum(body);
}

export function hasValidChecksum(key: string): boolean {
  return key.length > 6 && checksum(key.slice(0, -6)) === key.slice(-6);
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Webhook signing secret per Standard Webhooks: whsec_ + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * How high-entropy secrets are found: by their SHA-256. (Low-entropy ones, such as passcodes, need a keyed hash.)
 */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex'); // one call, no Hash object: 0.25 µs against 0.65 for createHash (each API request)
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
