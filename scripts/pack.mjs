#!/usr/bin/env node
// Packs the SDK and the CLI as tarballs that install anywhere. The SDK is compiled afresh (ESM and .d.ts, no stale
// files) into a staging folder, with the contract the workspace links bundled inside; the CLI is one file made by
// esbuild from its build and everything it imports, so it has no dependencies to install.
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

/** Compiles a workspace package into `into/dist` and writes a package.json fit for publishing. */
function stagePackage(name, into, bundled = {}) {
  const dir = path.join(root, 'packages', name);
  execFileSync(
    process.execPath,
    [
      tsc,
      '-p',
      dir,
      '--outDir',
      path.join(into, 'dist'),
      '--composite',
      'false',
      '--incremental',
      'false',
      '--sourceMap',
      'false',
      '--declarationMap',
      'false',
    ],
    { stdio: 'inherit' },
  );
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

/** The CLI's build (tsc -b, which builds the SDK and the contract it references) bundled into `into/dist`. */
function stageCli(into) {
  const dir = path.join(root, 'packages', 'cli');
  execFileSync(process.execPath, [tsc, '-b', dir], { stdio: 'inherit' });
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
