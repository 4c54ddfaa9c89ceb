import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRateLimit, ConfigError, loadConfig } from '../../src/config.js';
import { integrate, newPasscode, pollApiKey, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication, sendTestEvent, type RegisteredApplication } from '../support/onboarding.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { MailCatcher } from '../support/smtp.js';
import { describeEachStore } from '../support/stores.js';

const registration = (i: number) => ({
  name: 'Flood',
  email: `flood-${i}@example.com`,
  application: { name: 'Flood', solution: 'ecommerce', notificationUrl: 'http://127.0.0.1:9/events' },
});

/** POST /api/developers from a given loopback address (Linux answers on all of 127.0.0.0/8). */
function registerFrom(
  base: string,
  localAddress: string,
  i: number,
  forwardedFor?: string,
): Promise<{ status: number; retryAfter?: string; body: any }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(registration(i));
    const headers = {
      'content-type': 'application/json',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    };
    const req = http.request(`${base}/api/developers`, { method: 'POST', localAddress, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () =>
        resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const countRegistrations = async (p: TestPlatform) =>
  Number(
    (
      await p.platform.store.db
        .selectFrom('registrations')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

function expectLimited(res: { status: number; headers?: Headers; retryAfter?: string; body: any }) {
  expect(res.status).toBe(429);
  expect(res.body).toMatchObject({ type: '/problems/rate-limited', code: 'rate-limited', status: 429 });
  const retryAfter = res.retryAfter ?? res.headers?.get('retry-after');
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
}

describe('rate limit settings', () => {
  it('reads <count>/<window> or off, and names the variable of a bad value', () => {
    expect(parseRateLimit('X', '60/1h')).toEqual({ points: 60, seconds: 3600 });
    expect(parseRateLimit('X', '10/15m')).toEqual({ points: 10, seconds: 900 });
    expect(parseRateLimit('X', '5/s')).toEqual({ points: 5, seconds: 1 });
    expect(parseRateLimit('X', 'off')).toBeUndefined();
    expect(() => parseRateLimit('RATE_LIMIT_UPLOADS', '0/1h')).toThrow(ConfigError);
    expect(() => loadConfig({ RATE_LIMIT_UPLOADS: 'lots' })).toThrow(/RATE_LIMIT_UPLOADS/);
    expect(loadConfig({}).rateLimits.registrationsPerAddress).toEqual({ points: 60, seconds: 3600 });
  });

  it('reads TRUST_PROXY as proxy addresses and CIDRs, and refuses anything else', () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,::1,loopback' }).trustProxy).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      '::1',
      'loopback',
    ]);
    for (const wrong of ['true', '*', '10.0.0.0/33', 'proxy.example.com', '2'])
      expect(() => loadConfig({ TRUST_PROXY: wrong }), wrong).toThrow(/TRUST_PROXY/);
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform({
      store: { kind: 'sqlite', databaseUrl: undefined },
      env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', RATE_LIMIT_REGISTRATIONS: '2/1h', TRUST_PROXY: '127.0.0.9' },
    });
  });
  afterAll(async () => p?.stop());

  it('limits each client the proxy forwards, and believes X-Forwarded-For from the proxy alone', async () => {
    // Through the proxy (127.0.0.9): each forwarded client has its own count.
    const viaProxy = [];
    for (let i = 0; i < 3; i++) viaProxy.push(await registerFrom(p.url, '127.0.0.9', 100 + i, '203.0.113.7'));
    expect(viaProxy.slice(0, 2).map((r) => r.status)).toEqual([202, 202]);
    expectLimited(viaProxy[2]!);
    expect((await registerFrom(p.url, '127.0.0.9', 110, '203.0.113.8')).status).toBe(202);
    // A client that is not the proxy cannot pick its address: its header is ignored, its own address counts.
    const direct = [];
    for (let i = 0; i < 3; i++) direct.push(await registerFrom(p.url, '127.0.0.10', 120 + i, `198.51.100.${i}`));
    expect(direct.slice(0, 2).map((r) => r.status)).toEqual([202, 202]);
    expectLimited(direct[2]!);
  });
});

describeEachStore('rate limits', (store) => {
  describe('registration flood', () => {
    let p: TestPlatform;
    let other: TestPlatform;
    beforeAll(async () => {
      const env = {
        ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
        RATE_LIMIT_REGISTRATIONS: '4/1h',
        RATE_LIMIT_REGISTRATIONS_GLOBAL: '7/1h',
      };
      p = await startTestPlatform({ store, env });
      // A second process's worth of platform on the same store: the counts are the store's, not the process's.
      other = await startTestPlatform({ store, env, dataDir: store.kind === 'sqlite' ? p.dataDir : undefined });
    });
    afterAll(async () => {
      await other?.stop();
      await p?.stop();
    });

    it('holds one client address to its limit across processes, then all addresses to the global one', async () => {
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await registerFrom(i % 2 ? other.url : p.url, '127.0.0.1', i));
      expect(results.slice(0, 4).map((r) => r.status)).toEqual([202, 202, 202, 202]);
      for (const refused of results.slice(4)) expectLimited(refused);
      expect(await countRegistrations(p)).toBe(4);

      // Other addresses still get in, until the global limit (7) is reached.
      expect((await registerFrom(p.url, '127.0.0.2', 10)).status).toBe(202);
      expect((await registerFrom(other.url, '127.0.0.3', 11)).status).toBe(202);
      expect((await registerFrom(p.url, '127.0.0.4', 12)).status).toBe(202);
      expectLimited(await registerFrom(other.url, '127.0.0.5', 13));
      expect(await countRegistrations(p)).toBe(7);
    });
  });

  describe('per developer, integration, passcode and event', () => {
    let p: TestPlatform;
    let mail: MailCatcher;
    let app: RegisteredApplication;
    let instanceKey: string;
    beforeAll(async () => {
      mail = await new MailCatcher().start();
      p = await startTestPlatform({
        store,
        env: {
          SMTP_URL: mail.url,
          ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
          RATE_LIMIT_APPLICATIONS: '2/1h',
          RATE_LIMIT_TEST_EVENTS: '3/1h',
          RATE_LIMIT_SECRET_ATTEMPTS: '3/15m',
          RATE_LIMIT_RESENDS: '2/1h',
          RATE_LIMIT_UPLOADS: '2/1h',
        },
      });
      app = await registerApplication(p.url, mail, { notificationUrl: 'http://127.0.0.1:9/events' });
      instanceKey = (await provisionInstance(p)).instanceKey;
    });
    afterAll(async () => {
      await p?.stop();
      await mail?.stop();
    });

    it('limits application creation per developer, creating nothing past it', async () => {
      const create = () =>
        p.api('POST', `/api/developers/${app.developerId}/applications`, {
          name: 'More',
          solution: 'ecommerce',
          notificationUrl: 'http://127.0.0.1:9/x',
        });
      expect((await create()).status).toBe(201);
      expect((await create()).status).toBe(201);
      expectLimited(await create());
      const apps = await p.platform.store.db
        .selectFrom('applications')
        .select('id')
        .where('developer_id', '=', app.developerId)
        .execute();
      expect(apps).toHaveLength(3); // the first, from the registration, and two
    });

    it('limits test events per developer', async () => {
      for (let i = 0; i < 3; i++) await sendTestEvent(p.url, app);
      expectLimited(
        await p.api('POST', `/api/developers/${app.developerId}/applications/${app.applicationId}/events/test`),
      );
    });

    it('limits wrong secrets on the polling fallback per passcode; right ones do not use the limit up', async () => {
      const secret = 'the right secret, 16+ chars';
      const pc = await newPasscode(p, app, secret);
      expect((await pollApiKey(p, app, pc.passcodeId, 'a wrong secret, 16+ chars')).status).toBe(401);
      for (let i = 0; i < 5; i++) expect((await pollApiKey(p, app, pc.passcodeId, secret)).status).toBe(202);
      expect((await pollApiKey(p, app, pc.passcodeId, 'a wrong secret, 16+ chars')).status).toBe(401);
      expect((await pollApiKey(p, app, pc.passcodeId, 'a wrong secret, 16+ chars')).status).toBe(401);
      expectLimited(await pollApiKey(p, app, pc.passcodeId, 'a wrong secret, 16+ chars'));
      expectLimited(await pollApiKey(p, app, pc.passcodeId, secret)); // no more guesses, right or wrong
      // Another passcode is counted apart.
      const other = await newPasscode(p, app, secret);
      expect((await pollApiKey(p, app, other.passcodeId, secret)).status).toBe(202);
    });

    it('limits wrong secrets on PATCH /api/apikey per integration', async () => {
      const secret = 'correct horse battery staple';
      const { apikey } = await integrate(p, app, instanceKey, secret);
      const rotate = (s: string) => p.api('PATCH', '/api/apikey', { initialApikey: apikey, secret: s });
      for (let i = 0; i < 3; i++) expect((await rotate('not the secret at all')).body.code).toBe('secret-invalid');
      expectLimited(await rotate('not the secret at all'));
      expectLimited(await rotate(secret));
      const keys = await p.platform.store.db
        .selectFrom('api_keys')
        .select('key_hash')
        .where('replaced_at', 'is not', null)
        .execute();
      expect(keys).toHaveLength(0);
    });

    it('limits resends per event and uploads per integration', async () => {
      // A fresh passcode: the one above has used up its guesses.
      const { apikey } = await integrate(
        p,
        app,
        (await provisionInstance(p, 'Second Ltd')).instanceKey,
        'another secret of 16+ chars',
      );
      const events = await p.api('GET', '/api/events', undefined, withKey(apikey));
      const eventId = events.body[0].eventId as string;
      for (let i = 0; i < 2; i++)
        expect((await p.api('POST', `/api/events/${eventId}/resend`, undefined, withKey(apikey))).status).not.toBe(429);
      expectLimited(await p.api('POST', `/api/events/${eventId}/resend`, undefined, withKey(apikey)));

      const upload = () => p.api('POST', '/api/uploads?type=orders', [], withKey(apikey));
      expect((await upload()).status).toBe(202);
      expect((await upload()).status).toBe(202);
      const before = await p.platform.store.db.selectFrom('uploads').select('id').execute();
      expectLimited(await upload());
      expect(await p.platform.store.db.selectFrom('uploads').select('id').execute()).toHaveLength(before.length);
    });
  });
});
