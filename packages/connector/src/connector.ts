import type { ConnectorConfig } from './config.js';
import { Delivery } from './delivery/deliver.js';
import { openLedger, type Ledger } from './ledger/db.js';
import { seedLedger } from './ledger/seed.js';
import type { Logger } from './log.js';
import { pageServer } from './page/routes.js';
import { PlatformClient } from './platform/client.js';
import { Processor } from './processing/processor.js';

export interface RunningConnector {
  url: string;
  db: Ledger;
  delivery: Delivery;
  stop(): Promise<void>;
}

/** The connector: its ledger (seeded on first start), its page, scheduled delivery and upload processing. */
export async function startConnector(config: ConnectorConfig, log: Logger): Promise<RunningConnector> {
  const db = await openLedger(config.dataDir);
  if (await seedLedger(db, config.seedSize))
    log.info({ customers: config.seedSize, products: config.seedSize }, 'ledger seeded with demo data');
  const client = new PlatformClient(config.platformUrl, config.instanceKey, log);
  const delivery = new Delivery({ db, client, log, dataDir: config.dataDir, intervalSeconds: config.interval });
  // Booked orders move stock: the shop sees it in the next products file, sent right after, not at the next interval.
  const processor = new Processor({ db, client, log, dataDir: config.dataDir, onBooked: () => void delivery.now() });
  let page: Awaited<ReturnType<typeof pageServer>>;
  try {
    page = await pageServer({ db, client, delivery, log });
    await page.listen({ host: config.host, port: config.port });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  delivery.start();
  processor.start();
  const address = page.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    db,
    delivery,
    async stop() {
      client.stop();
      await page.close();
      await Promise.all([delivery.stop(), processor.stop()]);
      await db.destroy();
    },
  };
}
