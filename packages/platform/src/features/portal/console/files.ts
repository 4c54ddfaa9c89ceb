import type { App } from '../../../infra/http/fastify.js';
import { esc } from '../../../infra/http/pages/index.js';
import * as q from '../queries.js';
import * as p from '../pages.js';
import { downloadRoute } from './download.js';
import { type Console, PAGE_SIZE, decodeCursor, hide, html, paged, queryOf } from './shared.js';

/** The scope files of the instances the developer is integrated with: every kept version, and its content. */
export function fileRoutes(app: App, c: Console): void {
  const db = app.platform.store.db;

  app.get('/portal/files', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const after = queryOf(request).after;
    const { rows, next } = paged(await q.listScopeFiles(db, who.session.developerId, decodeCursor(after), PAGE_SIZE));
    const body = p.table(
      'Scope files',
      ['Scope', 'Instance', 'Version', 'Records', 'Size', 'Created', ''],
      rows.map((r) => [
        esc(r.scope),
        esc(r.instance_name),
        `<code>${esc(r.id)}</code>${r.previous_file_id ? `<br><span class="muted">after <code>${esc(r.previous_file_id)}</code></span>` : ''}`,
        String(r.records),
        p.bytes(r.size),
        p.time(r.created_at),
        `<a href="/portal/files/${esc(r.id)}/content" download>Download<span class="skip"> ${esc(r.id)}</span></a>`,
      ]),
      'No scope files: they appear once an instance you are integrated with delivers its data.',
    );
    return html(
      reply,
      200,
      p.consolePage(
        who.viewer,
        'files',
        'Scope files',
        `<p>Every kept version, newest first.</p>${body}${p.pager(next, { after }, '/portal/files')}`,
      ),
    );
  });

  downloadRoute(app, c, '/portal/files/:fileId/content', async (developerId, { fileId }: { fileId: string }) => {
    const f = await q.findScopeFile(db, developerId, fileId);
    return f && { filename: `${f.scope}-${f.id}.json`, key: f.blob_key, size: Number(f.size), sha256: f.sha256 };
  });
}
