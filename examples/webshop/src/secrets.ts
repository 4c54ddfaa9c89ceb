import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KeyStore } from '@connected-cloud/client';

/**
 * The shop's secrets at rest: AES-256-GCM under a key kept apart from the database, in SHOP_SECRETS_KEY (base64
 * of 32 bytes) or, unset, in a file of its own (mode 600) made on first start. A copy of shop.db alone reveals no
 * secret: not the integration's secret, not the webhook signing secret, not the API key.
 */
export class Sealer {
  readonly #key: Buffer;

  constructor(dataDir: string, fromEnv = process.env.SHOP_SECRETS_KEY) {
    if (fromEnv) {
      this.#key = Buffer.from(fromEnv, 'base64');
      if (this.#key.length !== 32) throw new Error('SHOP_SECRETS_KEY: expected the base64 of 32 random bytes');
      return;
    }
    const file = path.join(dataDir, 'secrets.key');
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    this.#key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed.replace(/^v1\./, ''), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  /** A keyed digest, for CSRF tokens: HMAC-SHA256 under a key derived from the sealing key. */
  mac(value: string): string {
    return createHmac('sha256', createHmac('sha256', this.#key).update('csrf').digest())
      .update(value)
      .digest('base64url');
  }

  sameMac(value: string, given: unknown): boolean {
    const expected = Buffer.from(this.mac(value));
    return (
      typeof given === 'string' && given.length === expected.length && timingSafeEqual(Buffer.from(given), expected)
    );
  }
}

/** The SDK's key store, sealed in the shop's settings: the API key is never on disk in plain text. */
export class SealedKeyStore implements KeyStore {
  readonly where = 'the shop’s settings (sealed)';
  constructor(
    private readonly settings: { get(): string | undefined; set(sealed: string): void },
    private readonly sealer: Sealer,
  ) {}
  async get() {
    const sealed = this.settings.get();
    return sealed ? this.sealer.open(sealed) : undefined;
  }
  async set(apikey: string) {
    this.settings.set(this.sealer.seal(apikey));
  }
}
