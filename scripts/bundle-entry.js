// The entry of a bundle made by scripts/bundle.mjs, which fills in the line marked `bundle` below. It runs the
// bundle (CommonJS, beside this file) with V8's code cache: a program's compiled bytecode, kept beside the bundle
// after its first run and read back by the next, which then compiles only what the first never ran. A platform start
// costs 15% less CPU (1.02 s → 0.87 s), a command of the CLI 6–11% less (`npm run bench:start`); Node 20 offers no
// such cache for ES modules. V8 checks a cache against its own version and flags and rejects one that does not
// match; the file's name carries a hash of the bundle, so a cache is never read against another build. A cache that is
// missing or rejected is written when the process exits, if the folder is writable (a global install may not be:
// such a program then compiles at each start, as without a cache). Only this folder is trusted with it, never a
// shared temporary one: a cache is code.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

const { body: name, hash } = /* bundle */ { body: '', hash: '' };

const body = fileURLToPath(new URL(name, import.meta.url));
const cache = `${body}.${hash}.v8cache`;
let cachedData;
try {
  cachedData = fs.readFileSync(cache);
} catch {
  // none yet
}
// One line with the bundle's first, so that stack traces give its line numbers. Strict, as the ES modules it was
// made from were.
const script = new vm.Script(
  `(function (exports, require, module, __filename, __dirname, __importMeta) {'use strict';${fs.readFileSync(body, 'utf8')}\n})`,
  { filename: body, cachedData },
);
if (!cachedData || script.cachedDataRejected) {
  process.once('exit', () => {
    // Written whole under another name, then renamed: a process starting meanwhile reads the old file or the new.
    const partial = `${cache}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(partial, script.createCachedData());
      fs.renameSync(partial, cache);
    } catch {
      try {
        fs.rmSync(partial, { force: true });
      } catch {
        // an unwritable folder: nothing was written
      }
    }
  });
}
const module = { exports: {} };
// import.meta of the modules bundled: this file's folder is the bundle's, so bare names resolve alike.
const importMeta = { url: pathToFileURL(body).href, resolve: (specifier) => import.meta.resolve(specifier) };
script.runInThisContext()(module.exports, createRequire(body), module, body, path.dirname(body), importMeta);
