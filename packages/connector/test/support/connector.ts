import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { ownChild } from '../../../platform/test/support/process.js';

export const BIN = fileURLToPath(new URL('../../bin/connector.js', import.meta.url));
export const built = fs.existsSync(fileURLToPath(new URL('../../dist/main.js', import.meta.url)));

export interface ConnectorProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  url: string;
  logs(): string;
}

/** The built connector as its own process, as `npm run connector` runs it; resolves once its page answers. */
export async function runConnector(env: Record<string, string>): Promise<ConnectorProcess> {
  const child = ownChild(
    spawn(BIN, [], {
      env: { PATH: process.env.PATH!, CONNECTOR_LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let logs = '';
  const keep = (d: Buffer) => {
    logs += d;
    if (process.env.CONNECTOR_TEST_LOGS) fs.appendFileSync(process.env.CONNECTOR_TEST_LOGS, d); // to read a failed run's logs
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://${env.CONNECTOR_HOST ?? '127.0.0.1'}:${env.CONNECTOR_PORT}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the connector exited: ${logs}`);
    try {
      if ((await fetch(`${url}/`)).status < 500) break;
    } catch {}
    if (i > 200) throw new Error(`the connector did not start: ${logs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, exited, url, logs: () => logs };
}

/** The connector's ledger, read as its own process writes it (WAL). */
export function readLedger(dataDir: string): SQLite.Database {
  return new SQLite(path.join(dataDir, 'ledger.db'), { readonly: true, fileMustExist: true });
}
