import fs from 'node:fs';
import path from 'node:path';

/** Where the SDK keeps an integration's API key, so that a rotated key outlives the process. */
export interface KeyStore {
  get(): Promise<string | undefined>;
  set(apikey: string): Promise<void>;
}

export class MemoryKeyStore implements KeyStore {
  constructor(private apikey?: string) {}
  async get() {
    return this.apikey;
  }
  async set(apikey: string) {
    this.apikey = apikey;
  }
}

/** The key in a file of its own (mode 600), replaced atomically. */
export class FileKeyStore implements KeyStore {
  constructor(private readonly file: string) {}
  async get() {
    try {
      return (await fs.promises.readFile(this.file, 'utf8')).trim() || undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
  async set(apikey: string) {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(temp, `${apikey}\n`, { mode: 0o600 });
    await fs.promises.rename(temp, this.file);
  }
}
