#!/usr/bin/env node
// Packs the SDK and the CLI as tarballs that install anywhere. The SDK is staged from the workspace's build (ESM and
// .d.ts of its current sources, no stale files) with the contract the workspace links bundled inside; the CLI is
// one file made by esbuild from its build and everything it imports, so it has no dependencies to install.
// Usage: node scripts/pack.mjs [destination]   (default: ./dist-packages); prints the tarballs' paths as JSON.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const destination = path.resolve(process.argv[2] ?? path.join(root, 'dist-packages'));
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-pack-'));
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The workspace build's output for each of a package's current sources (never a stale file left in dist by a
 * deleted one), without the source-map comment: the maps, and the sources they point at, are not shipped. */
function copyBuild(dir, into) {
  for (const entry of fs.readdirSync(path.join(dir, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const relative = path.relative(path.join(dir, 'src'), path.join(entry.parentPath, entry.name)).slice(0, -3);
    for (const ext of ['.js', '.d.ts']) {
      const text = fs.readFileSync(path.join(dir, 'dist', relative + ext), 'utf8');
      const out = path.join(into, 'dist', relative + ext);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    }
  }
}

/** Stages a workspace package, as built, into `into` with a package.json fit for publishing. */
function stagePackage(name, into, bundled = {}) {
  const dir = path.join(root, 'packages', name);
  copyBuild(dir, into);
  const manifest = readJson(path.join(dir, 'package.json'));
  delete manifest.private;
  delete manifest.devDependencies;
  delete manifest.scripts;
  // What a bundled package needs, its host needs too: npm installs the host's dependencies, not a bundled one's.
  for (const dep of Object.values(bundled))
    Object.assign(
      manifest.dependencies,
      Object.fromEntries(Object.entries(dep.dependencies ?? {}).filter(([n]) => !n.startsWith('@connected-cloud/'))),
    );
  manifest.bundleDependencies = Object.keys(bundled);
  fs.writeFileSync(path.join(into, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const extra of ['README.md', 'bin'])
    if (fs.existsSync(path.join(dir, extra)))
      fs.cpSync(path.join(dir, extra), path.join(into, extra), { recursive: true });
  return manifest;
}

/** The CLI's build bundled into `into/dist`. */
function stageCli(into) {
  const dir = path.join(root, 'packages', 'cli');
  const bundle = path.join(root, 'scripts', 'bundle.mjs');
  execFileSync(process.execPath, [bundle, path.join(dir, 'dist', 'main.js'), path.join(into, 'dist', 'ccloud.js')], {
    stdio: 'inherit',
  });
  const manifest = readJson(path.join(dir, 'package.json'));
  delete manifest.devDependencies;
  delete manifest.scripts;
  fs.writeFileSync(path.join(into, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const extra of ['README.md', 'bin'])
    fs.cpSync(path.join(dir, extra), path.join(into, extra), { recursive: true });
}

// Brings the CLI, the SDK and the contract it references up to date with their sources (nothing to do after
// `npm run build`): each package is compiled once, by the workspace's own build.
execFileSync(process.execPath, [tsc, '-b', path.join(root, 'packages', 'cli')], { stdio: 'inherit' });
const contractDir = path.join(stage, 'contract');
const contract = stagePackage('contract', contractDir);
const clientDir = path.join(stage, 'client');
stagePackage('client', clientDir, { '@connected-cloud/contract': contract });
fs.cpSync(contractDir, path.join(clientDir, 'node_modules', '@connected-cloud', 'contract'), { recursive: true });
const cliDir = path.join(stage, 'cli');
stageCli(cliDir);

fs.mkdirSync(destination, { recursive: true });
const packed = {};
for (const [name, dir] of [
  ['client', clientDir],
  ['cli', cliDir],
]) {
  const out = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: dir, encoding: 'utf8' }),
  );
  packed[name] = path.join(destination, out[0].filename);
}
fs.rmSync(stage, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(packed)}\n`);
