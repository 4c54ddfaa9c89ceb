import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { order, orderResult } from '../support/orders.js';
import { apiClient, freePort } from '../support/platform.js';
import { built, runPlatform, waitUp, type PlatformProcess } from '../support/process.js';
import { MailCatcher } from '../support/smtp.js';
import { describeEachStore } from '../support/stores.js';

describe.skipIf(!built)('uploads when the platform is killed', () => {
  describeEachStore('SIGKILL during an upload and during its validation', (store) => {
    let mail: MailCatcher;
    let dataDir: string;
    let env: Record<string, string>;
    let url: string;
    let proc: PlatformProcess;
    let apikey: string;
    let instanceKey: string;
    const api = (...args: Parameters<ReturnType<typeof apiClient>>) => apiClient(url)(...args);
    const kill = async () => {
      proc.child.kill('SIGKILL');
      await proc.exited;
    };
    const restart = async () => {
      proc = runPlatform(env);
      await waitUp(url, proc);
    };

    beforeAll(async () => {
      mail = await new MailCatcher().start();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-uploads-kill-'));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      env = {
        PORT: String(port),
        DATA_DIR: dataDir,
        SMTP_URL: mail.url,
        ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
        ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
      };
      await restart();
      const platform = { url, api: apiClient(url) };
      instanceKey = (await provisionInstance(platform)).instanceKey;
      const app = await registerApplication(url, mail, { notificationUrl: 'https://shop.example.com/events' });
      ({ apikey } = await integrate(platform, app, instanceKey));
    });
    afterAll(async () => {
      proc?.child.kill('SIGKILL');
      await mail?.stop();
    });

    const uploadFiles = () => {
      const dir = path.join(dataDir, 'files', 'uploads');
      return fs.existsSync(dir)
        ? fs
            .readdirSync(dir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => e.name)
        : [];
    };

    it('leaves no trace of an upload cut off while it streamed in', async () => {
      const tmp = path.join(dataDir, 'files', '.tmp');
      const req = http.request(`${url}/api/uploads?type=orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...withKey(apikey) },
      });
      req.on('error', () => {});
      req.write('[');
      for (let i = 0; i < 500; i++) req.write(`${i ? ',' : ''}${JSON.stringify(order(i))}`);
      for (let i = 0; i < 200 && fs.readdirSync(tmp).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(fs.readdirSync(tmp)).toHaveLength(1); // the bytes so far, out of sight
      await kill();
      req.destroy();

      await restart();
      expect((await api('GET', '/api/uploads', undefined, withKey(apikey))).body).toEqual([]);
      expect(fs.readdirSync(tmp)).toEqual([]);
      expect(uploadFiles()).toEqual([]);
    });

    it('validates again after a restart an upload whose validation was cut off, and takes it to its end', async () => {
      const records = 40_000;
      const body = JSON.stringify(Array.from({ length: records }, (_, i) => order(i)));
      const created = await api('POST', '/api/uploads?type=orders', body, withKey(apikey));
      expect(created.status).toBe(202);
      const id = created.body.fileId;
      let status = created.body.status;
      for (let i = 0; i < 1000 && status === 'uploaded'; i++)
        status = (await api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(apikey))).body.status;
      expect(status).toBe('validating'); // killed in the middle of it
      await kill();

      await restart();
      let tracking;
      for (let i = 0; i < 600; i++) {
        tracking = (await api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(apikey))).body;
        if (tracking.status !== 'validating' && tracking.status !== 'uploaded') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(tracking).toMatchObject({ status: 'pending', records, errorCount: 0 });

      // And on to its end, with the instance.
      expect((await api('POST', `/api/connector/uploads/${id}/claim`, undefined, asInstance(instanceKey))).status).toBe(
        200,
      );
      const result = JSON.stringify(Array.from({ length: records }, (_, i) => orderResult(`o${i}`, true)));
      const done = await api('PUT', `/api/connector/uploads/${id}/result?status=accepted`, result, {
        ...asInstance(instanceKey),
        'content-type': 'application/json',
      });
      expect(done.body.status).toBe('accepted');
      const files = uploadFiles().sort(); // the upload and its result; nothing of the cut-off validation
      expect(files).toHaveLength(2);
      expect(files[0]).toBe(`${id}.json`);
      expect(files[1]).toMatch(new RegExp(`^${id}\\.result-\\w+\\.json$`));
    });
  });
});
