/**
 * The platform's one stylesheet, served at /assets/site.css by every page (home, registration, portal, errors). Kept
 * as a string so that the build needs no copy step; no CDN, no web fonts.
 */
export const SHELL_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #fff; --soft: #f4f6f8; --line: #d0d7de; --primary: #0a5bd3;
  --primary-dark: #0847a6; --ok: #116329; --warn: #7d4e00; --bad: #b3261e; --code-bg: #14191f; --code-fg: #e6edf3; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--primary); text-underline-offset: 2px; }
a:hover { color: var(--primary-dark); }
:focus-visible { outline: 3px solid #f2b400; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; z-index: 2; }
header.site { background: #0d1b2a; color: #fff; }
header.site .bar { max-width: 72rem; margin: 0 auto; padding: .75rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
header.site .brand { color: #fff; font-weight: 700; text-decoration: none; font-size: 1.1rem; margin-right: auto; }
header.site nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header.site nav a { color: #dbe7ff; text-decoration: none; }
header.site nav a:hover, header.site nav a[aria-current="page"] { color: #fff; text-decoration: underline; }
header.site form { margin: 0; }
header.site button.link { background: none; border: 0; color: #dbe7ff; font: inherit; padding: 0; cursor: pointer; text-decoration: underline; }
body.reference header.site { position: sticky; top: 0; z-index: 10; }
body.reference td[kind="additionalProperties"] div { color: var(--muted); } /* Redoc's pale blue fails contrast */
`;

/** The rest: the pages' own content (the API reference brings its own styles and takes only the shell's). */
const CONTENT_CSS = `
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
main.narrow { max-width: 38rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
p, ul, ol { margin: 0 0 1rem; }
.lead { font-size: 1.15rem; color: var(--muted); max-width: 46rem; }
.muted { color: var(--muted); }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: .1em .3em; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--code-bg); color: var(--code-fg); padding: .85rem 1rem; border-radius: 6px; overflow-x: auto; font-size: .85rem; line-height: 1.45; }
pre code { background: none; padding: 0; color: inherit; overflow-wrap: normal; }
.steps { counter-reset: step; list-style: none; padding: 0; }
.steps > li { counter-increment: step; position: relative; padding-left: 2.75rem; margin-bottom: 2rem; }
.steps > li::before { content: counter(step); position: absolute; left: 0; top: .1rem; width: 2rem; height: 2rem; border-radius: 50%;
  background: var(--primary); color: #fff; display: grid; place-items: center; font-weight: 700; }
.steps h3 { margin-top: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; align-items: center; }
.button, button { display: inline-block; font: inherit; font-weight: 600; padding: .55rem 1.1rem; border-radius: 6px; border: 2px solid var(--primary);
  background: var(--primary); color: #fff; text-decoration: none; cursor: pointer; line-height: 1.3; }
.button:hover, button:hover { background: var(--primary-dark); border-color: var(--primary-dark); color: #fff; }
.button.secondary, button.secondary { background: #fff; color: var(--primary); }
.button.secondary:hover, button.secondary:hover { background: var(--soft); color: var(--primary-dark); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
button.danger:hover { background: #fdecea; color: var(--bad); }
button.small, .button.small { padding: .25rem .6rem; font-size: .9rem; }
form.inline { display: inline; margin: 0; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text], input[type=email], input[type=url], input:not([type]), textarea, select {
  width: 100%; max-width: 36rem; font: inherit; padding: .5rem .6rem; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: var(--fg); }
textarea { min-height: 5rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: 1rem; }
.filters label { margin: 0 0 .25rem; }
.filters select { width: auto; }
.notice { border-left: 4px solid var(--primary); background: #eef4ff; padding: .75rem 1rem; border-radius: 4px; margin: 1rem 0; }
.notice.error { border-color: var(--bad); background: #fdecea; }
.notice.success { border-color: var(--ok); background: #e9f7ee; }
.secret { font: 1rem ui-monospace, Menlo, Consolas, monospace; background: #fff; border: 1px dashed var(--line); padding: .5rem; display: block; overflow-wrap: anywhere; }
.table-scroll { overflow-x: auto; margin-bottom: 1rem; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .55rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td code { overflow-wrap: normal; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.25rem; margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .85rem; font-weight: 600; background: var(--soft); border: 1px solid var(--line); white-space: nowrap; }
.badge.ok { color: var(--ok); border-color: #8fd19e; background: #e9f7ee; }
.badge.bad { color: var(--bad); border-color: #f1a9a3; background: #fdecea; }
.badge.wait { color: var(--warn); border-color: #e7c274; background: #fff6e0; }
progress { width: 10rem; max-width: 100%; height: 1rem; accent-color: var(--primary); vertical-align: middle; }
/* Wide enough for an ID and most URLs on one line; min() keeps a phone narrower than that at one column. */
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(26rem, 100%), 1fr)); gap: 1rem; margin: 1rem 0 2rem; padding: 0; list-style: none; }
.cards > li { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; min-width: 0; }
.cards h2, .cards h3 { margin: 0 0 .25rem; font-size: 1.05rem; }
/* A URL (urlCode) wraps at its <wbr>, after a slash or before the query; mid-word only for a part wider than a line. */
.cards code.url { display: block; padding: .4rem .6rem; line-height: 1.5; }
.pager { display: flex; gap: 1rem; margin: 1rem 0; }
nav.tabs { display: flex; flex-wrap: wrap; gap: .25rem; border-bottom: 1px solid var(--line); margin: 0 0 1.25rem; }
nav.tabs a { padding: .5rem .8rem; text-decoration: none; border-radius: 6px 6px 0 0; color: var(--fg); }
nav.tabs a[aria-current="page"] { border: 1px solid var(--line); border-bottom-color: #fff; margin-bottom: -1px; background: #fff; font-weight: 600; color: var(--primary); }
footer.site { border-top: 1px solid var(--line); color: var(--muted); font-size: .9rem; }
footer.site div { max-width: 72rem; margin: 0 auto; padding: 1rem; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  h1 { font-size: 1.45rem; }
  main { padding-top: 1rem; }
  .steps > li { padding-left: 0; }
  .steps > li::before { position: static; margin-bottom: .5rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .5rem; }
  /* On a phone a table row reads as a card: each cell under its column's name. */
  .table-wrap { border: 0; overflow: visible; }
  .table-wrap table, .table-wrap tbody, .table-wrap tr, .table-wrap td { display: block; width: 100%; }
  .table-wrap thead { position: absolute; left: -9999px; }
  .table-wrap tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: .75rem; padding: .25rem 0; }
  .table-wrap td { border: 0; padding: .3rem .75rem; text-align: left; display: grid; grid-template-columns: 7.5rem 1fr; gap: .5rem; }
  .table-wrap td.num { text-align: left; }
  .table-wrap td::before { content: attr(data-label); font-weight: 600; color: var(--muted); }
  .table-wrap td[data-label=""]::before { content: none; }
  .table-wrap td[data-label=""] { display: block; }
  .table-wrap td > * { min-width: 0; justify-self: start; }
  .table-wrap td code { white-space: normal; overflow-wrap: anywhere; }
}
`;

export const SITE_CSS = SHELL_CSS + CONTENT_CSS;
