import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentWith, newPasscode, pollApiKey, provisionInstance } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { apiClient, freePort } from '../support/platform.js';
import { built, runPlatform, waitUp } from '../support/process.js';
import { MailCatcher } from '../support/smtp.js';
import { describeEachStore } from '../support/stores.js';

const now = '2026-11-28T10:00:00.000Z';
const record = (i: number) =>
  JSON.stringify({ id: `p${i}`, name: `Product ${i}`, netPrice: 1, tax: 20, discountByUnit: true, timestamp: now });

describe.skipIf(!built)('a scope file upload killed half way', () => {
  describeEachStore('SIGKILL during the upload', (store) => {
    let mail: MailCatcher;
    beforeAll(async () => {
      mail = await new MailCatcher().start();
    });
    afterAll(async () => mail?.stop());

    it('leaves the previous version current, no partial file listed and no orphan in storage', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-upload-kill-'));
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = {
        PORT: String(port),
        DATA_DIR: dataDir,
        SMTP_URL: mail.url,
        ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
        ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
      };
      const platform = { url, api: apiClient(url) };
      let proc = runPlatform(env);
      try {
        await waitUp(url, proc);
        const instance = await provisionInstance(platform);
        const app = await registerApplication(url, mail, { notificationUrl: 'https://shop.example.com/events' });
        const pc = await newPasscode(platform, app, 'correct horse battery staple');
        await consentWith(platform, instance.instanceKey, pc.passcode);
        const apikey = (await pollApiKey(platform, app, pc.passcodeId, 'correct horse battery staple')).body.apikey;
        const put = await platform.api('PUT', '/api/connector/solutions/ecommerce/scopes/products', `[${record(1)}]`, {
          'x-instance-key': instance.instanceKey,
        });
        expect(put.status).toBe(201);

        // A second version streams in slowly; the platform dies while it is half written.
        const tmp = path.join(dataDir, 'files', '.tmp');
        const req = http.request(`${url}/api/connector/solutions/ecommerce/scopes/products`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-instance-key': instance.instanceKey },
        });
        req.on('error', () => {});
        req.write('[');
        for (let i = 0; i < 2000; i++) req.write(`${i ? ',' : ''}${record(i)}`);
        for (let i = 0; i < 200 && fs.readdirSync(tmp).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
        expect(fs.readdirSync(tmp)).toHaveLength(2); // the half-written file and its index exist, out of sight
        proc.child.kill('SIGKILL');
        await proc.exited;
        req.destroy();

        proc = runPlatform(env);
        await waitUp(url, proc);
        const files = await platform.api('GET', '/api/files', undefined, { 'x-api-key': apikey });
        expect(files.body).toEqual([expect.objectContaining({ fileId: put.body.fileId, records: 1 })]);
        expect(fs.readdirSync(tmp)).toEqual([]);
        const committed = fs
          .readdirSync(path.join(dataDir, 'files'), { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile());
        expect(committed.map((e) => e.name).sort()).toEqual([
          `${put.body.fileId}.json`,
          `${put.body.fileId}.json.index`,
        ]); // the file and its record index
      } finally {
        proc.child.kill('SIGKILL');
      }
    });
  });
});
