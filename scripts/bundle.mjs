#!/usr/bin/env node
// Bundles a package's build (an entry such as dist/main.js) and everything it imports into one file, with the
// licences of the bundled packages beside it (<outfile>.LICENSES.txt). One file starts in about half the time of
// the module graph it replaces, most of which is TypeBox's 700 modules and Kysely's 260. The bundle is CommonJS
// (<outfile> with .cjs for .js), run by <outfile>, made from scripts/bundle-entry.js, with V8's code cache: Node 20
// keeps no such cache for ES modules.
// Usage: node scripts/bundle.mjs <entry> <outfile.js> [external ...]
// Externals stay imports of their own: native addons, packages that load files of their own at run time, and
// those loaded only on demand (the S3 client).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const [entry, out, ...external] = process.argv.slice(2);
if (!entry || !out?.endsWith('.js')) {
  process.stderr.write('usage: node scripts/bundle.mjs <entry> <outfile.js> [external ...]\n');
  process.exit(2);
}
const outfile = path.resolve(out);
const bodyFile = outfile.replace(/\.js$/, '.cjs');
const entryTemplate = fileURLToPath(new URL('bundle-entry.js', import.meta.url));

// A workspace bundle whose inputs are all older than the start of the build that made it, made with the same
// arguments, is left as it is: `npm run build` bundled three packages, 2.9 s of a warm `npm test` with nothing
// to bundle. Its inputs (esbuild's metafile, with the package.json files of the workspace's own) are recorded under
// node_modules/.cache/connected-cloud/bundles, with npm's record of the last install and this script. A missing or
// unreadable record means "make it": the record is removed before a build and written after it. Bundles made
// elsewhere (staged by scripts/pack.mjs, or a test's) are always made, and leave no record.
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const record = ['packages', 'examples'].some((dir) => outfile.startsWith(path.join(root, dir) + path.sep))
  ? path.join(
      root,
      'node_modules/.cache/connected-cloud/bundles',
      `${createHash('sha1').update(outfile).digest('hex')}.json`,
    )
  : undefined;
const args = process.argv.slice(2);
const always = [fileURLToPath(import.meta.url), entryTemplate, path.join(root, 'node_modules', '.package-lock.json')];
const olderThan = (time) => (file) => fs.existsSync(file) && fs.statSync(file).mtimeMs < time;
function upToDate() {
  try {
    const made = JSON.parse(fs.readFileSync(record, 'utf8'));
    return (
      JSON.stringify(made.args) === JSON.stringify(args) &&
      [outfile, bodyFile, `${outfile}.LICENSES.txt`].every(fs.existsSync) &&
      [...made.inputs, ...always].every(olderThan(made.started))
    );
  } catch {
    return false;
  }
}
if (record && upToDate()) process.exit(0);
if (record) {
  try {
    fs.rmSync(record, { force: true });
  } catch {
    // An unwritable cache keeps no record: the bundle is made every time, as before.
  }
}
const started = Date.now();

const { metafile } = await build({
  entryPoints: [path.resolve(entry)],
  outfile: bodyFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  metafile: true,
  logLevel: 'warning',
  // The entry passes the bundle an import.meta of its own (its URL, and resolve() with ES modules' conditions).
  define: { 'import.meta': '__importMeta' },
  // import() of what stays outside (the S3 client) becomes require(): a script run by vm has no import() of its own
  // but through an experimental loader, which warns when used.
  supported: { 'dynamic-import': false },
});
// The entry names the bundle and a hash of it, which names its code cache; caches of earlier builds go.
const hash = createHash('sha256').update(fs.readFileSync(bodyFile)).digest('hex').slice(0, 16);
const bodyName = path.basename(bodyFile);
for (const f of fs.readdirSync(path.dirname(bodyFile)))
  if (f.startsWith(`${bodyName}.`) && /\.v8cache(\.\d+\.tmp)?$/.test(f))
    fs.rmSync(path.join(path.dirname(bodyFile), f));
const marker = "/* bundle */ { body: '', hash: '' }";
const template = fs.readFileSync(entryTemplate, 'utf8');
if (!template.includes(marker)) throw new Error(`${entryTemplate}: no line marked bundle`);
fs.writeFileSync(
  outfile,
  template.replace(marker, () => `/* bundle */ ${JSON.stringify({ body: `./${bodyName}`, hash })}`),
);

/**
 * The folder and package.json of the npm package an input file belongs to, or undefined for the workspace's own
 * files. A package.json without a name (`{"type": "module"}` in a build folder) is not the package's.
 */
function packageOf(file) {
  if (!file.includes('node_modules/')) return undefined;
  for (const manifest of manifestsAbove(path.resolve(file))) {
    const json = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (json.name) return [path.dirname(manifest), json];
  }
  return undefined;
}
const packages = new Map();
for (const input of Object.keys(metafile.inputs)) {
  const pkg = packageOf(input);
  if (pkg) packages.set(...pkg);
}
const notices = [...packages]
  .sort(([, a], [, b]) => a.name.localeCompare(b.name))
  .map(([pkg, manifest]) => {
    const file = fs.readdirSync(pkg).find((f) => /^(licen[sc]e|copying)/i.test(f));
    const text = file
      ? fs.readFileSync(path.join(pkg, file), 'utf8').trim()
      : `(no licence file; package.json says ${manifest.license})`;
    return `${manifest.name}@${manifest.version} (${manifest.license})\n\n${text}\n`;
  });
fs.writeFileSync(
  `${outfile}.LICENSES.txt`,
  `${path.basename(bodyFile)} bundles these packages; their licences follow.\n\n${notices.join(`\n${'-'.repeat(78)}\n\n`)}`,
);
if (record) {
  const inputs = new Set(Object.keys(metafile.inputs).map((file) => path.resolve(file)));
  for (const file of [...inputs].filter((f) => !f.includes(`${path.sep}node_modules${path.sep}`))) {
    // The nearest package.json, which esbuild read for its "type" and "exports".
    const [manifest] = manifestsAbove(file);
    if (manifest) inputs.add(manifest);
  }
  try {
    fs.mkdirSync(path.dirname(record), { recursive: true });
    fs.writeFileSync(`${record}.tmp`, JSON.stringify({ args, started, inputs: [...inputs] }));
    fs.renameSync(`${record}.tmp`, record);
  } catch {
    // No record, no harm: the next build makes the bundle again.
  }
}

/** The package.json files in a file's folder and the folders above it, nearest first. */
function* manifestsAbove(file) {
  for (let d = path.dirname(file); d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) yield path.join(d, 'package.json');
  }
}
