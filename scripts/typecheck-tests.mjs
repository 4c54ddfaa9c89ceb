#!/usr/bin/env node
// `tsc -b tsconfig.test.json`, then each checked project marked as checked as of the start of the run.
// The test projects emit nothing (noEmit), and tsc -b never updates a noEmit project's tsbuildinfo timestamp
// (updateOutputTimestampsWorker returns early for noEmit). Once a package's declarations changed in a way that leaves
// its tests' program as it was, tsc wrote no new tsbuildinfo, so every later run found the tests older than the
// package and checked them all again: 5.0 s instead of 0.6 s each time, measured. The start time is used, not the end,
// so that a file saved during the run is checked again next time. Only --verbose and --force are passed on: --dry,
// --help or --version would exit 0 having checked nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const config = path.join(root, 'tsconfig.test.json');
const passed = process.argv.slice(2);
const refused = passed.filter((arg) => arg !== '--verbose' && arg !== '--force');
if (refused.length > 0) {
  process.stderr.write(`typecheck-tests: only --verbose and --force are passed to tsc, not ${refused.join(' ')}\n`);
  process.exit(2);
}
const started = new Date();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const { status } = spawnSync(process.execPath, [tsc, '-b', config, ...passed], { stdio: 'inherit' });
if (status !== 0) process.exit(status ?? 1);

// The references are plain paths; tsconfig.test.json's comments are the only thing JSON.parse would refuse.
const references = [...fs.readFileSync(config, 'utf8').matchAll(/"path":\s*"([^"]+)"/g)];
for (const buildInfo of references.map(([, dir]) => path.join(root, dir, 'tsconfig.tsbuildinfo'))) {
  if (fs.existsSync(buildInfo) && fs.statSync(buildInfo).mtime < started) fs.utimesSync(buildInfo, started, started);
}
