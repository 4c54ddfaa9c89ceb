import fs from 'node:fs';
import path from 'node:path';
import { Type } from 'typebox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RETENTION } from '../../src/features/ops/retention.js';
import { defineJob } from '../../src/infra/queue/index.js';
import { asInstance, integrate, provisionInstance, withKey } from '../support/consent.js';
import { registerApplication, sendTestEvent, type RegisteredApplication } from '../support/onboarding.js';
import { order, orderResult } from '../support/orders.js';
import { usePlatformWithMail } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('retention', (store) => {
  const ctx = usePlatformWithMail(store, { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', RETENTION_DAYS: '30' } });
  let receiver: Receiver;
  let app: RegisteredApplication;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: receiver.url() });
  });
  afterAll(async () => receiver?.stop());

  it('removes old delivered events, dead jobs and finished uploads with their files, and keeps the rest', async () => {
    const { db } = ctx.platform.platform.store;
    const { instanceKey } = await provisionInstance(ctx.platform);
    const { apikey } = await integrate(ctx.platform, app, instanceKey);
    const id = (await ctx.platform.api('POST', '/api/uploads?type=orders', JSON.stringify([order(1)]), withKey(apikey)))
      .body.fileId;
    await ctx.platform.api('GET', '/api/connector/inbox?wait=10', undefined, asInstance(instanceKey));
    await ctx.platform.api('POST', `/api/connector/uploads/${id}/claim`, undefined, asInstance(instanceKey));
    await ctx.platform.api(
      'PUT',
      `/api/connector/uploads/${id}/result?status=accepted`,
      JSON.stringify([orderResult('o1', true)]),
      { ...asInstance(instanceKey), 'content-type': 'application/json' },
    );
    await receiver.waitFor((r) => r.delivered.length === 3); // apikey.issued, upload.validated, upload.completed
    const unhandled = defineJob('no-such-job', Type.Object({}));
    await ctx.platform.platform.store.db
      .transaction()
      .execute((tx) => ctx.platform.platform.queue.enqueue(tx, unhandled, {})); // dies: no handler
    await expect
      .poll(() => db.selectFrom('jobs').select('seq').where('status', '=', 'dead').executeTakeFirst())
      .toBeDefined();
    const uploadFiles = () =>
      fs
        .readdirSync(path.join(ctx.platform.dataDir, 'files', 'uploads'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile()).length;
    expect(uploadFiles()).toBe(2); // the upload and its result

    // All of it 40 days old, but one event sent now.
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await db.updateTable('events').set({ created_at: old }).execute();
    await db.updateTable('jobs').set({ created_at: old }).where('status', '=', 'dead').execute();
    await db.updateTable('uploads').set({ updated_at: old }).execute();
    const recent = await sendTestEvent(ctx.platform.url, app);
    await receiver.waitFor((r) => r.delivered.length === 4);
    await expect
      .poll(
        async () =>
          (await db.selectFrom('events').select('status').where('id', '=', recent).executeTakeFirst())?.status,
      )
      .toBe('delivered');

    expect(await ctx.platform.platform.retention.run()).toEqual({ events: 3, jobs: 1, uploads: 1 });
    expect((await db.selectFrom('events').select('id').execute()).map((e) => e.id)).toEqual([recent]);
    expect(await db.selectFrom('event_attempts').select('event_id').distinct().execute()).toEqual([
      { event_id: recent },
    ]);
    expect(await db.selectFrom('jobs').select('seq').where('status', '=', 'dead').execute()).toEqual([]);
    expect((await ctx.platform.api('GET', `/api/uploads/${id}/tracking`, undefined, withKey(apikey))).status).toBe(404);
    await expect.poll(uploadFiles).toBe(0);
    expect(await ctx.platform.platform.retention.run()).toEqual({ events: 0, jobs: 0, uploads: 0 });
  });

  it('keeps one retention job in the queue however often it is scheduled', async () => {
    await ctx.platform.platform.queue.schedule(RETENTION);
    await ctx.platform.platform.queue.schedule(RETENTION);
    const jobs = await ctx.platform.platform.store.db
      .selectFrom('jobs')
      .select('seq')
      .where('kind', '=', 'retention')
      .execute();
    expect(jobs).toHaveLength(1);
  });
});
