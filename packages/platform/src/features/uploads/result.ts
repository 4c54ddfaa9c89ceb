import { hash } from 'node:crypto';
import type { UploadSummary } from '@connected-cloud/contract';
import { ProblemError, type ProblemItem } from '../../infra/http/problem.js';

const MAX_LISTED = 100;
const MASK = (1n << 128n) - 1n;

/**
 * The ids of a file's records as one multiset hash: the sum, modulo 2^128, of the first 16 bytes of each id's
 * SHA-256. Two files have the same digest when they hold the same ids the same number of times, in any order
 * (a missing, extra, repeated or changed id changes it); it takes constant memory however many records pass.
 * `undefined` once a record has no string id: such a file is only counted.
 */
export class IdsDigest {
  #sum: bigint | undefined = 0n;

  add(record: unknown): void {
    const id = (record as { id?: unknown } | null)?.id;
    if (this.#sum === undefined) return;
    if (typeof id !== 'string') {
      this.#sum = undefined;
      return;
    }
    const h = hash('sha256', id, 'buffer'); // once per record: no Hash object
    this.#sum = (this.#sum + ((h.readBigUInt64BE(0) << 64n) | h.readBigUInt64BE(8))) & MASK;
  }

  get value(): string | undefined {
    return this.#sum?.toString(16);
  }
}

interface Reason {
  code?: unknown;
  message?: unknown;
}

/**
 * Counts a result file as it streams (contract §6): one result record per uploaded record, each with its `id`,
 * an `outcome` of accepted or rejected, and the `reasons` of a rejection. Keeps the first rejected records'
 * reasons as problem items (pointer `/<index>` into the result file, which follows the upload's order).
 */
export class ResultCounter {
  accepted = 0;
  rejected = 0;
  reasonCount = 0;
  readonly reasons: ProblemItem[] = [];
  readonly ids = new IdsDigest();
  readonly malformed: ProblemItem[] = [];

  add(record: unknown, index: number): void {
    this.ids.add(record);
    const r = record as { id?: unknown; outcome?: unknown; reasons?: unknown } | null;
    if (typeof r?.id !== 'string')
      this.#malformed(`/${index}/id`, 'a result record must name the id of the record it answers');
    if (r?.outcome === 'accepted') {
      this.accepted++;
    } else if (r?.outcome === 'rejected') {
      this.rejected++;
      const reasons = Array.isArray(r.reasons) ? (r.reasons as Reason[]) : [];
      if (reasons.length === 0) this.#malformed(`/${index}/reasons`, 'a rejected record must give its reasons');
      for (const reason of reasons) {
        this.reasonCount++;
        if (this.reasons.length < MAX_LISTED)
          this.reasons.push({ pointer: `/${index}`, message: describe(r.id, reason) });
      }
    } else {
      this.#malformed(`/${index}/outcome`, 'outcome must be accepted or rejected');
    }
  }

  #malformed(pointer: string, message: string): void {
    if (this.malformed.length < MAX_LISTED) this.malformed.push({ pointer, message });
  }

  get summary(): UploadSummary {
    return { records: this.accepted + this.rejected, accepted: this.accepted, rejected: this.rejected };
  }

  /**
   * Refuses (422 result-mismatch) a result that does not answer the upload record for record, or whose status
   * hides what it counts: an upload is accepted only when no record was rejected, failed as soon as one was.
   */
  check(upload: { records: number | null; ids_digest: string | null }, status: 'accepted' | 'failed'): void {
    const items = [...this.malformed];
    const { records } = this.summary;
    if (upload.records !== null && records !== upload.records) {
      items.push({
        pointer: '',
        message: `the result has ${records} record${records === 1 ? '' : 's'}, the upload ${upload.records}: one result per uploaded record`,
      });
    } else if (upload.ids_digest !== null && this.ids.value !== upload.ids_digest) {
      items.push({
        pointer: '',
        message: 'the result’s ids are not those of the upload: each uploaded record’s id must be answered once',
      });
    }
    const expected = this.rejected > 0 ? 'failed' : 'accepted';
    if (status !== expected) {
      items.push({
        pointer: '/query/status',
        message: `${this.rejected} of ${records} records rejected: the status must be ${expected}`,
      });
    }
    if (items.length > 0) {
      throw new ProblemError(
        422,
        'result-mismatch',
        'The result file does not match the upload',
        items.slice(0, MAX_LISTED),
        {},
        items.length,
      );
    }
  }
}

function describe(id: unknown, reason: Reason): string {
  const code = typeof reason?.code === 'string' ? reason.code : 'rejected';
  const message = typeof reason?.message === 'string' ? reason.message : '';
  return `${String(id)}: ${code}${message ? ` (${message})` : ''}`;
}
