/**
 * What the delivery benchmarks share: many applications, each with an endpoint on a loopback host of its own,
 * written straight into the store of a platform built in this process (as a feature's transaction would).
 */
import { newId, newWebhookSecret } from '../packages/platform/src/infra/secrets/random.js';
import type { Platform } from '../packages/platform/src/platform.js';

/**
 * The endpoint of application `i` when `hosts` hosts share the receiver's port: a loopback address of its own
 * (127.0.x.y) while there are hosts, so that the per-endpoint concurrency (WEBHOOK_ENDPOINT_CONCURRENCY) bounds
 * each application, not the run; with hosts = 1 every application is on one host.
 */
export const loopbackEndpoint = (i: number, hosts: number, port: number) =>
  `http://127.0.${1 + Math.floor((i % hosts) / 250)}.${1 + ((i % hosts) % 250)}:${port}/hook`;

/** One developer with an active application per notification URL; returns the applications' IDs, in order. */
export async function addApplications(platform: Platform, notificationUrls: string[]): Promise<string[]> {
  const apps: string[] = [];
  await platform.store.db.transaction().execute(async (tx) => {
    const now = new Date().toISOString();
    const developerId = newId('dev');
    await tx
      .insertInto('developers')
      .values({
        id: developerId,
        name: 'Bench',
        email: 'bench@example.com',
        company: null,
        status: 'active',
        created_at: now,
        activated_at: now,
      })
      .execute();
    for (const [i, url] of notificationUrls.entries()) {
      const id = newId('app');
      apps.push(id);
      await tx
        .insertInto('applications')
        .values({
          id,
          developer_id: developerId,
          name: `Bench ${i}`,
          description: null,
          solution: 'ecommerce',
          notification_url: url,
          status: 'active',
          webhook_secret_sealed: platform.secrets.seal(newWebhookSecret()),
          notification_gone_at: null,
          created_at: now,
        })
        .execute();
    }
  });
  return apps;
}
