import { FinalUploadStatuses, type UploadStatus } from '@connected-cloud/contract';

/**
 * The upload status machine of contract §6: the only place that says which transitions exist. A status moves
 * to itself where a stage repeats (a validation started again after a crash, a further progress report).
 */
const NEXT: Record<UploadStatus, readonly UploadStatus[]> = {
  uploaded: ['validating'],
  validating: ['validating', 'valid', 'invalid'],
  valid: ['pending'],
  invalid: [],
  pending: ['downloaded'],
  downloaded: ['processing', 'pending', 'accepted', 'failed'],
  processing: ['processing', 'pending', 'accepted', 'failed'],
  accepted: [],
  failed: [],
};

export const allowed = (from: UploadStatus, to: UploadStatus) => NEXT[from].includes(to);

/** The contract's final statuses: the ones the machine above lets nothing follow. */
export const FINAL: readonly UploadStatus[] = FinalUploadStatuses;
export const isFinal = (status: UploadStatus) => FINAL.includes(status);

/** The statuses in which the instance holds a lease. */
export const LEASED: readonly UploadStatus[] = ['downloaded', 'processing'];

export const stageOf = (status: UploadStatus) =>
  ['uploaded', 'validating', 'valid', 'invalid'].includes(status) ? 'validation' : 'processing';

/** Progress within the whole journey, from the progress within the stage: validation 0–40, processing 40–100. */
export function journeyProgress(status: UploadStatus, stageProgress: number): number {
  switch (status) {
    case 'uploaded':
      return 0;
    case 'validating':
      return Math.round(stageProgress * 0.4);
    case 'valid':
    case 'pending':
      return 40;
    case 'downloaded':
      return 45;
    case 'processing':
      return 45 + Math.round(stageProgress * 0.55);
    default:
      return 100; // invalid, accepted, failed: the journey is over
  }
}

/** How long a client tracking an unfinished upload should wait before asking again, in seconds. */
export const retryAfter = (status: UploadStatus) =>
  isFinal(status) ? undefined : stageOf(status) === 'validation' ? 1 : 5;
