import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/infra/secrets/cipher.js';
import { hasValidChecksum, newId, newKey, newWebhookSecret, randomBase62 } from '../../src/infra/secrets/random.js';
import { redactUrl } from '../../src/infra/log.js';

describe('secret formats', () => {
  it('makes prefixed IDs with at least 96 bits of randomness, all different', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newId('dev')));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^dev_[0-9A-Za-z]{22}$/); // 22 × log2(62) ≈ 131 bits
  });

  it('draws base62 characters without bias', () => {
    const counts = new Map<string, number>();
    for (const c of randomBase62(62_000)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800); // expected 1000 each
  });

  it('checksums keys so that a typo is caught', () => {
    const key = newKey('cck');
    expect(key).toMatch(/^cck_[0-9A-Za-z]{46}$/);
    expect(hasValidChecksum(key)).toBe(true);
    const typo = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11);
    expect(hasValidChecksum(typo)).toBe(false);
  });

  it('makes Standard Webhooks secrets', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, and never seals the same way twice', () => {
    const a = box.seal('whsec_abc');
    expect(a).not.toContain('whsec_abc');
    expect(box.open(a)).toBe('whsec_abc');
    expect(box.seal('whsec_abc')).not.toBe(a);
  });

  it('refuses a tampered box and a box sealed under another key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0]! ^= 1;
    expect(() => box.open([...parts.slice(0, 3), body.toString('base64url')].join('.'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });
});

describe('log redaction of URLs', () => {
  it('masks the token of a registration link', () => {
    expect(redactUrl('/register/abcDEF123')).toBe('/register/[redacted]');
    expect(redactUrl('/register/abcDEF123/challenge?x=1')).toBe('/register/[redacted]/challenge?x=1');
    expect(redactUrl('/api/solutions')).toBe('/api/solutions');
  });
});
