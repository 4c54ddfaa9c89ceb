import type { Tracking, UploadResultRecord } from '@connected-cloud/client';

/** One line per upload: id, type, status, progress, records, summary. */
export function trackingLine(t: Tracking): string {
  const summary = t.summary ? `  ${t.summary.accepted} accepted, ${t.summary.rejected} rejected` : '';
  return `${t.fileId}  ${t.type.padEnd(8)} ${t.status.padEnd(10)} ${String(t.progress).padStart(3)}%  ${t.records ?? '?'} records${summary}  ${t.createdAt}`;
}

/** The per-record outcomes of an upload as a table: id, outcome, document number or reasons. */
export function resultsTable(rows: Array<UploadResultRecord<string>>): string {
  if (rows.length === 0) return 'no results';
  const lines = rows.map((r) => {
    const record = r as {
      id?: string;
      outcome?: string;
      documentNumber?: string;
      reasons?: Array<{ code: string; message: string }>;
    };
    const detail =
      record.outcome === 'accepted'
        ? String(record.documentNumber ?? '')
        : (record.reasons ?? []).map((x) => `${x.code}: ${x.message}`).join('; ');
    return [String(record.id ?? ''), String(record.outcome ?? ''), detail];
  });
  const width = (i: number) => Math.max(...[['id', 'outcome', 'detail'], ...lines].map((l) => l[i]!.length));
  const [w0, w1] = [width(0), width(1)];
  const format = (l: string[]) => `${l[0]!.padEnd(w0)}  ${l[1]!.padEnd(w1)}  ${l[2]}`;
  const accepted = lines.filter((l) => l[1] === 'accepted').length;
  return [
    format(['ID', 'OUTCOME', 'DOCUMENT / REASONS']),
    ...lines.map(format),
    `${rows.length} records: ${accepted} accepted, ${rows.length - accepted} rejected`,
  ].join('\n');
}
