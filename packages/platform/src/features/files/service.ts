import type { Readable } from 'node:stream';
import type { ScopeFile } from '@connected-cloud/contract';
import type { Config } from '../../config.js';
import type { Clock } from '../../infra/clock.js';
import type { BlobStore } from '../../infra/blobs/index.js';
import { deleteBlobsLater, guardBlobs } from '../../infra/blobs/jobs.js';
import type { InstancePrincipal, IntegrationPrincipal } from '../../infra/http/auth.js';
import { notFound } from '../../infra/http/problem.js';
import type { Stored } from '../../infra/http/streaming.js';
import { ingestJsonArray, type Ingested } from '../../infra/ingest/index.js';
import { indexKeyOf, indexedKeyOf } from '../../infra/ingest/record-index.js';
import type { JobQueue } from '../../infra/queue/index.js';
import { newId } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import type { ScopeFilesTable } from '../../infra/store/schema.js';
import type { EventOutbox } from '../events/outbox.js';
import type { SolutionRegistry } from '../solutions/registry.js';
import { changesBetween } from './changes.js';
import * as q from './queries.js';
import { linkTo } from '../../infra/http/links.js';
import { routes } from '@connected-cloud/contract';

/** Scope files (contract §5): full snapshots an instance delivers, versioned, announced and served. */
export class ScopeFiles {
  constructor(
    private readonly d: {
      db: Db;
      blobs: BlobStore;
      queue: JobQueue;
      events: EventOutbox;
      solutions: SolutionRegistry;
      config: Config;
      clock: Clock;
    },
  ) {}

  async put(instance: InstancePrincipal, domain: string, scope: string, body: Readable) {
    if (!this.d.solutions.has(domain)) throw notFound('solution-not-found', `No solution "${domain}"`);
    const validate = this.d.solutions.hasScope(domain, scope) ? this.d.solutions.validator(domain, scope) : undefined;
    if (!validate) throw notFound('scope-not-found', `Solution "${domain}" has no scope "${scope}"`);
    const fileId = newId('file');
    const key = `scopes/${instance.instanceId}/${fileId}.json`;
    const room = this.d.config.quotas.scopeFileBytesPerInstance - (await q.bytesKept(this.d.db, instance.instanceId));
    const guard = await guardBlobs(this.d.queue, this.d.blobs, [key, indexKeyOf(key)]);
    let ingested: Ingested;
    try {
      ingested = await ingestJsonArray({
        body,
        validate,
        blobs: this.d.blobs,
        key,
        indexed: true,
        maxRecordBytes: this.d.config.maxRecordBytes,
        maxBytes: room,
      });
    } catch (error) {
      await guard.discarded();
      throw error;
    }
    const row: ScopeFilesTable = {
      id: fileId,
      instance_id: instance.instanceId,
      solution: domain,
      scope,
      blob_key: key,
      ...ingested,
      previous_file_id: null,
      created_at: this.d.clock.date().toISOString(),
    };
    const where = { instanceId: instance.instanceId, solution: domain, scope };
    try {
      await this.d.db.transaction().execute(async (tx) => {
        await guard.kept(tx);
        row.previous_file_id = (await q.currentFile(tx, where))?.id ?? null;
        await q.insertFile(tx, row);
        const pruned = await q.pruneVersions(tx, where, this.d.config.scopeFileVersions);
        await deleteBlobsLater(
          tx,
          this.d.queue,
          pruned.flatMap((blobKey) => [indexKeyOf(blobKey), blobKey]),
        );
        for (const integration of await q.activeIntegrations(tx, instance.instanceId, domain)) {
          await this.d.events.record(tx, {
            applicationId: integration.application_id,
            integrationId: integration.id,
            type: 'file.available',
            data: { integrationId: integration.id, ...this.#metadata(row), url: this.#contentUrl(fileId) },
          });
        }
      });
    } catch (error) {
      await guard.discarded();
      throw error;
    }
    const { previousFileId: _, ...created } = this.#metadata(row);
    return created;
  }

  async list(principal: IntegrationPrincipal): Promise<ScopeFile[]> {
    return (await q.currentFiles(this.d.db, principal.instanceId, principal.solution)).map((r) => this.#metadata(r));
  }

  async get(principal: IntegrationPrincipal, fileId: string): Promise<ScopeFile> {
    return this.#metadata(await this.#file(principal, fileId));
  }

  /** The row whose content to serve: a file by ID, or the current file of a scope. */
  async contentOf(principal: IntegrationPrincipal, ref: { fileId: string } | { scope: string }): Promise<Stored> {
    if ('fileId' in ref) return stored(await this.#file(principal, ref.fileId));
    if (!this.d.solutions.hasScope(principal.solution, ref.scope))
      throw notFound('scope-not-found', `Solution "${principal.solution}" has no scope "${ref.scope}"`);
    const row = await q.currentFile(this.d.db, {
      instanceId: principal.instanceId,
      solution: principal.solution,
      scope: ref.scope,
    });
    if (!row) throw notFound('file-not-found', `No file of scope "${ref.scope}" yet`);
    return stored(row);
  }

  async changes(principal: IntegrationPrincipal, fileId: string, since: string): Promise<AsyncIterable<string>> {
    const newer = await this.#file(principal, fileId);
    const older = await this.#file(principal, since);
    if (older.scope !== newer.scope)
      throw notFound('file-not-found', `File "${since}" is not a version of scope "${newer.scope}"`);
    return changesBetween(
      this.d.blobs,
      { key: older.blob_key, records: older.records },
      { key: newer.blob_key, records: newer.records },
    );
  }

  /** A file's blob goes with its record index. */
  /** Which of these keys (files or their indexes) belong to a scope file: one query for the lot. */
  referencedKeys = async (keys: string[]): Promise<Set<string>> => {
    const held = await q.referencedKeys(this.d.db, [...new Set(keys.map(indexedKeyOf))]);
    return new Set(keys.filter((k) => held.has(indexedKeyOf(k))));
  };

  async #file(principal: IntegrationPrincipal, fileId: string): Promise<ScopeFilesTable> {
    const row = await q.findFile(this.d.db, fileId, { instanceId: principal.instanceId, solution: principal.solution });
    if (!row) throw notFound('file-not-found', `No file "${fileId}"`);
    return row;
  }

  #metadata(r: ScopeFilesTable): ScopeFile {
    return {
      fileId: r.id,
      scope: r.scope,
      records: r.records,
      size: r.size,
      sha256: r.sha256,
      createdAt: r.created_at,
      previousFileId: r.previous_file_id,
    };
  }

  #contentUrl(fileId: string): string {
    return linkTo(this.d.config.publicUrl, routes.getFileContent, { fileId });
  }
}

const stored = (row: ScopeFilesTable): Stored => ({ key: row.blob_key, size: row.size, sha256: row.sha256 });
