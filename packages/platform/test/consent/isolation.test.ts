import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { asInstance, consentWith, newPasscode, pollApiKey, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

const SECRET_A = 'secret of application A, long';
const SECRET_B = 'secret of application B, long';

describeEachStore('isolation between integrations and instances, and no secret in the clear', (store) => {
  const ctx = usePlatformWithMail(store, { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } });
  const receivers: Receiver[] = [];
  afterEach(async () => Promise.all(receivers.splice(0).map((r) => r.stop())));

  async function integrate(instanceName: string, secret: string) {
    const { platform, mail } = ctx;
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const app = await registerApplication(platform.url, mail, { notificationUrl: receiver.url() });
    const instance = await provisionInstance(platform, instanceName);
    const pc = await newPasscode(platform, app, secret);
    const { integrationId } = await consentWith(platform, instance.instanceKey, pc.passcode);
    const apikey = (await pollApiKey(platform, app, pc.passcodeId, secret)).body.apikey as string;
    await receiver.waitFor((r) => r.delivered.length === 1);
    return { app, instance, pc, integrationId, apikey, receiver };
  }

  it('a key reaches nothing of another integration; an instance key nothing of another instance', async () => {
    const { platform } = ctx;
    const a = await integrate('Instance A', SECRET_A);
    const b = await integrate('Instance B', SECRET_B);

    expect((await platform.api('GET', '/api/integration', undefined, withKey(a.apikey))).body.integrationId).toBe(
      a.integrationId,
    );
    const eventsOfB = (await platform.api('GET', '/api/events', undefined, withKey(b.apikey))).body as Array<{
      eventId: string;
    }>;
    expect(eventsOfB).toHaveLength(1);
    const eventsOfA = (await platform.api('GET', '/api/events', undefined, withKey(a.apikey))).body as Array<{
      eventId: string;
    }>;
    expect(eventsOfA.map((e) => e.eventId)).not.toContain(eventsOfB[0]!.eventId);
    for (const [method, path] of [
      ['GET', `/api/events/${eventsOfB[0]!.eventId}`],
      ['POST', `/api/events/${eventsOfB[0]!.eventId}/resend`],
    ] as const) {
      const r = await platform.api(method, path, undefined, withKey(a.apikey));
      expect([r.status, r.body.code]).toEqual([404, 'event-not-found']);
    }
    // Rotating B's key needs B's secret, whatever key is presented.
    expect((await platform.api('PATCH', '/api/apikey', { initialApikey: b.apikey, secret: SECRET_A })).body.code).toBe(
      'secret-invalid',
    );

    const listA = await platform.api(
      'GET',
      '/api/connector/integrations',
      undefined,
      asInstance(a.instance.instanceKey),
    );
    expect(listA.body.map((i: { integrationId: string }) => i.integrationId)).toEqual([a.integrationId]);
    const revokeOther = await platform.api(
      'DELETE',
      `/api/connector/integrations/${b.integrationId}`,
      undefined,
      asInstance(a.instance.instanceKey),
    );
    expect([revokeOther.status, revokeOther.body.code]).toEqual([404, 'integration-not-found']);
    expect((await platform.api('GET', '/api/integration', undefined, withKey(b.apikey))).status).toBe(200);
    // The polling fallback answers only the passcode's own application.
    const crossPoll = await platform.api(
      'POST',
      `/api/developers/${a.app.developerId}/applications/${a.app.applicationId}/passcodes/${b.pc.passcodeId}/apikey`,
      { secret: SECRET_B },
    );
    expect([crossPoll.status, crossPoll.body.code]).toEqual([404, 'passcode-not-found']);
  });

  it("answers each of many requests at once with its own integration's, whoever asks beside it", async () => {
    const { platform } = ctx;
    const a = await integrate('Instance D', SECRET_A);
    const b = await integrate('Instance E', SECRET_B);
    // Sent together, many are answered in one turn of the event loop: on PostgreSQL their reads go as one query.
    const asked = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? b : a));
    const answers = await Promise.all(
      asked.map((who) => platform.api('GET', '/api/integration', undefined, withKey(who.apikey))),
    );
    expect(answers.map((r) => [r.status, r.body.integrationId, r.body.instance.name])).toEqual(
      asked.map((who) => [200, who.integrationId, who === a ? 'Instance D' : 'Instance E']),
    );
  });

  it('keeps no API key, instance key, passcode, passcode secret, registration token or signing secret in the clear', async () => {
    const { platform } = ctx;
    const a = await integrate('Instance C', SECRET_A);
    const rotated = (await platform.api('PATCH', '/api/apikey', { initialApikey: a.apikey, secret: SECRET_A })).body
      .apikey as string;
    const secrets = {
      apikey: a.apikey,
      rotated,
      instanceKey: a.instance.instanceKey,
      passcode: a.pc.passcode,
      passcodeCompact: a.pc.passcode.replace('-', ''),
      passcodeSecret: SECRET_A,
      registrationToken: a.app.registrationToken,
      webhookSecret: a.app.webhookSecret,
      adminToken: 'test-admin-token-0123456789abcdef',
    };
    const db = platform.platform.store.db;
    const tables =
      store.kind === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map(
            (r) => r.name,
          )
        : (
            await sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(db)
          ).rows.map((r) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining(['api_keys', 'passcodes', 'instances', 'events', 'registrations', 'applications']),
    );
    let dump = '';
    for (const t of tables) dump += JSON.stringify((await sql`select * from ${sql.table(t)}`.execute(db)).rows);
    expect(dump).toContain(a.integrationId); // the dump holds the journey
    const logs = platform.logs.join('');
    for (const [name, value] of Object.entries(secrets)) {
      expect(dump.includes(value), `${name} in the store`).toBe(false);
      expect(logs.includes(value), `${name} in the log`).toBe(false);
    }
  });
});
