import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { newKey, sha256Hex } from './random.js';

/**
 * The secrets the operator may leave unset (contract §10): SECRETS_KEY is generated into a file under DATA_DIR,
 * apart from the database; ADMIN_TOKEN is generated, printed once, and only its hash kept.
 */
export function resolveLocalKeys(
  dataDir: string,
  given: { secretsKey: Buffer | undefined; adminToken: string | undefined },
  announce: (adminToken: string, file: string) => void,
): { secretsKey: Buffer; adminTokenHash: string } {
  // DATA_DIR holds the database, the files and these keys: its owner's alone (files 0600, folders 0700).
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const secretsKey =
    given.secretsKey ??
    Buffer.from(readOrCreate(path.join(dataDir, 'secrets.key'), randomBytes(32).toString('base64')).value, 'base64');

  if (given.adminToken !== undefined) return { secretsKey, adminTokenHash: sha256Hex(given.adminToken) };
  const hashFile = path.join(dataDir, 'admin-token.sha256');
  const token = newKey('cca');
  const stored = readOrCreate(hashFile, sha256Hex(token));
  if (stored.created) announce(token, hashFile);
  return { secretsKey, adminTokenHash: stored.value };
}

/** Reads a one-line file, or creates it with `initial` (mode 0600) when absent; a concurrent creator wins. */
function readOrCreate(file: string, initial: string): { value: string; created: boolean } {
  try {
    return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${initial}\n`, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file); // atomic: fails if another process created the file first
    return { value: initial, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
  } finally {
    fs.unlinkSync(tmp);
  }
}
