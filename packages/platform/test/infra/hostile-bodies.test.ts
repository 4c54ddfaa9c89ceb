import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { order } from '../support/orders.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { MailCatcher } from '../support/smtp.js';
import { describeEachStore } from '../support/stores.js';

const now = '2026-11-28T10:00:00.000Z';
const product = (i: number) => ({
  id: `p${i}`,
  name: `Product ${i}`,
  netPrice: 9.5,
  tax: 20,
  discountByUnit: true,
  timestamp: now,
});
const MiB = 1024 * 1024;

/** A body of `head`, then `fill` bytes of 'a' made as they are read, then `tail`: never held whole by the test. */
function lazyBody(head: string, fill: number, tail: string): { stream: Readable; sent: () => number } {
  let sent = 0;
  const block = Buffer.alloc(64 * 1024, 'a');
  async function* bytes() {
    yield Buffer.from(head);
    for (let left = fill; left > 0; left -= block.length) {
      const b = left >= block.length ? block : block.subarray(0, left);
      sent += b.length;
      yield b;
    }
    yield Buffer.from(tail);
  }
  return { stream: Readable.from(bytes()), sent: () => sent };
}

/** Sends a streamed body and resolves with the answer as soon as it comes, whether the body was all sent or not. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Readable,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        body.destroy();
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', (error) => (body.destroyed ? undefined : reject(error))); // the server may close once it has answered
    body.pipe(req);
  });
}

/** Polls /health beside some work: every answer it got, and whether any failed. */
function pollHealth(url: string) {
  let stop = false;
  const answers: number[] = [];
  const done = (async () => {
    while (!stop) {
      answers.push((await fetch(`${url}/health`)).status);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return async () => {
    stop = true;
    await done;
    return answers;
  };
}

const files = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];

describeEachStore('hostile bodies', (store) => {
  describe('records', () => {
    let p: TestPlatform;
    let mail: MailCatcher;
    let instanceKey: string;
    let apikey: string;
    beforeAll(async () => {
      mail = await new MailCatcher().start();
      p = await startTestPlatform({
        store,
        env: { SMTP_URL: mail.url, ALLOW_INSECURE_NOTIFICATION_URLS: 'true', INVALID_UPLOAD_RETENTION: '0' },
      });
      const app = await registerApplication(p.url, mail, { notificationUrl: 'http://127.0.0.1:9/events' });
      instanceKey = (await provisionInstance(p)).instanceKey;
      ({ apikey } = await integrate(p, app, instanceKey));
    });
    afterAll(async () => {
      await p?.stop();
      await mail?.stop();
    });
    const putScope = (body: string | Uint8Array<ArrayBuffer>) =>
      fetch(`${p.url}/api/connector/solutions/ecommerce/scopes/products`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-instance-key': instanceKey },
        body,
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const scopeRows = async () => (await p.platform.store.db.selectFrom('scope_files').select('id').execute()).length;

    it('ends a scope file with one huge element at MAX_RECORD_BYTES (422 record-too-large), /health answering beside it', async () => {
      const before = await scopeRows();
      const health = pollHealth(p.url);
      const body = lazyBody(`[${JSON.stringify(product(1))},{"id":"`, 256 * MiB, '"}]');
      const res = await send(
        `${p.url}/api/connector/solutions/ecommerce/scopes/products`,
        'PUT',
        { 'x-instance-key': instanceKey },
        body.stream,
      );
      const answers = await health();
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'record-too-large', errors: [{ pointer: '/1' }] });
      expect(body.sent()).toBeLessThan(64 * MiB); // answered long before the 256 MiB were sent
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((s) => s === 200)).toBe(true);
      expect(await scopeRows()).toBe(before);
      expect(files(path.join(p.dataDir, 'files', '.tmp'))).toHaveLength(0);
    });

    it('marks an upload with a huge element invalid (record-too-large, its pointer) and removes its body after INVALID_UPLOAD_RETENTION', async () => {
      const body = JSON.stringify([order(1), { ...order(2), note: 'x'.repeat(2 * MiB) }]);
      const created = await p.api('POST', '/api/uploads?type=orders', body, withKey(apikey));
      expect(created.status).toBe(202);
      const id = created.body.fileId as string;
      await expect
        .poll(async () => (await p.api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(apikey))).body.status, {
          timeout: 20_000,
        })
        .toBe('invalid');
      const tracking = await p.api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(apikey));
      expect(tracking.body.errors).toEqual([
        { pointer: '/1', message: expect.stringMatching(/MAX_RECORD_BYTES|larger than/) },
      ]);
      const row = await p.platform.store.db
        .selectFrom('uploads')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      await expect
        .poll(() => fs.existsSync(path.join(p.dataDir, 'files', row.blob_key)), { timeout: 20_000 })
        .toBe(false);
      await expect
        .poll(
          async () =>
            (
              await p.platform.store.db
                .selectFrom('uploads')
                .select('body_removed_at')
                .where('id', '=', id)
                .executeTakeFirstOrThrow()
            ).body_removed_at,
        )
        .not.toBeNull();
      expect((await p.api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(apikey))).body.status).toBe(
        'invalid',
      ); // the tracking stays
    });

    it('answers validateOnly with a huge element by 422 record-too-large', async () => {
      const body = lazyBody(`[{"id":"`, 64 * MiB, '"}]');
      const res = await send(
        `${p.url}/api/uploads?type=orders&validateOnly=true`,
        'POST',
        withKey(apikey),
        body.stream,
      );
      expect([res.status, res.body.code, res.body.errors[0].pointer]).toEqual([422, 'record-too-large', '/0']);
    });

    it('refuses invalid UTF-8 and a number too large for a double (1e400) with 422 and a pointer', async () => {
      const before = await scopeRows();
      const good = Buffer.from(JSON.stringify(product(1)));
      const bad = Buffer.concat([
        Buffer.from('{"id":"p2","name":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('","netPrice":1,"tax":20,"discountByUnit":true,"timestamp":"' + now + '"}'),
      ]);
      const utf8 = await putScope(
        new Uint8Array(Buffer.concat([Buffer.from('['), good, Buffer.from(','), bad, Buffer.from(']')])),
      );
      expect([utf8.status, utf8.body.code, utf8.body.errors[0].pointer]).toEqual([422, 'schema-invalid', '/1']);
      const infinite = await putScope(`[${JSON.stringify(product(1)).replace('"netPrice":9.5', '"netPrice":1e400')}]`);
      expect([infinite.status, infinite.body.code, infinite.body.errors[0].pointer]).toEqual([
        422,
        'schema-invalid',
        '/0/netPrice',
      ]);
      expect(await scopeRows()).toBe(before);
      // A string that only looks like one is fine.
      expect((await putScope(`[${JSON.stringify({ ...product(1), name: 'Model 1e400' })}]`)).status).toBe(201);
    });

    it('takes a valid record nested 5,000 deep pretty-printed as it takes it compact', async () => {
      const depth = 5000;
      const compact = `{"id":"deep","name":"Deep","netPrice":1,"tax":20,"discountByUnit":true,"timestamp":"${now}","meta":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      const pretty = compact.replace(/([{,])/g, '$1\n').replace(/":/g, '": ');
      for (const text of [compact, pretty]) {
        const res = await putScope(`[\n${text}\n]`);
        expect([res.status, res.body.records]).toEqual([201, 1]);
      }
      // Changes between the two are computed without recursion: the same record, compact or not.
      const [newer, older] = await p.platform.store.db
        .selectFrom('scope_files')
        .select('id')
        .where('scope', '=', 'products')
        .orderBy('created_at', 'desc')
        .limit(2)
        .execute();
      const changes = await fetch(`${p.url}/api/files/${newer!.id}/changes?since=${older!.id}`, {
        headers: withKey(apikey),
      });
      expect(changes.status).toBe(200);
      expect(await changes.text()).toBe('');
      // Indented by two spaces a level it is some 50 MB: past MAX_RECORD_BYTES, refused as such, not as a crash.
      let indented = '';
      for (let i = 0; i < depth; i++) indented += `{\n${' '.repeat(2 * i)}"a": `;
      const url = `${p.url}/api/connector/solutions/ecommerce/scopes/products`;
      const res = await send(
        url,
        'PUT',
        { 'x-instance-key': instanceKey },
        Readable.from([`[{"id":"deep2","meta":${indented}1${'}'.repeat(depth)}}]`]),
      );
      expect([res.status, res.body.code]).toEqual([422, 'record-too-large']);
    });
  });

  describe('storage quotas', () => {
    let p: TestPlatform;
    let mail: MailCatcher;
    let instanceKey: string;
    let apikey: string;
    let integrationId: string;
    const QUOTA = 100_000;
    beforeAll(async () => {
      mail = await new MailCatcher().start();
      p = await startTestPlatform({
        store,
        env: {
          SMTP_URL: mail.url,
          ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
          UPLOAD_QUOTA_BYTES: String(QUOTA),
          SCOPE_FILE_QUOTA_BYTES: String(QUOTA),
          INVALID_UPLOAD_RETENTION: '1',
        },
      });
      const app = await registerApplication(p.url, mail, { notificationUrl: 'http://127.0.0.1:9/events' });
      instanceKey = (await provisionInstance(p)).instanceKey;
      ({ apikey, integrationId } = await integrate(p, app, instanceKey));
    });
    afterAll(async () => {
      await p?.stop();
      await mail?.stop();
    });
    const uploadRows = async () =>
      (
        await p.platform.store.db
          .selectFrom('uploads')
          .select('id')
          .where('integration_id', '=', integrationId)
          .execute()
      ).length;
    const ordersOf = (bytes: number) => {
      const list = [];
      let text = '[]';
      for (let i = 0; text.length < bytes; i++) text = JSON.stringify((list.push(order(i)), list));
      return text;
    };

    it('refuses an upload past the integration quota before storing it (Content-Length), and a streamed one once crossed', async () => {
      expect((await p.api('POST', '/api/uploads?type=orders', ordersOf(60_000), withKey(apikey))).status).toBe(202);
      const rows = await uploadRows();
      const declared = await p.api('POST', '/api/uploads?type=orders', ordersOf(60_000), withKey(apikey));
      expect([declared.status, declared.body.code]).toEqual([413, 'quota-exceeded']);
      // Chunked, without Content-Length: refused once the quota is crossed, its partial bytes removed.
      const streamed = await send(
        `${p.url}/api/uploads?type=orders`,
        'POST',
        withKey(apikey),
        lazyBody('["', 8 * MiB, '"]').stream,
      );
      expect([streamed.status, streamed.body.code]).toEqual([413, 'quota-exceeded']);
      expect(await uploadRows()).toBe(rows);
      expect(files(path.join(p.dataDir, 'files', '.tmp'))).toHaveLength(0);
    });

    it('frees the room of an invalid upload once its body is removed', async () => {
      // Fill what is left with an invalid upload, then wait for its body to go.
      const invalid = await p.api('POST', '/api/uploads?type=orders', `[${'1,'.repeat(15_000)}1]`, withKey(apikey));
      expect(invalid.status).toBe(202);
      expect((await p.api('POST', '/api/uploads?type=orders', ordersOf(20_000), withKey(apikey))).status).toBe(413);
      await expect
        .poll(
          async () =>
            (
              await p.platform.store.db
                .selectFrom('uploads')
                .select('body_removed_at')
                .where('id', '=', invalid.body.fileId)
                .executeTakeFirstOrThrow()
            ).body_removed_at,
          { timeout: 20_000 },
        )
        .not.toBeNull();
      expect((await p.api('POST', '/api/uploads?type=orders', ordersOf(20_000), withKey(apikey))).status).toBe(202);
    });

    it('refuses a scope file past the instance quota, changing nothing', async () => {
      const scope = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => product(i)));
      const put = (body: string | Readable) =>
        send(
          `${p.url}/api/connector/solutions/ecommerce/scopes/products`,
          'PUT',
          { 'x-instance-key': instanceKey },
          typeof body === 'string' ? Readable.from([body]) : body,
        );
      expect((await put(scope(500))).status).toBe(201); // some 60 kB
      const before = (await p.platform.store.db.selectFrom('scope_files').select('id').execute()).length;
      const refused = await put(scope(500));
      expect([refused.status, refused.body.code]).toEqual([413, 'quota-exceeded']);
      expect((await p.platform.store.db.selectFrom('scope_files').select('id').execute()).length).toBe(before);
      expect(files(path.join(p.dataDir, 'files', '.tmp'))).toHaveLength(0);
    });
  });
});
