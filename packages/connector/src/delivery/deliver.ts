import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { builtInSolutions } from '@connected-cloud/contract';
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/db.js';
import type { PlatformClient } from '../platform/client.js';
import { SNAPSHOTS } from './snapshots.js';
import { operation } from '@connected-cloud/client';

interface ConnectorIntegration {
  integrationId: string;
  solution: string;
  status: 'active' | 'revoked';
}

/**
 * Delivers every scope of every solution the instance has active integrations for, as full snapshots: each is
 * written to a temporary file (memory stays flat however large the ledger) with its SHA-256, and sent only when it
 * differs from the last file delivered of that scope. Runs on a schedule and at once when asked (after a grant);
 * one run at a time, and a request during a run makes one more run after it.
 */
export class Delivery {
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly d: { db: Ledger; client: PlatformClient; log: Logger; dataDir: string; intervalSeconds: number },
  ) {}

  start(): void {
    void this.now();
    this.#timer = setInterval(() => void this.now(), this.d.intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#again = false;
    await this.#running?.catch(() => {});
  }

  /** Runs a delivery now, or right after the one in progress; resolves when it is done. */
  now(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#deliverAll().catch((error: unknown) =>
            this.d.log.error({ err: error }, 'delivery failed; the next run tries again'),
          );
        } while (this.#again && !this.d.client.stopped);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #deliverAll(): Promise<void> {
    const integrations = await this.d.client.json<ConnectorIntegration[]>(operation('listConnectorIntegrations'), {
      persistent: true,
    });
    const solutions = new Set(integrations.filter((i) => i.status === 'active').map((i) => i.solution));
    for (const domain of solutions) {
      const snapshots = SNAPSHOTS[domain];
      const scopes = builtInSolutions.find((s) => s.domain === domain)?.scopes ?? [];
      if (!snapshots) {
        this.d.log.warn({ solution: domain }, 'a solution this connector cannot deliver');
        continue;
      }
      for (const { name } of scopes) {
        const snapshot = snapshots[name];
        if (snapshot) await this.#deliver(domain, name, snapshot);
      }
    }
  }

  async #deliver(solution: string, scope: string, snapshot: (db: Ledger) => AsyncIterable<unknown>): Promise<void> {
    const file = path.join(this.d.dataDir, `snapshot-${solution}-${scope}.json`);
    const sha256 = await writeSnapshot(file, snapshot(this.d.db));
    try {
      const last = await this.d.db
        .selectFrom('deliveries')
        .select('sha256')
        .where('solution', '=', solution)
        .where('scope', '=', scope)
        .executeTakeFirst();
      if (last?.sha256 === sha256) {
        this.d.log.debug({ solution, scope }, 'unchanged since the last delivery');
        return;
      }
      const created = await this.d.client.json<{ fileId: string; records: number }>(
        operation('putScopeFile', { domain: solution, scope }),
        {
          stream: () => fs.createReadStream(file, { highWaterMark: 1 << 20 }),
          persistent: true,
        },
      );
      const row = { solution, scope, sha256, file_id: created.fileId, delivered_at: new Date().toISOString() };
      await this.d.db
        .insertInto('deliveries')
        .values(row)
        .onConflict((oc) => oc.columns(['solution', 'scope']).doUpdateSet(row))
        .execute();
      this.d.log.info({ solution, scope, fileId: created.fileId, records: created.records }, 'scope file delivered');
    } finally {
      await fs.promises.rm(file, { force: true });
    }
  }
}

/** Writes the records as a JSON array; returns its SHA-256. */
async function writeSnapshot(file: string, records: AsyncIterable<unknown>): Promise<string> {
  const out = fs.createWriteStream(file);
  const hash = createHash('sha256');
  const write = async (text: string) => {
    hash.update(text);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  let first = true;
  let pending = '[';
  for await (const record of records) {
    pending += (first ? '' : ',') + JSON.stringify(record);
    first = false;
    if (pending.length > 1 << 16) {
      await write(pending);
      pending = '';
    }
  }
  await write(`${pending}]`);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return hash.digest('hex');
}
