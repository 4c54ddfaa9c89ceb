import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConnectedCloud, applyChanges, type Customer, type PlatformEvent, type Product } from '@connected-cloud/client';
import { FileKeyStore } from '@connected-cloud/client/node';
import type { FastifyBaseLogger } from 'fastify';
import type { ShopStore } from './store.js';

const SCOPES = ['products', 'customers'] as const;

/**
 * What the shop does with Connected Cloud: it asks for a passcode, takes its key from apikey.issued, keeps a copy
 * of the accounting product's products and customers (a full load first, then the changes of each new version),
 * places orders as uploads and records what became of each.
 */
export class Shop {
  readonly cloud: ConnectedCloud;
  #syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ShopStore,
    private readonly log: FastifyBaseLogger,
    opts: { platformUrl: string; dataDir: string },
  ) {
    // The integration's secret: made once, needed for passcodes and for rotating the key (the SDK does it).
    let secret = store.setting('integrationSecret');
    if (!secret) store.setSetting('integrationSecret', (secret = randomBytes(24).toString('base64url')));
    this.cloud = new ConnectedCloud({ baseUrl: opts.platformUrl, keyStore: new FileKeyStore(path.join(opts.dataDir, 'apikey')), secret });
  }

  get registered(): boolean {
    return Boolean(this.store.setting('developerId') && this.store.setting('applicationId') && this.store.setting('webhookSecret'));
  }

  get connected(): boolean {
    return Boolean(this.store.setting('integrationId'));
  }

  async newPasscode(): Promise<{ passcode: string; expires: string }> {
    const pc = await this.cloud.createPasscode(this.store.setting('developerId')!, this.store.setting('applicationId')!, this.store.setting('integrationSecret')!);
    this.store.setSetting('passcode', pc.passcode);
    return pc;
  }

  /** A verified event from the platform. */
  async onEvent(event: PlatformEvent): Promise<void> {
    switch (event.type) {
      case 'apikey.issued':
        await this.cloud.keys.set(event.data.apikey);
        this.store.setSetting('integrationId', event.data.integrationId);
        this.store.setSetting('accounting', `${event.data.instance.name} (${event.data.instance.product})`);
        this.log.info({ integrationId: event.data.integrationId }, 'connected');
        // Files delivered before this integration existed announce nothing to it: take what is there.
        for (const file of await this.cloud.files.list()) await this.#sync(file.scope, file.fileId, file.previousFileId);
        return;
      case 'file.available':
        return this.#sync(event.data.scope, event.data.fileId, event.data.previousFileId);
      case 'upload.validated':
        if (event.data.status === 'invalid') {
          const tracking = await this.cloud.uploads.tracking(event.data.fileId);
          this.store.updateOrders(event.data.fileId, { status: 'invalid', reasons: tracking.errors.map((e) => `${e.pointer}: ${e.message}`).join('; ') });
        } else this.store.updateOrders(event.data.fileId, { status: 'sent to accounting' });
        return;
      case 'upload.completed':
        for await (const r of this.cloud.uploads.result(event.data.fileId, 'orders')) {
          if (r.outcome === 'accepted') this.store.updateOrders(event.data.fileId, { status: 'accepted', document_number: r.documentNumber }, r.id);
          else this.store.updateOrders(event.data.fileId, { status: 'rejected', reasons: r.reasons.map((x) => `${x.code}: ${x.message}`).join('; ') }, r.id);
        }
        return;
      default:
        return;
    }
  }

  /** Brings the copy of a scope to `fileId`: its changes when the copy holds the version before it, else a full load. */
  #sync(scope: string, fileId: string, previousFileId: string | null): Promise<void> {
    if (!(SCOPES as readonly string[]).includes(scope)) return Promise.resolve();
    // One sync at a time, in the order the events came; a failed one (its webhook is delivered again) stops no other.
    this.#syncing = this.#syncing.catch(() => {}).then(async () => {
      const have = this.store.version(scope);
      if (have === fileId) return; // a repeated delivery
      if (have && have === previousFileId) {
        const applied = await applyChanges(await this.cloud.files.changes(fileId, have), { put: (id, r) => this.store.put(scope, id, r), remove: (id) => this.store.remove(scope, id) });
        this.store.setVersion(scope, fileId);
        this.log.info({ scope, fileId, ...applied }, 'applied changes');
        return;
      }
      const staging = `${scope}:loading`;
      this.store.clearScope(staging);
      let records = 0;
      for await (const record of this.cloud.files.records(scope, { fileId })) {
        this.store.put(staging, String(record.id), record);
        records++;
      }
      this.store.swapIn(staging, scope, fileId);
      this.log.info({ scope, fileId, records }, 'full load');
    });
    return this.#syncing;
  }

  /** Places one order for a customer: the product's price and tax from the copy, totals that add up. */
  async placeOrder(customerId: string, productId: string, quantity: number): Promise<string> {
    const customer = this.store.record<Customer>('customers', customerId);
    const product = this.store.record<Product>('products', productId);
    if (!customer || !product) throw new Error('unknown customer or product');
    const address = customer.addresses[0]!;
    const now = new Date().toISOString();
    const totalNet = round2(quantity * product.netPrice);
    const totalTax = round2((totalNet * product.tax) / 100);
    const id = `WEB-${Date.now().toString(36).toUpperCase()}-${randomBytes(2).toString('hex').toUpperCase()}`;
    const order = {
      id, orderDate: now, deliveryAddress: address, invoiceAddress: address, customer, discount: 0, currencyRate: 1, paymentMethod: 'card',
      totalShipping: 0, currency: 'GBP', lines: [{ productId, quantity, unitPrice: product.netPrice, tax: product.tax }], totalNet, totalTax, total: round2(totalNet + totalTax),
    };
    const upload = await this.cloud.uploads.create('orders', JSON.stringify([order]), { idempotencyKey: id });
    this.store.addOrder({ id, upload_id: upload.fileId, status: 'uploaded', customer_name: `${customer.firstName} ${customer.lastName}`, summary: `${quantity} × ${product.name}`, document_number: null, reasons: null, created_at: now });
    return id;
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;
