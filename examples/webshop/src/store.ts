import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';

export interface ShopOrder {
  id: string;
  upload_id: string | null;
  status: string;
  customer_name: string;
  summary: string;
  document_number: string | null;
  reasons: string | null;
  created_at: string;
}

/** The shop's own database: its settings, its copy of the accounting product's products and customers, its orders. */
export class ShopStore {
  readonly db: SQLite.Database;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.db = new SQLite(path.join(dataDir, 'shop.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      create table if not exists settings (key text primary key, value text not null);
      create table if not exists records (scope text not null, id text not null, json text not null, primary key (scope, id));
      create table if not exists versions (scope text primary key, file_id text not null);
      create table if not exists orders (id text primary key, upload_id text, status text not null, customer_name text not null, summary text not null,
        document_number text, reasons text, created_at text not null);`);
  }

  setting(key: string): string | undefined {
    return (this.db.prepare('select value from settings where key = ?').get(key) as { value: string } | undefined)?.value;
  }
  setSetting(key: string, value: string): void {
    this.db.prepare('insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value').run(key, value);
  }

  version(scope: string): string | undefined {
    return (this.db.prepare('select file_id from versions where scope = ?').get(scope) as { file_id: string } | undefined)?.file_id;
  }
  put(scope: string, id: string, record: unknown): void {
    this.db.prepare('insert into records (scope, id, json) values (?, ?, ?) on conflict (scope, id) do update set json = excluded.json').run(scope, id, JSON.stringify(record));
  }
  remove(scope: string, id: string): void {
    this.db.prepare('delete from records where scope = ? and id = ?').run(scope, id);
  }
  setVersion(scope: string, fileId: string): void {
    this.db.prepare('insert into versions (scope, file_id) values (?, ?) on conflict (scope) do update set file_id = excluded.file_id').run(scope, fileId);
  }
  /** A full copy loaded under a staging name takes the place of the scope's records, with its version, at once. */
  swapIn(staging: string, scope: string, fileId: string): void {
    this.db.transaction(() => {
      this.db.prepare('delete from records where scope = ?').run(scope);
      this.db.prepare('update records set scope = ? where scope = ?').run(scope, staging);
      this.setVersion(scope, fileId);
    })();
  }
  clearScope(scope: string): void {
    this.db.prepare('delete from records where scope = ?').run(scope);
  }
  records<T>(scope: string, limit = 1000): T[] {
    return (this.db.prepare('select json from records where scope = ? order by id limit ?').all(scope, limit) as Array<{ json: string }>).map((r) => JSON.parse(r.json) as T);
  }
  record<T>(scope: string, id: string): T | undefined {
    const row = this.db.prepare('select json from records where scope = ? and id = ?').get(scope, id) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as T) : undefined;
  }
  count(scope: string): number {
    return (this.db.prepare('select count(*) as n from records where scope = ?').get(scope) as { n: number }).n;
  }

  addOrder(o: ShopOrder): void {
    this.db.prepare('insert into orders (id, upload_id, status, customer_name, summary, document_number, reasons, created_at) values (@id, @upload_id, @status, @customer_name, @summary, @document_number, @reasons, @created_at)').run(o);
  }
  updateOrders(uploadId: string, change: { status: string; document_number?: string | null; reasons?: string | null }, orderId?: string): void {
    this.db
      .prepare(`update orders set status = @status, document_number = coalesce(@document_number, document_number), reasons = coalesce(@reasons, reasons) where upload_id = @upload_id${orderId ? ' and id = @id' : ''}`)
      .run({ document_number: null, reasons: null, ...change, upload_id: uploadId, id: orderId });
  }
  orders(): ShopOrder[] {
    return this.db.prepare('select * from orders order by created_at desc, id desc').all() as ShopOrder[];
  }
}
