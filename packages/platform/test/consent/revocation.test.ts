import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN, asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { apiClient, freePort, usePlatformWithMail } from '../support/platform.js';
import { built, runPlatform, waitUp, type PlatformProcess } from '../support/process.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

// API keys and instance keys are served from a short-lived cache (infra/http/credential-cache.ts): these show that
// a revocation, a rotation and a deleted instance still take effect at once, also while requests keep coming.

describeEachStore('credentials take effect at once, cached or not', (store) => {
  const ctx = usePlatformWithMail(store, {
    env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', SECRETS_KEY: '42'.repeat(32) },
  });
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
  });
  afterAll(() => receiver.stop());

  const setUp = async () => {
    const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
    const instance = await provisionInstance(ctx.platform);
    return { app, instance, ...(await integrate(ctx.platform, app, instance.instanceKey)) };
  };

  /**
   * Requests with `headers` from `n` loops until stopped. `answered` holds the statuses in the order they were
   * answered; `sentAfterMark` those of the requests sent once `mark()` was called.
   */
  const underLoad = (url: string, headers: Record<string, string>, n = 8) => {
    const api = apiClient(url);
    const answered: number[] = [];
    const sentAfterMark: number[] = [];
    let marked = false;
    let running = true;
    const loops = Array.from({ length: n }, async () => {
      while (running) {
        const afterMark = marked;
        const { status } = await api('GET', '/api/integration', undefined, headers);
        answered.push(status);
        if (afterMark) sentAfterMark.push(status);
      }
    });
    return {
      answered,
      sentAfterMark,
      mark: () => (marked = true),
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  };

  it('refuses the next request once a revocation answered, with requests in flight', async () => {
    const { instance, integrationId, apikey } = await setUp();
    const load = underLoad(ctx.platform.url, withKey(apikey));
    try {
      await expect.poll(() => load.answered.length, { timeout: 30_000 }).toBeGreaterThan(20); // the key is cached by now
      expect(new Set(load.answered)).toEqual(new Set([200]));
      const revoked = await ctx.platform.api(
        'DELETE',
        `/api/connector/integrations/${integrationId}`,
        undefined,
        asInstance(instance.instanceKey),
      );
      expect(revoked.status).toBe(204);
      load.mark();
      const next = await ctx.platform.api('GET', '/api/integration', undefined, withKey(apikey));
      expect([next.status, next.body.code]).toEqual([401, 'api-key-revoked']);
      await expect.poll(() => load.sentAfterMark.length, { timeout: 30_000 }).toBeGreaterThan(20);
      // Requests in flight while it committed may have answered 200, however late; none sent after it did.
      expect(new Set(load.sentAfterMark)).toEqual(new Set([401]));
    } finally {
      await load.stop();
    }
  });

  it('refuses a deleted instance’s key, and its integrations’ keys, at once', async () => {
    const { instance, apikey } = await setUp();
    const api = ctx.platform.api;
    for (let i = 0; i < 3; i++)
      expect((await api('GET', '/api/connector/inbox', undefined, asInstance(instance.instanceKey))).status).toBe(200);
    const deleted = await api('DELETE', `/api/admin/instances/${instance.instanceId}`, undefined, ADMIN);
    expect(deleted.status).toBe(204);
    expect((await api('GET', '/api/connector/inbox', undefined, asInstance(instance.instanceKey))).status).toBe(401);
    expect((await api('GET', '/api/integration', undefined, withKey(apikey))).body.code).toBe('api-key-revoked');
  });

  it.runIf(store.kind === 'postgres' && built)(
    'refuses a revoked key in another process on the same PostgreSQL once its notification arrives, and from then on',
    async () => {
      const { instance, integrationId, apikey } = await setUp();
      const port = await freePort();
      const other: PlatformProcess = runPlatform({
        PORT: String(port),
        DATA_DIR: ctx.platform.dataDir,
        DATABASE_URL: store.databaseUrl!,
        SECRETS_KEY: '42'.repeat(32),
        ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
        LOG_LEVEL: 'warn',
      });
      const otherUrl = `http://127.0.0.1:${port}`;
      try {
        await waitUp(otherUrl, other, 60_000);
        const load = underLoad(otherUrl, withKey(apikey));
        try {
          await expect.poll(() => load.answered.length, { timeout: 30_000 }).toBeGreaterThan(20); // cached in the other process
          expect(new Set(load.answered)).toEqual(new Set([200]));
          const revoked = await ctx.platform.api(
            'DELETE',
            `/api/connector/integrations/${integrationId}`,
            undefined,
            asInstance(instance.instanceKey),
          );
          expect(revoked.status).toBe(204);
          // The other process forgets its cached key when PostgreSQL's NOTIFY reaches it: within milliseconds, but
          // a request that gets there first may still be served from its cache (a loaded machine showed it).
          const other = apiClient(otherUrl);
          await expect
            .poll(async () => (await other('GET', '/api/integration', undefined, withKey(apikey))).body.code, {
              timeout: 5_000,
              interval: 5,
            })
            .toBe('api-key-revoked');
          // Once refused, never served again: no request sent from then on got a 200.
          load.mark();
          await expect.poll(() => load.sentAfterMark.length, { timeout: 30_000 }).toBeGreaterThan(20);
          expect(new Set(load.sentAfterMark)).toEqual(new Set([401]));
        } finally {
          await load.stop();
        }
      } finally {
        other.child.kill('SIGTERM');
        await other.exited;
      }
    },
    120_000,
  ); // a second process starting on a loaded machine
});
