import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/infra/log.js';
import { createPlatform } from '../../src/platform.js';
import { startTestPlatform } from '../support/platform.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('start-up and DATA_DIR', (store) => {
  it('answers /ready and the API with 503 and Retry-After until the platform has started, /health at once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-start-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
      ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
    });
    const platform = await createPlatform(config, createLogger('warn'));
    const app = await buildApp(platform);
    try {
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      for (const url of ['/ready', '/api/solutions', '/api/files']) {
        const res = await app.inject({ method: 'GET', url });
        expect([url, res.statusCode, res.json().code, res.headers['retry-after']]).toEqual([
          url,
          503,
          'not-ready',
          '1',
        ]);
      }
      await platform.start();
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/api/solutions' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await platform.close();
    }
  });

  it.skipIf(process.getuid?.() === undefined)(
    'creates the files that hold data or keys 0600 and their folders 0700',
    async () => {
      const p = await startTestPlatform({ store, env: { ADMIN_TOKEN: '' } });
      try {
        // One file of each kind beside the database and the keys: a stored file, an e-mail.
        await p.platform.blobs.create('scopes/ins_x/file_x.json').then(async (w) => {
          await w.write(Buffer.from('[]'));
          await w.commit();
        });
        await p.platform.mailer.send({ to: 'ada@example.com', subject: 'hello', text: 'hello' });
      } finally {
        await p.stop();
      }
      const wrong: string[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          const mode = fs.statSync(full).mode & 0o777;
          if (entry.isDirectory()) {
            if (mode !== 0o700) wrong.push(`${full} ${mode.toString(8)}`);
            walk(full);
          } else if (mode !== 0o600) wrong.push(`${full} ${mode.toString(8)}`);
        }
      };
      expect(fs.statSync(p.dataDir).mode & 0o777).toBe(0o700);
      walk(p.dataDir);
      expect(wrong).toEqual([]);
      const names = fs.readdirSync(p.dataDir, { recursive: true }).map(String);
      expect(names).toEqual(expect.arrayContaining(['secrets.key', 'admin-token.sha256', 'files', 'mail']));
      if (store.kind === 'sqlite') expect(names).toContain('connected-cloud.db');
    },
  );
});
