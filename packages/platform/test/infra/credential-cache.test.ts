import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCache } from '../../src/infra/http/credential-cache.js';
import { openStore, type Store } from '../../src/infra/store/index.js';

describe('the credential cache', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ databaseUrl: undefined, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cc-cache-')) });
  });
  afterAll(() => store.close());

  it('serves a loaded value again, but never an unknown key', async () => {
    const cache = new CredentialCache(store);
    let loads = 0;
    const load = async () => (loads++, { id: 'ins_1' });
    expect(await cache.get('a', load)).toEqual({ id: 'ins_1' });
    expect(await cache.get('a', load)).toEqual({ id: 'ins_1' });
    expect(loads).toBe(1);
    let misses = 0;
    for (let i = 0; i < 2; i++) expect(await cache.get('b', async () => (misses++, undefined))).toBeUndefined();
    expect(misses).toBe(2);
  });

  it('keeps nothing a change overtook: a look-up under way when it forgot is not kept', async () => {
    const cache = new CredentialCache(store);
    let release!: () => void;
    const slow = cache.get(
      'a',
      () => new Promise<{ status: string }>((r) => (release = () => r({ status: 'active' }))),
    );
    cache.forget(); // a revocation commits while the row read before it is on its way
    release();
    expect(await slow).toEqual({ status: 'active' });
    expect(await cache.get('a', async () => ({ status: 'revoked' }))).toEqual({ status: 'revoked' });
  });

  it('forgets at the end of its time to live', async () => {
    const cache = new CredentialCache(store, { ttlMs: 0, maxEntries: 10 });
    await cache.get('a', async () => 1);
    expect(await cache.get('a', async () => 2)).toBe(2);
  });
});
