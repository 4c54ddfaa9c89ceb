// '@connected-cloud/client/node': what needs Node's file system. The main entry uses the Fetch API only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KeyStore } from './keys.js';

/**
 * The one default place of the API key, shared by the SDK and `ccloud`: `$CCLOUD_KEY_FILE`, else
 * `$XDG_CONFIG_HOME/ccloud/apikey`, else `~/.config/ccloud/apikey`.
 */
export function defaultKeyFile(env: Record<string, string | undefined> = process.env): string {
  if (env.CCLOUD_KEY_FILE) return path.resolve(env.CCLOUD_KEY_FILE);
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'ccloud', 'apikey');
}

/** The key in a file of its own (mode 600, in a folder of mode 700), replaced atomically. */
export class FileKeyStore implements KeyStore {
  readonly file: string;
  constructor(file: string = defaultKeyFile()) {
    this.file = path.resolve(file);
  }
  get where() {
    return `the file ${this.file}`;
  }
  async get() {
    try {
      return (await fs.promises.readFile(this.file, 'utf8')).trim() || undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read the API key from ${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }
  async set(apikey: string) {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(temp, `${apikey}\n`, { mode: 0o600 });
    await fs.promises.rename(temp, this.file);
  }
}

/** A file on disk as an upload's body: sent as it is read, and again if a call must be repeated. */
export function fromFile(file: string): Promise<Blob> {
  return fs.openAsBlob(file, { type: 'application/json' });
}
