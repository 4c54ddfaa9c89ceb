import { UploadStatuses } from '@connected-cloud/contract';
import type { App } from '../../../infra/http/fastify.js';
import { esc } from '../../../infra/http/pages/index.js';
import { isFinal, journeyProgress, stageOf } from '../../uploads/status.js';
import * as q from '../queries.js';
import * as p from '../pages.js';
import { downloadRoute } from './download.js';
import { type Console, PAGE_SIZE, decodeCursor, hide, html, notFound, paged, queryOf } from './shared.js';

const UPLOAD_STATUSES: readonly string[] = UploadStatuses;
type UploadParams = { uploadId: string };

/** The uploads to the developer's applications: a list, each one's journey, and its content and result. */
export function uploadRoutes(app: App, c: Console): void {
  const db = app.platform.store.db;

  app.get('/portal/uploads', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const query = queryOf(request);
    const status = UPLOAD_STATUSES.includes(query.status ?? '') ? query.status : undefined;
    const { rows, next } = paged(
      await q.listUploads(db, who.session.developerId, { status }, decodeCursor(query.after), PAGE_SIZE),
    );
    const filters = `<form class="filters" method="get" action="/portal/uploads"><div><label for="status">Status</label><select id="status" name="status"><option value="">All</option>${UPLOAD_STATUSES.map(
      (s) => `<option${s === status ? ' selected' : ''}>${esc(s)}</option>`,
    ).join('')}</select></div><div><button class="secondary" type="submit">Filter</button></div></form>`;
    const body = p.table(
      'Uploads',
      ['Upload', 'Type', 'Application', 'Instance', 'Status', 'Progress', 'Records', 'Errors', 'Created'],
      rows.map((r) => {
        const progress = journeyProgress(r.status, r.progress);
        return [
          `<a href="/portal/uploads/${esc(r.id)}"><code>${esc(r.id)}</code></a>`,
          esc(r.type),
          esc(r.application_name),
          esc(r.instance_name),
          p.badge(r.status),
          `<progress max="100" value="${progress}" aria-label="Progress of ${esc(r.id)}">${progress}%</progress>`,
          r.records === null ? '—' : String(r.records),
          String(r.error_count),
          p.time(r.created_at),
        ];
      }),
      'No uploads yet.',
    );
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'uploads',
        'Uploads',
        `${filters}${body}${p.pager(next, { status, after: query.after }, '/portal/uploads')}`,
      ),
    );
  });

  app.get('/portal/uploads/:uploadId', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const { uploadId } = request.params as { uploadId: string };
    const u = await q.findUpload(db, who.session.developerId, uploadId);
    if (!u) throw notFound();
    const progress = journeyProgress(u.status, u.progress);
    const final = isFinal(u.status);
    const errors = JSON.parse(u.errors) as { pointer: string; message: string }[];
    const base = `/portal/uploads/${esc(u.id)}`;
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'uploads',
        `Upload ${u.type}`,
        `${p.liveRegion(
          !final,
          `<dl class="facts"><dt>Upload ID</dt><dd><code>${esc(u.id)}</code></dd><dt>Application</dt><dd>${esc(u.application_name)}</dd>
<dt>Instance</dt><dd>${esc(u.instance_name)}</dd><dt>Stage</dt><dd>${stageOf(u.status)}</dd>
<dt>Status</dt><dd id="upload-status">${p.badge(u.status)}</dd>
<dt>Progress</dt><dd><progress max="100" value="${progress}" aria-label="Progress">${progress}%</progress> ${progress}%</dd>
<dt>Records</dt><dd>${u.records ?? '—'}</dd><dt>Size</dt><dd>${p.bytes(u.size)}</dd><dt>Errors</dt><dd>${u.error_count}</dd>
<dt>Created</dt><dd>${p.time(u.created_at)}</dd><dt>Updated</dt><dd>${p.time(u.updated_at)}</dd></dl>
<div class="actions"><a class="button secondary" href="${base}/content" download>Download the content</a>
${u.result_blob_key ? `<a class="button" href="${base}/result" download>Download the result</a>` : ''}</div>
${
  errors.length
    ? `<h2>Errors</h2>${p.table(
        'Errors',
        ['Where', 'What'],
        errors.map((e) => [`<code>${esc(e.pointer)}</code>`, esc(e.message)]),
        '',
      )}`
    : ''
}
${final ? '' : '<p class="muted">The status updates by itself until the upload is finished.</p>'}`,
        )}`,
        { live: !final },
      ),
    );
  });

  downloadRoute(app, c, '/portal/uploads/:uploadId/content', async (developerId, { uploadId }: UploadParams) => {
    const u = await q.findUpload(db, developerId, uploadId);
    return u && { filename: `${u.id}.json`, key: u.blob_key, size: Number(u.size), sha256: u.sha256 };
  });

  downloadRoute(app, c, '/portal/uploads/:uploadId/result', async (developerId, { uploadId }: UploadParams) => {
    const u = await q.findUpload(db, developerId, uploadId);
    if (!u?.result_blob_key) return undefined;
    return {
      filename: `${u.id}-result.json`,
      key: u.result_blob_key,
      size: Number(u.result_size),
      sha256: u.result_sha256!,
    };
  });
}
