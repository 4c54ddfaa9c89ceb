import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Sealer } from './secrets.js';

export interface ShopOrder {
  id: string;
  upload_id: string | null;
  status: string;
  customer_name: string;
  summary: string;
  document_number: string | null;
  reasons: string | null;
  created_at: string;
  /** The order as sent, so that it can be sent again (the books answer duplicate-order for one they have). */
  json: string | null;
}

/** One upload of orders, and what the accounting product made of it (the platform's summary). */
export interface ShopUpload {
  id: string;
  orders: number;
  status: string;
  accepted: number | null;
  rejected: number | null;
  created_at: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pages: number;
  q: string;
}

/** Which fields a search looks in, per scope. */
const SEARCHED: Record<string, string[]> = {
  products: ['id', 'name', 'reference', 'category'],
  customers: ['id', 'firstName', 'lastName', 'email'],
};

/** The shop's own database: its settings, its copy of the accounting product's products and customers, its orders. */
export class ShopStore {
  readonly db: SQLite.Database;

  /** Bumped on every change a page shows: the open page asks for it and reloads when it moves. */
  generation = 0;

  constructor(
    dataDir: string,
    private readonly sealer: Sealer,
  ) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.db = new SQLite(path.join(dataDir, 'shop.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      create table if not exists settings (key text primary key, value text not null);
      create table if not exists records (scope text not null, id text not null, json text not null, primary key (scope, id));
      create table if not exists versions (scope text primary key, file_id text not null);
      create table if not exists orders (id text primary key, upload_id text, status text not null, customer_name text not null, summary text not null,
        document_number text, reasons text, created_at text not null);
      create table if not exists uploads (id text primary key, orders integer not null, status text not null, accepted integer, rejected integer,
        created_at text not null);`);
    if (
      !(this.db.prepare('select name from pragma_table_info(?)').all('orders') as Array<{ name: string }>).some(
        (c) => c.name === 'json',
      )
    ) {
      this.db.exec('alter table orders add column json text');
    }
  }

  /** A secret setting, sealed (secrets.ts): what the database holds is ciphertext. */
  secret(key: string): string | undefined {
    const sealed = this.setting(key);
    return sealed === undefined ? undefined : this.sealer.open(sealed);
  }
  setSecret(key: string, value: string): void {
    this.setSetting(key, this.sealer.seal(value));
  }
  clearSetting(key: string): void {
    this.db.prepare('delete from settings where key = ?').run(key);
    this.generation++;
  }

  setting(key: string): string | undefined {
    return (this.db.prepare('select value from settings where key = ?').get(key) as { value: string } | undefined)
      ?.value;
  }
  setSetting(key: string, value: string): void {
    this.db
      .prepare('insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value')
      .run(key, value);
    this.generation++;
  }

  version(scope: string): string | undefined {
    return (
      this.db.prepare('select file_id from versions where scope = ?').get(scope) as { file_id: string } | undefined
    )?.file_id;
  }
  put(scope: string, id: string, record: unknown): void {
    this.db
      .prepare(
        'insert into records (scope, id, json) values (?, ?, ?) on conflict (scope, id) do update set json = excluded.json',
      )
      .run(scope, id, JSON.stringify(record));
    if (!scope.endsWith(':loading')) this.generation++;
  }
  remove(scope: string, id: string): void {
    this.db.prepare('delete from records where scope = ? and id = ?').run(scope, id);
    this.generation++;
  }
  setVersion(scope: string, fileId: string): void {
    this.db
      .prepare(
        'insert into versions (scope, file_id) values (?, ?) on conflict (scope) do update set file_id = excluded.file_id',
      )
      .run(scope, fileId);
  }
  /** A full copy loaded under a staging name takes the place of the scope's records, with its version, at once. */
  swapIn(staging: string, scope: string, fileId: string): void {
    this.db.transaction(() => {
      this.db.prepare('delete from records where scope = ?').run(scope);
      this.db.prepare('update records set scope = ? where scope = ?').run(scope, staging);
      this.setVersion(scope, fileId);
    })();
    this.generation++;
  }
  clearScope(scope: string): void {
    this.db.prepare('delete from records where scope = ?').run(scope);
  }
  records<T>(scope: string, limit = 1000): T[] {
    return (
      this.db.prepare('select json from records where scope = ? order by id limit ?').all(scope, limit) as Array<{
        json: string;
      }>
    ).map((r) => JSON.parse(r.json) as T);
  }
  record<T>(scope: string, id: string): T | undefined {
    const row = this.db.prepare('select json from records where scope = ? and id = ?').get(scope, id) as
      { json: string } | undefined;
    return row ? (JSON.parse(row.json) as T) : undefined;
  }
  /** One page of a scope's records, searched (case-insensitive, in SEARCHED's fields) and in id order. */
  page<T>(scope: string, opts: { q?: string; page?: number; size: number }): Page<T> {
    const q = (opts.q ?? '').trim().slice(0, 100);
    const fields = SEARCHED[scope] ?? ['id'];
    const where = q
      ? ` and (${fields.map((f) => `json_extract(json, '$.${f}') like @like escape '\\'`).join(' or ')})`
      : '';
    const params = { scope, like: `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
    const total = (
      this.db.prepare(`select count(*) as n from records where scope = @scope${where}`).get(params) as { n: number }
    ).n;
    const pages = Math.max(1, Math.ceil(total / opts.size));
    const page = Math.min(Math.max(1, Math.floor(opts.page ?? 1) || 1), pages);
    const rows = this.db
      .prepare(`select json from records where scope = @scope${where} order by id limit @limit offset @offset`)
      .all({ ...params, limit: opts.size, offset: (page - 1) * opts.size }) as Array<{ json: string }>;
    return { items: rows.map((r) => JSON.parse(r.json) as T), total, page, pages, q };
  }
  count(scope: string): number {
    return (this.db.prepare('select count(*) as n from records where scope = ?').get(scope) as { n: number }).n;
  }

  addOrder(o: ShopOrder): void {
    this.db
      .prepare(
        'insert into orders (id, upload_id, status, customer_name, summary, document_number, reasons, created_at, json) values (@id, @upload_id, @status, @customer_name, @summary, @document_number, @reasons, @created_at, @json)',
      )
      .run(o);
    this.generation++;
  }
  /** An order sent again, in another upload: it answers for the new one now. */
  resendOrder(id: string, uploadId: string): void {
    this.db
      .prepare(
        "update orders set upload_id = ?, status = 'uploaded', document_number = null, reasons = null where id = ?",
      )
      .run(uploadId, id);
    this.generation++;
  }
  ordersOf(uploadId: string): ShopOrder[] {
    return this.db.prepare('select * from orders where upload_id = ? order by id').all(uploadId) as ShopOrder[];
  }

  addUpload(u: ShopUpload): void {
    this.db
      .prepare(
        'insert into uploads (id, orders, status, accepted, rejected, created_at) values (@id, @orders, @status, @accepted, @rejected, @created_at) on conflict (id) do nothing',
      )
      .run(u);
    this.generation++;
  }
  updateUpload(id: string, change: { status: string; accepted?: number; rejected?: number }): void {
    this.db
      .prepare(
        'update uploads set status = @status, accepted = coalesce(@accepted, accepted), rejected = coalesce(@rejected, rejected) where id = @id',
      )
      .run({ accepted: null, rejected: null, ...change, id });
    this.generation++;
  }
  uploads(limit = 20): ShopUpload[] {
    return this.db
      .prepare('select * from uploads order by created_at desc, id desc limit ?')
      .all(limit) as ShopUpload[];
  }
  updateOrders(
    uploadId: string,
    change: { status: string; document_number?: string | null; reasons?: string | null },
    orderId?: string,
  ): void {
    this.db
      .prepare(
        `update orders set status = @status, document_number = coalesce(@document_number, document_number), reasons = coalesce(@reasons, reasons) where upload_id = @upload_id${orderId ? ' and id = @id' : ''}`,
      )
      .run({ document_number: null, reasons: null, ...change, upload_id: uploadId, id: orderId });
    this.generation++;
  }
  orders(): ShopOrder[] {
    return this.db.prepare('select * from orders order by created_at desc, id desc').all() as ShopOrder[];
  }
}
