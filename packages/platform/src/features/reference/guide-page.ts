import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { marked } from 'marked';
import type { App } from '../../infra/http/fastify.js';
import { page } from '../../infra/http/pages/index.js';

/** The project's API guide (docs/api-guide.md in the repository), served as a page of the site. */
export const GUIDE_PATH = '/api-guide';

/** docs/api-guide.md in the nearest folder above this module (src/, dist/ or the bundle in dist/bundle/). */
function guideSource(): string | undefined {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'docs', 'api-guide.md');
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

export function guidePage(app: App): void {
  const source = guideSource();
  if (!source) return; // a platform deployed without the repository's docs/
  const markdown = fs.readFileSync(source, 'utf8');
  const title = /^# (.+)$/m.exec(markdown)?.[1] ?? 'API guide';
  // Our own file, rendered once: the tables are wrapped so that they scroll by themselves on a phone, and the
  // wrappers take the focus, so that a keyboard can scroll them too.
  const body = marked
    .parse(markdown.replace(/^# .+\n/m, ''), { async: false })
    .replaceAll('<table>', '<div class="table-scroll" tabindex="0"><table>')
    .replaceAll('</table>', '</table></div>');
  const html = page({ title, body, current: 'docs' });
  app.get(GUIDE_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(html),
  );
}
