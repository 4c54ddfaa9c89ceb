// The entry of a bundle made by scripts/bundle.mjs, which fills in the line marked `bundle` below. It runs the
// bundle (CommonJS, beside this file) with V8's code cache: a program's compiled bytecode, kept beside the bundle
// after its first run and read back by the next, which then compiles only what the first never ran. A platform start
// costs a sixth less CPU (1.01 s → 0.84 s), a command of the CLI 11–13% less (`npm run bench:start`); Node 20 offers no
// such cache for ES modules.
//
// V8 checks a cache's header only: its own version and flags, and the source's length. A cache damaged past its
// header can crash the process inside V8, and one made for another source of the same length would run the old
// code. So the file carries a SHA-256 of the cache and the bundle's size and modification time, all checked here
// first; a cache that fails a check is not used, and a new one is written. Its name carries a hash of the build, and
// one of Node's version and flags, so that processes started with other flags keep caches of their own rather than
// replace each other's. A missing or rejected cache is written when the process exits, if the folder is writable (a
// global install may not be: such a program then compiles at each start, as without a cache). Only this folder is
// trusted with it, never a shared temporary one: a cache is code.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

const { body: name, hash } = /* bundle */ { body: '', hash: '' };

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const body = fileURLToPath(new URL(name, import.meta.url));
const flags = sha256(JSON.stringify([process.version, process.execArgv, process.env.NODE_OPTIONS ?? ''])).slice(0, 8);
const cache = `${body}.${hash}.${flags}.v8cache`;
const { size, mtimeMs } = fs.statSync(body);

/** The cache's data, if its file is whole and was made for this very bundle: a line of JSON, then the data. */
function readCache() {
  try {
    const file = fs.readFileSync(cache);
    const newline = file.indexOf(10);
    const header = JSON.parse(file.subarray(0, newline).toString());
    const data = file.subarray(newline + 1);
    if (newline > 0 && header.size === size && header.mtimeMs === mtimeMs && header.sha256 === sha256(data))
      return data;
  } catch {
    // none yet, or not readable as one
  }
  return undefined;
}

function writeCache(data) {
  // Written whole and flushed under another name, then renamed: a process starting meanwhile reads the old file or
  // the new, and a crash of the machine leaves no renamed file with unwritten pages.
  const partial = `${cache}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(partial, 'w', 0o644);
    try {
      fs.writeSync(fd, `${JSON.stringify({ sha256: sha256(data), size, mtimeMs })}\n`);
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(partial, cache);
  } catch {
    try {
      fs.rmSync(partial, { force: true });
    } catch {
      // an unwritable folder: nothing was written
    }
  }
}

const cachedData = readCache();
// One line with the bundle's first, so that stack traces give its line numbers. Strict, as the ES modules it was
// made from were.
const script = new vm.Script(
  `(function (exports, require, module, __filename, __dirname, __importMeta) {'use strict';${fs.readFileSync(body, 'utf8')}\n})`,
  { filename: body, cachedData },
);
if (!cachedData || script.cachedDataRejected) process.once('exit', () => writeCache(script.createCachedData()));
const module = { exports: {} };
// import.meta of the modules bundled: this file's folder is the bundle's, so bare names resolve alike.
const importMeta = { url: pathToFileURL(body).href, resolve: (specifier) => import.meta.resolve(specifier) };
script.runInThisContext()(module.exports, createRequire(body), module, body, path.dirname(body), importMeta);
