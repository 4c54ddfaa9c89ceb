import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type {
  UploadCreated,
  UploadLease,
  UploadStatus,
  UploadSummary,
  UploadTracking,
  ValidationReport,
} from '@connected-cloud/contract';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Clock } from '../../infra/clock.js';
import { BlobMissing, type BlobStore } from '../../infra/blobs/index.js';
import { deleteBlobsLater, guardBlobs } from '../../infra/blobs/jobs.js';
import type { InstancePrincipal, IntegrationPrincipal } from '../../infra/http/auth.js';
import { ProblemError, invalidRequest, notFound, type ProblemItem } from '../../infra/http/problem.js';
import { JsonArrayValidator, chunksOf, ingestJsonArray, storeStream } from '../../infra/ingest/index.js';
import { Type } from 'typebox';
import { defineJob, handler, type JobOutcome, type JobQueue } from '../../infra/queue/index.js';
import { newId, randomBase62 } from '../../infra/secrets/random.js';
import type { Db } from '../../infra/store/index.js';
import type { UploadsTable } from '../../infra/store/schema.js';
import type { EventOutbox } from '../events/outbox.js';
import type { SolutionRegistry } from '../solutions/registry.js';
import type { InboxSignal } from './inbox.js';
import * as q from './queries.js';
import { IdsDigest, ResultCounter } from './result.js';
import { LEASED, allowed, isFinal, journeyProgress, stageOf } from './status.js';
import { linkTo } from '../../infra/http/links.js';
import { routes } from '@connected-cloud/contract';

const UploadJob = Type.Object({ uploadId: Type.String() });
/** Validates an upload's stored bytes against its type's schema. */
export const VALIDATE_UPLOAD = defineJob('validate-upload', UploadJob);
/** Runs when a lease should end, to put an upload that was not renewed back to pending. */
export const EXPIRE_UPLOAD_LEASE = defineJob('expire-upload-lease', UploadJob);
/** Removes an invalid upload's body after INVALID_UPLOAD_RETENTION (its tracking stays). */
export const DROP_INVALID_BODY = defineJob('drop-invalid-upload-body', UploadJob);

const done = { outcome: 'done' } as const;

interface Deps {
  db: Db;
  blobs: BlobStore;
  queue: JobQueue;
  events: EventOutbox;
  solutions: SolutionRegistry;
  inbox: InboxSignal;
  config: Config;
  log: Logger;
  clock: Clock;
}

/**
 * Uploads (contract §6): files an application sends for its instance to process. The bytes are stored as they
 * come and acknowledged; a job validates them; a valid upload waits in the instance's inbox until claimed under
 * a lease, and ends with the result file the instance uploads. Every status change goes through #move.
 */
export class Uploads {
  constructor(private readonly d: Deps) {}

  // --- the application's side ---

  async create(
    principal: IntegrationPrincipal,
    query: { type: string; validateOnly?: boolean | undefined },
    headers: { idempotencyKey?: string | undefined; contentDigest?: string | undefined },
    body: Readable,
  ): Promise<{ code: 200; body: ValidationReport } | { code: 202; body: UploadCreated; replayed?: boolean }> {
    const { type } = query;
    if (!this.d.solutions.hasUploadType(principal.solution, type)) {
      throw new ProblemError(
        400,
        'upload-type-invalid',
        `Solution "${principal.solution}" takes no upload of type "${type}"`,
      );
    }
    const digest = headers.contentDigest === undefined ? undefined : parseContentDigest(headers.contentDigest);
    if (query.validateOnly) {
      const validator = new JsonArrayValidator(this.d.solutions.validator(principal.solution, type)!, {
        maxRecordBytes: this.d.config.maxRecordBytes,
      });
      const hash = digest && createHash('sha256'); // only to check a Content-Digest
      for await (const chunk of chunksOf(body)) {
        hash?.update(chunk);
        validator.write(chunk);
        if (validator.fatal) throw validator.verdict()!; // a record too large: answered now
      }
      if (digest && hash && !digest.equals(hash.digest())) throw digestMismatch();
      return { code: 200 as const, body: { type, ...reportOf(validator) } };
    }

    const id = newId('upl');
    const key = `uploads/${principal.instanceId}/${id}.json`;
    const room =
      this.d.config.quotas.uploadBytesPerIntegration - (await q.bytesKept(this.d.db, principal.integrationId));
    const guard = await guardBlobs(this.d.queue, this.d.blobs, [key]);
    let stored: Awaited<ReturnType<typeof storeStream>>;
    try {
      stored = await storeStream(body, this.d.blobs, key, room);
    } catch (error) {
      await guard.discarded();
      throw error;
    }
    const sha256 = stored.sha256.toString('hex');
    try {
      if (digest && !digest.equals(stored.sha256)) throw digestMismatch();
      const earlier =
        headers.idempotencyKey &&
        (await q.findByIdempotencyKey(this.d.db, principal.integrationId, headers.idempotencyKey));
      if (earlier) {
        await stored.abort().finally(() => guard.discarded());
        return this.#replay(earlier, sha256);
      }
      await stored.commit();
    } catch (error) {
      await stored.abort().finally(() => guard.discarded());
      throw error;
    }
    const at = this.#now();
    const row: UploadsTable = {
      id,
      integration_id: principal.integrationId,
      application_id: principal.applicationId,
      instance_id: principal.instanceId,
      solution: principal.solution,
      type,
      status: 'uploaded',
      progress: 0,
      blob_key: key,
      size: stored.size,
      sha256,
      records: null,
      error_count: 0,
      errors: '[]',
      idempotency_key: headers.idempotencyKey ?? null,
      lease_until: null,
      result_blob_key: null,
      result_size: null,
      result_sha256: null,
      ids_digest: null,
      result_accepted: null,
      result_rejected: null,
      body_removed_at: null,
      created_at: at,
      updated_at: at,
    };
    try {
      await this.d.db.transaction().execute(async (tx) => {
        await guard.kept(tx);
        await q.insertUpload(tx, row);
        await this.d.queue.enqueue(tx, VALIDATE_UPLOAD, { uploadId: id });
      });
    } catch (error) {
      await guard.discarded();
      // The same key sent twice at once: one insert wins, the other answers with its upload.
      const winner =
        headers.idempotencyKey &&
        (await q.findByIdempotencyKey(this.d.db, principal.integrationId, headers.idempotencyKey));
      if (winner) return this.#replay(winner, sha256);
      throw error;
    }
    return { code: 202 as const, body: this.#created(row) };
  }

  async tracking(principal: IntegrationPrincipal, fileId: string): Promise<UploadTracking> {
    return this.#tracking(await this.#ofIntegration(principal, fileId));
  }

  async list(
    principal: IntegrationPrincipal,
    query: { status?: UploadStatus | undefined; limit?: number | undefined },
  ): Promise<UploadTracking[]> {
    const rows = await q.listUploads(this.d.db, principal.integrationId, {
      status: query.status,
      limit: query.limit ?? 50,
    });
    return rows.map((r) => this.#tracking(r));
  }

  /** What the result route serves. */
  async resultOf(principal: IntegrationPrincipal, fileId: string) {
    const row = await this.#ofIntegration(principal, fileId);
    if (!row.result_blob_key)
      throw notFound('result-not-found', `Upload "${fileId}" is ${row.status}: it has no result yet`);
    return { key: row.result_blob_key, size: row.result_size!, sha256: row.result_sha256! };
  }

  // --- the instance's side ---

  /** Valid uploads waiting for the instance; with `wait`, answers as soon as one arrives. */
  async inbox(instance: InstancePrincipal, waitSeconds = 0) {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const next = waitSeconds > 0 ? this.d.inbox.next(Math.max(0, deadline - Date.now())) : undefined;
      const rows = await q.inbox(this.d.db, instance.instanceId);
      if (rows.length > 0 || !next || Date.now() >= deadline || this.d.inbox.closed) {
        next?.cancel();
        return rows.map((r) => ({
          fileId: r.id,
          integrationId: r.integration_id,
          type: r.type,
          records: r.records ?? 0,
          size: r.size,
        }));
      }
      await next.woken;
    }
  }

  async claim(instance: InstancePrincipal, fileId: string): Promise<UploadLease> {
    const leaseUntil = this.#leaseEnd();
    return this.d.db.transaction().execute(async (tx) => {
      const row = await this.#ofInstance(tx, instance, fileId);
      const moved = await this.#move(tx, row, 'downloaded', { lease_until: leaseUntil, progress: 0 });
      await this.d.queue.enqueue(tx, EXPIRE_UPLOAD_LEASE, { uploadId: fileId }, { runAt: new Date(leaseUntil) });
      return this.#lease(moved);
    });
  }

  /** The uploaded content, for the instance (once valid). */
  async contentOf(instance: InstancePrincipal, fileId: string) {
    const row = await this.#ofInstance(this.d.db, instance, fileId);
    return { key: row.blob_key, size: row.size, sha256: row.sha256 };
  }

  async progress(
    instance: InstancePrincipal,
    fileId: string,
    report: { status: 'processing'; progress: number },
  ): Promise<UploadLease> {
    return this.d.db.transaction().execute(async (tx) => {
      const row = this.#leased(await this.#ofInstance(tx, instance, fileId));
      return this.#lease(
        await this.#move(tx, row, report.status, { progress: report.progress, lease_until: this.#leaseEnd() }),
      );
    });
  }

  /**
   * The result file ends the journey: validated against the result schema and counted as it streams, checked to
   * answer the upload record for record with the status its counts call for (else 422 and the lease stays),
   * stored, and announced with its summary.
   */
  async result(
    instance: InstancePrincipal,
    fileId: string,
    status: 'accepted' | 'failed',
    body: Readable,
  ): Promise<UploadTracking> {
    const row = this.#leased(await this.#ofInstance(this.d.db, instance, fileId));
    // A key of its own per attempt: a refused attempt removes only what it wrote.
    const key = `uploads/${instance.instanceId}/${fileId}.result-${randomBase62(8)}.json`;
    const counter = new ResultCounter();
    const validate = this.d.solutions.validator(row.solution, `${row.type}-result`)!;
    const guard = await guardBlobs(this.d.queue, this.d.blobs, [key]);
    try {
      const ingested = await ingestJsonArray({
        body,
        validate,
        blobs: this.d.blobs,
        key,
        maxRecordBytes: this.d.config.maxRecordBytes,
        inspect: (value, i) => counter.add(value, i),
      });
      counter.check(row, status);
      const { accepted, rejected } = counter.summary;
      const outcome: Partial<UploadsTable> = {
        result_blob_key: key,
        result_size: ingested.size,
        result_sha256: ingested.sha256,
        result_accepted: accepted,
        result_rejected: rejected,
      };
      if (status === 'failed')
        Object.assign(outcome, { error_count: counter.reasonCount, errors: JSON.stringify(counter.reasons) });
      const moved = await this.d.db.transaction().execute(async (tx) => {
        await guard.kept(tx);
        const fresh = this.#leased(await this.#ofInstance(tx, instance, fileId));
        return this.#move(tx, fresh, status, { ...outcome, lease_until: null, progress: 100 });
      });
      return this.#tracking(moved);
    } catch (error) {
      await guard.discarded();
      throw error;
    }
  }

  // --- jobs ---

  readonly jobs = [
    handler(VALIDATE_UPLOAD, ({ uploadId }) => this.#validate(uploadId)),
    handler(EXPIRE_UPLOAD_LEASE, ({ uploadId }) => this.#expireLease(uploadId)),
    handler(DROP_INVALID_BODY, ({ uploadId }) => this.#dropInvalidBody(uploadId)),
  ];

  async #validate(uploadId: string): Promise<JobOutcome> {
    const found = await q.findUpload(this.d.db, uploadId);
    if (!found || (found.status !== 'uploaded' && found.status !== 'validating')) return done;
    const row = await this.d.db.transaction().execute((tx) => this.#move(tx, found, 'validating', { progress: 0 }));
    const ids = new IdsDigest();
    const validator = new JsonArrayValidator(this.d.solutions.validator(row.solution, row.type)!, {
      maxRecordBytes: this.d.config.maxRecordBytes,
      onRecord: (value) => ids.add(value),
    });
    let reported = Date.now(); // real time: it only spaces out the progress writes
    let content: AsyncIterable<Buffer>;
    try {
      content = (await this.d.blobs.open(row.blob_key)) as AsyncIterable<Buffer>;
    } catch (error) {
      if (!(error instanceof BlobMissing)) throw error;
      // Retrying cannot bring it back (or this process looks at other storage than the one that took the upload):
      // the upload ends invalid rather than waiting in `validating` for ever.
      this.d.log.error({ uploadId, key: row.blob_key }, 'upload content missing from storage');
      const errors = [
        { pointer: '', message: 'the uploaded content is missing from the platform’s storage; upload it again' },
      ];
      await this.d.db.transaction().execute(async (tx) => {
        const fresh = await q.findUpload(tx, uploadId);
        if (fresh?.status === 'validating')
          await this.#move(tx, fresh, 'invalid', {
            records: 0,
            error_count: 1,
            errors: JSON.stringify(errors),
            progress: 100,
          });
      });
      return done;
    }
    for await (const chunk of content) {
      validator.write(chunk);
      if (validator.fatal) break; // a record too large: the rest is not read
      if (Date.now() - reported > 1000) {
        reported = Date.now();
        const progress = Math.floor((100 * validator.bytes) / Math.max(1, row.size));
        await q.moveUpload(this.d.db, row.id, 'validating', { progress, updated_at: this.#now() });
      }
    }
    const report = reportOf(validator);
    await this.d.db.transaction().execute(async (tx) => {
      const fresh = await q.findUpload(tx, uploadId);
      if (fresh?.status !== 'validating') return; // another run finished it
      const outcome = {
        records: report.records,
        error_count: report.errorCount,
        errors: JSON.stringify(report.errors),
        ids_digest: ids.value ?? null,
        progress: 100,
      };
      const validated = await this.#move(tx, fresh, report.status, outcome);
      if (report.status === 'valid') await this.#move(tx, validated, 'pending', { progress: 0 });
      else {
        const runAt = new Date(this.d.clock.now() + this.d.config.invalidUploadRetention * 1000);
        await this.d.queue.enqueue(tx, DROP_INVALID_BODY, { uploadId }, { runAt });
      }
    });
    return done;
  }

  /** An invalid upload's body is of no use for long: removed (out of its quota), while its tracking stays. */
  async #dropInvalidBody(uploadId: string): Promise<JobOutcome> {
    const row = await q.findUpload(this.d.db, uploadId);
    if (!row || row.status !== 'invalid' || row.body_removed_at) return done;
    await this.d.blobs.delete(row.blob_key);
    await this.d.db.updateTable('uploads').set({ body_removed_at: this.#now() }).where('id', '=', uploadId).execute();
    return done;
  }

  /** Runs when a lease should end: an upload still leased and not renewed goes back to pending. */
  async #expireLease(uploadId: string): Promise<JobOutcome> {
    const row = await q.findUpload(this.d.db, uploadId);
    if (!row || !LEASED.includes(row.status) || !row.lease_until) return done;
    if (row.lease_until > this.#now()) {
      // Renewed by progress: look again when the new lease ends.
      return {
        outcome: 'done',
        record: (tx) =>
          this.d.queue.enqueue(tx, EXPIRE_UPLOAD_LEASE, { uploadId }, { runAt: new Date(row.lease_until!) }),
      };
    }
    return {
      outcome: 'done',
      record: async (tx) => {
        const fresh = await q.findUpload(tx, uploadId);
        if (fresh && LEASED.includes(fresh.status) && fresh.lease_until && fresh.lease_until <= this.#now()) {
          await this.#move(tx, fresh, 'pending', { lease_until: null, progress: 0 });
        }
      },
    };
  }

  referencedKeys = (keys: string[]) => q.referencedKeys(this.d.db, keys);

  /** Uploads by status, for the cc_uploads gauge. */
  async countByStatus() {
    return (await q.countByStatus(this.d.db)).map((r) => ({ labels: { status: r.status }, value: Number(r.n) }));
  }

  /** Removes finished uploads last changed before `before`; their files go by the blob deletion job. */
  async prune(before: string): Promise<number> {
    let removed = 0;
    for (
      let batch = await q.finishedBefore(this.d.db, before, 500);
      batch.length > 0;
      batch = await q.finishedBefore(this.d.db, before, 500)
    ) {
      await this.d.db.transaction().execute(async (tx) => {
        await q.deleteUploads(
          tx,
          batch.map((u) => u.id),
        );
        await deleteBlobsLater(
          tx,
          this.d.queue,
          batch.flatMap((u) => (u.result_blob_key ? [u.blob_key, u.result_blob_key] : [u.blob_key])),
        );
      });
      removed += batch.length;
    }
    return removed;
  }

  // --- the one way a status changes ---

  /**
   * Moves an upload to `to` if the machine allows it and nobody moved it meanwhile, with the event the new status
   * sends, in the caller's transaction; otherwise 409 status-conflict and nothing changes.
   */
  async #move(tx: Db, row: UploadsTable, to: UploadStatus, changes: Partial<UploadsTable> = {}): Promise<UploadsTable> {
    const conflict = (status: UploadStatus) =>
      new ProblemError(409, 'status-conflict', `Upload "${row.id}" is ${status}: it cannot become ${to}`);
    if (!allowed(row.status, to)) throw conflict(row.status);
    const next: UploadsTable = { ...row, ...changes, status: to, updated_at: this.#now() };
    if (!(await q.moveUpload(tx, row.id, row.status, { ...changes, status: to, updated_at: next.updated_at }))) {
      throw conflict((await q.findUpload(tx, row.id))?.status ?? row.status);
    }
    const common = { applicationId: row.application_id, integrationId: row.integration_id };
    if (to === 'valid' || to === 'invalid') {
      await this.d.events.record(tx, {
        ...common,
        type: 'upload.validated',
        data: {
          integrationId: row.integration_id,
          fileId: row.id,
          type: row.type,
          status: to,
          errorCount: next.error_count,
        },
      });
    } else if (to === 'accepted' || to === 'failed') {
      const data = {
        integrationId: row.integration_id,
        fileId: row.id,
        type: row.type,
        status: to,
        downloadResultUrl: this.#resultUrl(row.id),
        summary: summaryOf(next)!,
      };
      await this.d.events.record(tx, { ...common, type: 'upload.completed', data });
    } else if (to === 'pending') {
      await this.d.inbox.announce(tx);
    }
    return next;
  }

  // --- lookups and shapes ---

  async #ofIntegration(principal: IntegrationPrincipal, fileId: string): Promise<UploadsTable> {
    const row = await q.findUpload(this.d.db, fileId);
    if (!row || row.integration_id !== principal.integrationId)
      throw notFound('upload-not-found', `No upload "${fileId}"`);
    return row;
  }

  /** An upload of this instance that it may see: one that passed validation. */
  async #ofInstance(db: Db, instance: InstancePrincipal, fileId: string): Promise<UploadsTable> {
    const row = await q.findUpload(db, fileId);
    if (!row || row.instance_id !== instance.instanceId || stageOf(row.status) === 'validation')
      throw notFound('upload-not-found', `No upload "${fileId}"`);
    return row;
  }

  /** The upload, if the instance holds a live lease on it; else 409 (status-conflict once final). */
  #leased(row: UploadsTable): UploadsTable {
    if (isFinal(row.status))
      throw new ProblemError(409, 'status-conflict', `Upload "${row.id}" is ${row.status}, a final status`);
    if (!LEASED.includes(row.status) || !row.lease_until || row.lease_until <= this.#now()) {
      throw new ProblemError(409, 'lease-required', `Upload "${row.id}" is ${row.status}: claim it first`);
    }
    return row;
  }

  #now(): string {
    return this.d.clock.date().toISOString();
  }

  #leaseEnd(): string {
    return new Date(this.d.clock.now() + this.d.config.uploadLease * 1000).toISOString();
  }

  #replay(earlier: UploadsTable, sha256: string) {
    if (earlier.sha256 !== sha256)
      throw new ProblemError(409, 'idempotency-conflict', 'This Idempotency-Key was used with another body');
    return { code: 202 as const, body: this.#created(earlier), replayed: true };
  }

  #created(row: UploadsTable): UploadCreated {
    return {
      fileId: row.id,
      type: row.type,
      status: row.status,
      trackingUrl: linkTo(this.d.config.publicUrl, routes.getTracking, { fileId: row.id }),
    };
  }

  #tracking(row: UploadsTable): UploadTracking {
    const final = row.result_blob_key !== null && isFinal(row.status);
    return {
      fileId: row.id,
      type: row.type,
      stage: stageOf(row.status),
      status: row.status,
      progress: journeyProgress(row.status, row.progress),
      records: row.records,
      size: row.size,
      errorCount: row.error_count,
      errors: JSON.parse(row.errors) as ProblemItem[],
      downloadResultUrl: final ? this.#resultUrl(row.id) : null,
      ...(final && row.result_accepted !== null ? { summary: summaryOf(row) } : {}),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  #lease(row: UploadsTable): UploadLease {
    return {
      fileId: row.id,
      integrationId: row.integration_id,
      type: row.type,
      status: row.status,
      progress: row.progress,
      records: row.records ?? 0,
      size: row.size,
      sha256: row.sha256,
      leaseExpires: row.lease_until!,
      contentUrl: linkTo(this.d.config.publicUrl, routes.getUploadContent, { fileId: row.id }),
    };
  }

  #resultUrl(id: string): string {
    return linkTo(this.d.config.publicUrl, routes.getUploadResult, { fileId: id });
  }
}

/** The counts of the result file, once there is one. */
function summaryOf(row: UploadsTable): UploadSummary | undefined {
  if (row.result_accepted === null || row.result_rejected === null) return undefined;
  return {
    records: row.result_accepted + row.result_rejected,
    accepted: row.result_accepted,
    rejected: row.result_rejected,
  };
}

/** The outcome of a validation as the tracking and validateOnly report it; a body that is not JSON is invalid too. */
function reportOf(validator: JsonArrayValidator) {
  const problem = validator.verdict();
  const errors: ProblemItem[] = problem ? (problem.errors ?? [{ pointer: '', message: problem.detail }]) : [];
  return {
    status: problem ? ('invalid' as const) : ('valid' as const),
    records: validator.records,
    errorCount: problem ? (problem.errorCount ?? errors.length) : 0,
    errors,
  };
}

/** `Content-Digest: sha-256=:<base64>:` (RFC 9530); other algorithms listed beside it are ignored. */
function parseContentDigest(header: string): Buffer {
  const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]+={0,2}):\s*(?:,|$)/.exec(header);
  const digest = m ? Buffer.from(m[1]!, 'base64') : undefined;
  if (!digest || digest.length !== 32)
    throw invalidRequest('Content-Digest must carry sha-256=:<base64 of the SHA-256 of the body>:', [
      { pointer: '/headers/content-digest', message: 'no sha-256 digest' },
    ]);
  return digest;
}

const digestMismatch = () =>
  new ProblemError(400, 'digest-mismatch', 'The SHA-256 of the body is not the one Content-Digest gives');
