import fs from 'node:fs';
import { marked } from 'marked';
import type { App } from '../../infra/http/fastify.js';
import { page } from '../../infra/http/pages/index.js';

/** The project's API guide (docs/api-guide.md in the repository), served as a page of the site. */
export const GUIDE_PATH = '/api-guide';
const SOURCE = new URL('../../../../../docs/api-guide.md', import.meta.url); // from src/ or dist/features/reference

export function guidePage(app: App): void {
  if (!fs.existsSync(SOURCE)) return; // a platform deployed without the repository's docs/
  const markdown = fs.readFileSync(SOURCE, 'utf8');
  const title = /^# (.+)$/m.exec(markdown)?.[1] ?? 'API guide';
  // Our own file, rendered once: the tables are wrapped so that they scroll by themselves on a phone.
  const body = marked
    .parse(markdown.replace(/^# .+\n/m, ''), { async: false })
    .replaceAll('<table>', '<div class="table-scroll"><table>')
    .replaceAll('</table>', '</table></div>');
  const html = page({ title, body, current: 'docs' });
  app.get(GUIDE_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(html),
  );
}
