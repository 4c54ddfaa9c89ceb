// scripts/bundle.mjs on a small program: the bundle runs as its ES modules did, and its code cache is written once,
// read back, and replaced when V8 rejects it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A program that reports what a bundle could get wrong: import.meta, strictness, a dynamic import, line numbers. */
const program = (tag: string) => `
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const at = new Error().stack.split('\\n')[1];
const strict = (function () { return this; })() === undefined;
// Not ASCII: esbuild escapes strings and templates, and keeps regular expressions as they are.
const text = ['café ’', /é+/u.test('éé'), \`naïve \${'§'}\`];
void import('pino').then((pino) =>
  console.log(JSON.stringify({
    tag: ${JSON.stringify(tag)},
    dir: path.dirname(fileURLToPath(import.meta.url)),
    altcha: fileURLToPath(import.meta.resolve('altcha')),
    strict,
    text,
    pino: typeof pino.default,
    at,
  })),
);
`;

describe('a bundle made by scripts/bundle.mjs', { timeout: 60_000 }, () => {
  // Inside the repository, so that the program's packages resolve from its node_modules.
  let dir: string;
  beforeAll(() => {
    fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'bundle-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const bundle = async (tag: string) => {
    fs.writeFileSync(path.join(dir, 'program.js'), program(tag));
    fs.writeFileSync(path.join(dir, 'main.js'), `import './program.js';\n`);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await run(process.execPath, [path.join(ROOT, 'scripts', 'bundle.mjs'), 'main.js', 'out/main.js', 'pino'], {
      cwd: dir,
    });
  };
  const start = async () => JSON.parse((await run(process.execPath, [path.join(dir, 'out', 'main.js')])).stdout);
  const caches = () => fs.readdirSync(path.join(dir, 'out')).filter((f) => f.endsWith('.v8cache'));
  const cacheFile = () => path.join(dir, 'out', caches()[0]!);

  it('runs as the modules it was made from, and keeps its code cache beside it, read back at the next start', async () => {
    await bundle('first');
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual(['main.cjs', 'main.js', 'main.js.LICENSES.txt']);
    const ran = await start();
    expect(ran).toMatchObject({
      tag: 'first',
      dir: path.join(dir, 'out'),
      // With the conditions of an ES module's import, not of require(): altcha's "import" entry.
      altcha: fs.realpathSync(path.join(ROOT, 'node_modules', 'altcha', 'dist', 'altcha.js')),
      strict: true,
      text: ['café ’', true, 'naïve §'],
      pino: 'function',
    });
    // Stack traces name the bundle's own lines.
    const lines = fs.readFileSync(path.join(dir, 'out', 'main.cjs'), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('new Error().stack')) + 1;
    expect(ran.at).toContain(`${path.join(dir, 'out', 'main.cjs')}:${line}:`);

    expect(caches()).toHaveLength(1);
    const written = fs.statSync(cacheFile());
    expect(written.size).toBeGreaterThan(1000);
    // Accepted by V8 at the next start, so not written again: the same file.
    expect(await start()).toMatchObject({ tag: 'first', strict: true });
    expect(fs.statSync(cacheFile()).ino).toBe(written.ino);
    expect(fs.statSync(cacheFile()).mtimeMs).toBe(written.mtimeMs);
  });

  it('runs past a damaged cache, which V8 alone would not notice, and replaces it', async () => {
    // Past the header V8 checks (a quarter in, and the second half): V8 itself would run such data, or crash on it.
    const damages: Array<(file: Buffer) => void> = [
      (file) => file.fill(0x5a, file.length >> 2, (file.length >> 2) + 16),
      (file) => file.fill(0, file.length >> 1),
      (file) => file.fill(7),
    ];
    for (const damage of damages) {
      const file = fs.readFileSync(cacheFile());
      damage(file);
      fs.writeFileSync(cacheFile(), file);
      expect(await start()).toMatchObject({ tag: 'first', strict: true, pino: 'function' });
      expect(caches()).toHaveLength(1);
      expect(fs.readFileSync(cacheFile()).equals(file)).toBe(false);
    }
    expect(fs.readdirSync(path.join(dir, 'out')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('runs the bundle as it is, not the cache of what it was before an edit of the same length', async () => {
    const bundled = path.join(dir, 'out', 'main.cjs');
    const edited = fs.readFileSync(bundled, 'utf8').replace('"first"', '"FIRST"');
    fs.writeFileSync(bundled, edited);
    expect(await start()).toMatchObject({ tag: 'FIRST' });
    fs.writeFileSync(bundled, edited.replace('"FIRST"', '"first"'));
    expect(await start()).toMatchObject({ tag: 'first' });
  });

  it('keeps a cache for each set of Node flags, rather than one that each replaces', async () => {
    const [plain] = caches();
    const inode = () => fs.statSync(path.join(dir, 'out', plain!)).ino;
    const before = inode();
    const flagged = await run(process.execPath, ['--max-semi-space-size=4', path.join(dir, 'out', 'main.js')]);
    expect(JSON.parse(flagged.stdout)).toMatchObject({ tag: 'first' });
    expect(caches()).toHaveLength(2);
    // The flags' own cache is read back too, and the plain one was left as it was.
    const flaggedCache = caches().find((f) => f !== plain)!;
    const flaggedInode = fs.statSync(path.join(dir, 'out', flaggedCache)).ino;
    await run(process.execPath, ['--max-semi-space-size=4', path.join(dir, 'out', 'main.js')]);
    expect(fs.statSync(path.join(dir, 'out', flaggedCache)).ino).toBe(flaggedInode);
    expect(await start()).toMatchObject({ tag: 'first' });
    expect(inode()).toBe(before);
  });

  it('drops the cache of an earlier build, and never reads it against a new one', async () => {
    const old = caches()[0];
    await bundle('second');
    expect(caches()).toEqual([]);
    expect(await start()).toMatchObject({ tag: 'second' });
    expect(caches()).toHaveLength(1);
    expect(caches()[0]).not.toBe(old);
  });
});
