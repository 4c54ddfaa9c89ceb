import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { App } from '../../infra/http/fastify.js';
import { pageHead, siteHeader } from '../../infra/http/pages/index.js';

// The API reference is Redoc, served from its npm package (no CDN): chosen over Swagger UI on screenshots of
// both, for the reader: a searchable outline by tag with the events, and each operation's samples (request,
// every status, every problem example) beside its text. Trying requests is the Postman collection's job.
const BUNDLE = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');
const BUNDLE_PATH = `/docs/redoc.${fs.statSync(BUNDLE).size.toString(36)}.js`;

// Redoc's options; an inline script would break the pages' CSP (scripts from 'self' only).
const INIT_JS = `Redoc.init('/openapi.json', {
  scrollYOffset: 'header.site',
  expandResponses: '200,201,202',
  jsonSampleExpandLevel: 3,
  hideDownloadButton: false,
  sortTagsAlphabetically: false,
  theme: {
    colors: { primary: { main: '#0a5bd3' }, text: { primary: '#1b1f24', secondary: '#57606a' } },
    typography: {
      fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
      code: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' },
    },
    sidebar: { backgroundColor: '#f4f6f8', textColor: '#1b1f24' },
    rightPanel: { backgroundColor: '#14191f' },
  },
}, document.getElementById('reference'));
// Redoc labels its outline's items with the summary alone, so an event's item ("Event apikey.issued event") is
// named differently from what it shows (WCAG 2.5.3): without the label, the name is the text shown.
new MutationObserver(() => {
  for (const item of document.querySelectorAll('#reference li[role="menuitem"][aria-label]')) item.removeAttribute('aria-label');
}).observe(document.getElementById('reference'), { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
`;

const HTML = `${pageHead('API reference', '', 'shell')}
<body class="reference">
<a class="skip" href="#reference">Skip to content</a>
${siteHeader('docs')}
<main id="reference"><noscript><p class="narrow">The reference needs JavaScript. The same description is
<a href="/openapi.json">/openapi.json</a>; the guide is at <a href="/">/</a>.</p></noscript></main>
<script src="${BUNDLE_PATH}"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/** The reference UI at /docs. */
export function docsPage(app: App): void {
  const hide = { schema: { hide: true } };
  app.get('/docs', hide, async (_request, reply) => reply.type('text/html; charset=utf-8').send(HTML));
  app.get(BUNDLE_PATH, hide, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(fs.createReadStream(BUNDLE)),
  );
  app.get('/docs/init.js', hide, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(INIT_JS),
  );
}
