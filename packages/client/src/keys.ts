/** Where the SDK keeps an integration's API key, so that a rotated key outlives the process. */
export interface KeyStore {
  get(): Promise<string | undefined>;
  set(apikey: string): Promise<void>;
  /** Where the key is looked for, in words (for errors), e.g. "the file ~/.config/ccloud/apikey". */
  readonly where?: string;
}

export class MemoryKeyStore implements KeyStore {
  readonly where = 'the key given to the SDK (apikey)';
  constructor(private apikey?: string) {}
  async get() {
    return this.apikey;
  }
  async set(apikey: string) {
    this.apikey = apikey;
  }
}

/** No API key where the SDK looked: the message says where, and how to get one. */
export class MissingApiKeyError extends Error {
  constructor(readonly where: string) {
    super(
      `no API key in ${where}. Get one: \`ccloud passcode <developerId> <applicationId> --wait\` (it keeps the key ` +
        'there), take it from the apikey.issued event, or give it with --apikey / CCLOUD_APIKEY',
    );
    this.name = 'MissingApiKeyError';
  }
}
