import { randomBytes } from 'node:crypto';
import { ConnectedCloud, applyChanges, type Customer, type PlatformEvent, type Product } from '@connected-cloud/client';
import type { FastifyBaseLogger } from 'fastify';
import { SealedKeyStore, type Sealer } from './secrets.js';
import type { ShopStore } from './store.js';

const SCOPES = ['products', 'customers'] as const;

/** One line of a basket: a customer buys a quantity of a product. */
export interface BasketLine {
  customerId: string;
  productId: string;
  quantity: number;
}

export class ShopError extends Error {}

/**
 * What the shop does with Connected Cloud: it asks for a passcode, takes its key from apikey.issued, keeps a copy
 * of the accounting product's products and customers (a full load first, then the changes of each new version),
 * places orders as uploads (several in one), records what became of each order and of each upload (its summary),
 * and notices when the accounting product ends the connection (integration.revoked).
 */
export class Shop {
  readonly cloud: ConnectedCloud;
  #syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ShopStore,
    private readonly log: FastifyBaseLogger,
    sealer: Sealer,
    opts: { platformUrl: string },
  ) {
    // The integration's secret: made once, needed for passcodes and for rotating the key (the SDK does it). Sealed.
    let secret = store.secret('integrationSecret');
    if (!secret) store.setSecret('integrationSecret', (secret = randomBytes(24).toString('base64url')));
    const keyStore = new SealedKeyStore(
      { get: () => store.setting('apikey'), set: (sealed) => store.setSetting('apikey', sealed) },
      sealer,
    );
    this.cloud = new ConnectedCloud({ baseUrl: opts.platformUrl, keyStore, secret });
  }

  get registered(): boolean {
    return Boolean(
      this.store.setting('developerId') && this.store.setting('applicationId') && this.store.setting('webhookSecret'),
    );
  }

  get connected(): boolean {
    return Boolean(this.store.setting('integrationId'));
  }

  async newPasscode(): Promise<{ passcode: string; expires: string }> {
    const pc = await this.cloud.createPasscode(
      this.store.setting('developerId')!,
      this.store.setting('applicationId')!,
      this.store.secret('integrationSecret')!,
    );
    this.store.setSetting('passcode', pc.passcode);
    return pc;
  }

  /** A verified event from the platform: each type changes what the shop shows. */
  async onEvent(event: PlatformEvent): Promise<void> {
    switch (event.type) {
      case 'apikey.issued':
        await this.cloud.keys.set(event.data.apikey);
        this.store.setSetting('integrationId', event.data.integrationId);
        this.store.setSetting('accounting', `${event.data.instance.name} (${event.data.instance.product})`);
        this.store.clearSetting('disconnected');
        this.log.info({ integrationId: event.data.integrationId }, 'connected');
        // Files delivered before this integration existed announce nothing to it: take what is there.
        for (const file of await this.cloud.files.list())
          await this.#sync(file.scope, file.fileId, file.previousFileId);
        return;
      case 'integration.revoked':
        // Only the current integration matters: a re-consent revokes the one before, after the new key came.
        if (event.data.integrationId !== this.store.setting('integrationId')) return;
        this.store.clearSetting('integrationId');
        this.store.setSetting('disconnected', event.timestamp);
        this.log.info({ integrationId: event.data.integrationId }, 'disconnected by the accounting product');
        return;
      case 'consent.denied':
        this.store.setSetting('denied', event.timestamp);
        return;
      case 'file.available':
        return this.#sync(event.data.scope, event.data.fileId, event.data.previousFileId);
      case 'upload.validated':
        if (event.data.status === 'invalid') {
          const tracking = await this.cloud.uploads.tracking(event.data.fileId);
          this.store.updateOrders(event.data.fileId, {
            status: 'invalid',
            reasons: tracking.errors.map((e) => `${e.pointer}: ${e.message}`).join('; '),
          });
          this.store.updateUpload(event.data.fileId, { status: 'invalid' });
        } else {
          this.store.updateOrders(event.data.fileId, { status: 'valid' });
          this.store.updateUpload(event.data.fileId, { status: 'valid' });
        }
        return;
      case 'upload.completed': {
        for await (const r of this.cloud.uploads.result(event.data.fileId, 'orders')) {
          if (r.outcome === 'accepted')
            this.store.updateOrders(event.data.fileId, { status: 'accepted', document_number: r.documentNumber }, r.id);
          else
            this.store.updateOrders(
              event.data.fileId,
              { status: 'rejected', reasons: r.reasons.map((x) => `${x.code}: ${x.message}`).join('; ') },
              r.id,
            );
        }
        this.log.info({ fileId: event.data.fileId, summary: event.data.summary }, 'upload completed');
        const { accepted, rejected } = event.data.summary;
        this.store.updateUpload(event.data.fileId, { status: event.data.status, accepted, rejected });
        return;
      }
      default:
        return;
    }
  }

  /** Brings the copy of a scope to `fileId`: its changes when the copy holds the version before it, else a full load. */
  #sync(scope: string, fileId: string, previousFileId: string | null): Promise<void> {
    if (!(SCOPES as readonly string[]).includes(scope)) return Promise.resolve();
    // One sync at a time, in the order the events came; a failed one (its webhook is delivered again) stops no other.
    this.#syncing = this.#syncing
      .catch(() => {})
      .then(async () => {
        const have = this.store.version(scope);
        if (have === fileId) return; // a repeated delivery
        if (have && have === previousFileId) {
          const applied = await applyChanges(await this.cloud.files.changes(fileId, have), {
            put: (id, r) => this.store.put(scope, id, r),
            remove: (id) => this.store.remove(scope, id),
          });
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

  /** Places the basket's lines as orders, one upload for all of them: their prices and tax from the copy. */
  async placeOrders(lines: BasketLine[]): Promise<string> {
    if (lines.length === 0) throw new ShopError('Choose a product and a quantity for at least one line.');
    const now = new Date().toISOString();
    const orders = lines.map((line, i) => {
      const customer = this.store.record<Customer>('customers', line.customerId);
      const product = this.store.record<Product>('products', line.productId);
      if (!customer) throw new ShopError(`Line ${i + 1}: there is no customer ${line.customerId} in the shop's copy.`);
      if (!product) throw new ShopError(`Line ${i + 1}: there is no product ${line.productId} in the shop's copy.`);
      if (!Number.isInteger(line.quantity) || line.quantity < 1)
        throw new ShopError(`Line ${i + 1}: the quantity must be a whole number from 1.`);
      const id = `WEB-${Date.now().toString(36).toUpperCase()}-${randomBytes(2).toString('hex').toUpperCase()}`;
      return { order: orderOf(id, now, customer, product, line.quantity), customer, product, line };
    });
    const upload = await this.cloud.uploads.create('orders', JSON.stringify(orders.map((o) => o.order)), {
      idempotencyKey: orders[0]!.order.id,
    });
    this.store.addUpload({
      id: upload.fileId,
      orders: orders.length,
      status: 'uploaded',
      accepted: null,
      rejected: null,
      created_at: now,
    });
    for (const { order, customer, product, line } of orders) {
      this.store.addOrder({
        id: order.id,
        upload_id: upload.fileId,
        status: 'uploaded',
        customer_name: `${customer.firstName} ${customer.lastName}`,
        summary: `${line.quantity} × ${product.name}`,
        document_number: null,
        reasons: null,
        created_at: now,
        json: JSON.stringify(order),
      });
    }
    return upload.fileId;
  }

  /**
   * Sends an upload's orders again, as they were (same ids), in a new upload: what a shop does when it cannot tell
   * whether they arrived. The books take each order once: one they have answers duplicate-order.
   */
  async resend(uploadId: string): Promise<string> {
    const orders = this.store.ordersOf(uploadId).filter((o) => o.json);
    if (orders.length === 0) throw new ShopError('That upload has no orders the shop can send again.');
    const upload = await this.cloud.uploads.create('orders', `[${orders.map((o) => o.json).join(',')}]`, {
      idempotencyKey: `resend-${uploadId}-${Date.now()}`,
    });
    this.store.addUpload({
      id: upload.fileId,
      orders: orders.length,
      status: 'uploaded',
      accepted: null,
      rejected: null,
      created_at: new Date().toISOString(),
    });
    for (const o of orders) this.store.resendOrder(o.id, upload.fileId);
    return upload.fileId;
  }
}

/**
 * An order of one line, its totals made in whole pence by the rule the books apply: the line's VAT rounded once,
 * to the nearest penny, halves up; total = net + VAT (no shipping, no discount here).
 */
export function orderOf(id: string, now: string, customer: Customer, product: Product, quantity: number) {
  const unitPence = Math.round(product.netPrice * 100);
  const netPence = quantity * unitPence;
  const taxPence = Math.floor((netPence * Math.round(product.tax * 100) + 5_000) / 10_000);
  const address = customer.addresses[0]!;
  return {
    id,
    orderDate: now,
    deliveryAddress: address,
    invoiceAddress: address,
    customer,
    discount: 0,
    currencyRate: 1,
    paymentMethod: 'card',
    totalShipping: 0,
    currency: 'GBP',
    lines: [{ productId: product.id, quantity, unitPrice: unitPence / 100, tax: product.tax }],
    totalNet: netPence / 100,
    totalTax: taxPence / 100,
    total: (netPence + taxPence) / 100,
  };
}
