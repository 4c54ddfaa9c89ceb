import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts the few secrets the platform must read back (webhook signing secrets, keys handed out again) with
 * AES-256-GCM under SECRETS_KEY, which never goes into the store. Format: v1.<iv>.<tag>.<ciphertext>, base64url.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #macKeys = new Map<string, Buffer>();

  constructor(private readonly rootKey: Buffer) {
    this.#key = this.derive('secret-box');
  }

  /** A sub-key for one purpose, so that no two uses share key material. */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.rootKey, Buffer.alloc(0), `connected-cloud/${purpose}`, 32));
  }

  /**
   * A keyed hash (HMAC-SHA256) for secrets of little entropy, such as passcodes or secrets chosen by an
   * application: without SECRETS_KEY, a copy of the store does not let anyone test guesses against them.
   */
  mac(purpose: string, value: string): string {
    let key = this.#macKeys.get(purpose);
    if (!key) this.#macKeys.set(purpose, (key = this.derive(`mac/${purpose}`)));
    return createHmac('sha256', key).update(value).digest('hex');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
