import type { Clock } from '../../infra/clock.js';
import type { InstancePrincipal } from '../../infra/http/auth.js';
import type { CredentialCache } from '../../infra/http/credential-cache.js';
import { notFound } from '../../infra/http/problem.js';
import { hasValidChecksum, newId, newKey, sha256Hex } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import type { Consent } from '../consent/service.js';
import * as q from './queries.js';

/** Instances of accounting products, provisioned by the operator; each gets a `cci_` key shown once. */
export class Instances {
  constructor(private readonly deps: { db: Db; consent: Consent; credentials: CredentialCache; clock: Clock }) {}

  async create(input: { name: string; product: string }) {
    const instanceKey = newKey('cci');
    const row = {
      id: newId('ins'),
      name: input.name,
      product: input.product,
      key_hash: sha256Hex(instanceKey),
      created_at: this.deps.clock.date().toISOString(),
      deleted_at: null,
    };
    await q.insertInstance(this.deps.db, row);
    return { instanceId: row.id, instanceKey, name: row.name, product: row.product, createdAt: row.created_at };
  }

  async list() {
    return (await q.listInstances(this.deps.db)).map((r) => ({
      instanceId: r.id,
      name: r.name,
      product: r.product,
      createdAt: r.created_at,
    }));
  }

  /** Deletes an instance: its key stops working and every integration of it is revoked (and told so). */
  async delete(instanceId: string): Promise<void> {
    const deleted = await this.deps.db
      .transaction()
      .execute(async (tx) => {
        if (!(await q.deleteInstance(tx, instanceId, this.deps.clock.date().toISOString()))) return false;
        await this.deps.credentials.changing(tx);
        await this.deps.consent.revokeAllOfInstance(tx, instanceId);
        return true;
      })
      .finally(() => this.deps.credentials.forget());
    if (!deleted) throw notFound('instance-not-found', `No instance "${instanceId}"`);
  }

  async authenticate(instanceKey: string): Promise<InstancePrincipal | undefined> {
    if (!instanceKey.startsWith('cci_') || !hasValidChecksum(instanceKey)) return undefined;
    const keyHash = sha256Hex(instanceKey);
    const row = await this.deps.credentials.get(`instance:${keyHash}`, () =>
      q.findInstanceByKeyHash(this.deps.db, keyHash),
    );
    return row ? { instanceId: row.id, name: row.name, product: row.product } : undefined;
  }
}
