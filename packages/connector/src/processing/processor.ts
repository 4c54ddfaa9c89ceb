import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectorIntegration, InboxItem, Order, OrderResult, UploadLease } from '@connected-cloud/contract';
import type { Logger } from 'pino';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import type { Ledger } from '../ledger/db.js';
import { PlatformError, type PlatformClient } from '../platform/client.js';
import { applyOrder, type OrderSource } from './orders.js';
import { operation } from '@connected-cloud/client';

const PROGRESS_EVERY_MS = 1000;

/**
 * Takes in the uploads applications send: long-polls the inbox, claims each upload (noting it in the ledger, so
 * that a restart carries on with it), streams it order by order into the books, reports progress (which renews the
 * lease) and uploads one result per order. Each order is applied and recorded in one ledger transaction, so an
 * upload processed again after a crash or an expired lease applies no order twice: the recorded result is reused.
 * The upload is `accepted` when every order was taken in, `failed` as soon as one was refused (the platform
 * counts the result file and holds the connector to that: a partial outcome is never reported as accepted).
 */
export class Processor {
  #loop: Promise<void> | undefined;

  /** `onBooked`: orders changed the books (stock, customers): the connector delivers the new files at once. */
  constructor(
    private readonly d: { db: Ledger; client: PlatformClient; log: Logger; dataDir: string; onBooked?: () => void },
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  /** Call after the client is stopped: waits for the loop to notice. */
  async stop(): Promise<void> {
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { client, db, log } = this.d;
    while (!client.stopped) {
      try {
        for (const held of await db.selectFrom('claimed_uploads').selectAll().orderBy('claimed_at').execute()) {
          await this.#process(held.upload_id, held.integration_id);
        }
        const inbox = await client.json<InboxItem[]>(operation('getInbox', undefined, { query: { wait: 30 } }), {
          persistent: true,
        });
        for (const item of inbox) {
          if (client.stopped) break;
          try {
            await client.json<UploadLease>(operation('claimUpload', { fileId: item.fileId }), { persistent: true });
          } catch (error) {
            if (error instanceof PlatformError && (error.status === 404 || error.status === 409)) continue; // taken or gone
            throw error;
          }
          await db
            .insertInto('claimed_uploads')
            .values({
              upload_id: item.fileId,
              integration_id: item.integrationId,
              claimed_at: new Date().toISOString(),
            })
            .onConflict((oc) => oc.doNothing())
            .execute();
          await this.#process(item.fileId, item.integrationId);
        }
      } catch (error) {
        if (client.stopped) break;
        log.error({ err: error }, 'processing uploads failed; trying again');
        await sleep(1000);
      }
    }
  }

  async #process(uploadId: string, integrationId: string): Promise<void> {
    const { client, db, log } = this.d;
    const release = () => db.deleteFrom('claimed_uploads').where('upload_id', '=', uploadId).execute();
    let lease: UploadLease;
    try {
      lease = await this.#progress(uploadId, 0);
    } catch (error) {
      // The lease ran out (the upload went back to the inbox) or the upload is final: not ours to finish now.
      if (error instanceof PlatformError && (error.status === 404 || error.status === 409)) {
        log.warn({ uploadId, code: error.code }, 'an upload in hand is no longer ours');
        await release();
        return;
      }
      throw error;
    }
    log.info({ uploadId, records: lease.records }, 'processing an upload');

    const resultFile = path.join(this.d.dataDir, `result-${uploadId}.json`);
    const out = fs.createWriteStream(resultFile);
    let done = 0;
    let rejected = 0;
    let reported = Date.now();
    const source = await this.#sourceOf(integrationId);
    try {
      out.write('[');
      const content = await client.download(operation('getUploadContent', { fileId: uploadId }), { persistent: true });
      for await (const { key, value } of orders(content)) {
        const result = await this.#applyOnce(uploadId, source, key, value as Order);
        if (result.outcome === 'rejected') rejected++;
        if (!out.write((done++ ? ',' : '') + JSON.stringify(result)))
          await new Promise<void>((r) => out.once('drain', () => r()));
        if (Date.now() - reported > PROGRESS_EVERY_MS) {
          reported = Date.now();
          await this.#progress(uploadId, Math.min(99, Math.floor((100 * done) / Math.max(1, lease.records))));
        }
      }
      await new Promise<void>((resolve, reject) =>
        out.end(']', (error?: Error | null) => (error ? reject(error) : resolve())),
      );
      const status = rejected > 0 ? 'failed' : 'accepted';
      try {
        await client.json(operation('putUploadResult', { fileId: uploadId }, { query: { status } }), {
          stream: () => fs.createReadStream(resultFile),
          persistent: true,
        });
        log.info({ uploadId, status, orders: done, rejected }, 'upload processed');
      } catch (error) {
        if (!(error instanceof PlatformError && error.status === 409)) throw error;
        log.warn({ uploadId, code: error.code }, 'the result was not taken (already final, or the lease ran out)');
      }
      await release();
      if (done > rejected) this.d.onBooked?.();
    } finally {
      out.destroy();
      await fs.promises.rm(resultFile, { force: true });
    }
  }

  /**
   * The result of the order at `position`: the one recorded if it was processed before (a replay), else applied
   * now and recorded in the same transaction. (The same order id twice in a file is a duplicate-order.)
   */
  #applyOnce(uploadId: string, source: OrderSource, position: number, order: Order): Promise<OrderResult> {
    return this.d.db.transaction().execute(async (tx) => {
      const recorded = await tx
        .selectFrom('applied_orders')
        .select('result')
        .where('upload_id', '=', uploadId)
        .where('position', '=', position)
        .executeTakeFirst();
      if (recorded) return JSON.parse(recorded.result) as OrderResult;
      const now = new Date().toISOString();
      const result = await applyOrder(tx, order, source, now);
      await tx
        .insertInto('applied_orders')
        .values({ upload_id: uploadId, position, order_id: order.id, result: JSON.stringify(result), applied_at: now })
        .execute();
      return result;
    });
  }

  /**
   * The application an integration belongs to, which the ledger keeps once learnt from the platform's list of this
   * instance's integrations: orders are told apart per application, whichever of its integrations sent them.
   */
  async #sourceOf(integrationId: string): Promise<OrderSource> {
    const { db, client } = this.d;
    const known = () =>
      db
        .selectFrom('integrations')
        .select('application_id')
        .where('integration_id', '=', integrationId)
        .executeTakeFirst();
    let row = await known();
    if (!row) {
      const listed = await client.json<ConnectorIntegration[]>(operation('listConnectorIntegrations'), {
        persistent: true,
      });
      for (const i of listed) {
        await db
          .insertInto('integrations')
          .values({
            integration_id: i.integrationId,
            application_id: i.application.id,
            application_name: i.application.name,
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      row = await known();
    }
    if (!row) throw new Error(`integration ${integrationId} is not among this instance's integrations`);
    return { applicationId: row.application_id, integrationId };
  }

  #progress(uploadId: string, progress: number): Promise<UploadLease> {
    return this.d.client.json<UploadLease>(operation('reportProgress', { fileId: uploadId }), {
      body: { status: 'processing', progress },
      persistent: true,
      idempotent: true,
    });
  }
}

/** The elements of a streamed JSON array, one at a time; an error of the source ends the iteration with it. */
function orders(content: Readable): AsyncIterable<{ key: number; value: unknown }> {
  const parsed = streamArray.withParserAsStream();
  content.on('error', (error) => parsed.destroy(error));
  return content.pipe(parsed);
}
