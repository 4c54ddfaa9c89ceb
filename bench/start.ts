/**
 * Start-up benchmark: the CPU a start costs with V8's code cache beside the bundle (scripts/bundle-entry.js) and,
 * as the baseline in the same run, without it (removed before the start, so the start compiles everything). The
 * two take turns, round after round, so that both meet the same load.
 *
 *   npm run bench:start
 *   BENCH_ROUNDS=15 npm run bench:start
 *
 * - The platform (`bin/platform.js`, SQLite and files): its process's CPU when `/ready` first answers.
 * - `ccloud --help`, and `ccloud --url <a refusing port> integration`: the whole command's CPU (a command
 *   that fails on its first request, so that its HTTP path is loaded and nothing else is measured).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, pct, spawnPlatform } from './platform.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PLATFORM = path.join(ROOT, 'packages', 'platform');
const CLI = path.join(ROOT, 'packages', 'cli');

const dropCache = (dir: string) => {
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.v8cache')) fs.rmSync(path.join(dir, f));
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-start-'));
process.once('exit', () => fs.rmSync(work, { recursive: true, force: true }));

async function platformStart(): Promise<number> {
  const platform = await spawnPlatform(work);
  const cpu = cpuSeconds(platform.pid);
  await platform.stopped(); // gracefully: a start without a cache writes it as it exits
  return cpu;
}

/** The CPU of a whole command, by bash's `times` (its children's user and system time). */
function command(...args: string[]): number {
  const bin = path.join(CLI, 'bin', 'ccloud.js');
  const script = `"${bin}" "$@" >/dev/null 2>&1; times`;
  const out = spawnSync('bash', ['-c', script, 'bash', ...args], { encoding: 'utf8' }).stdout;
  const [user, system] = out.trim().split('\n').at(-1)!.split(/\s+/);
  const seconds = (t: string) => {
    const [, m, s] = /^(\d+)m([\d.]+)s$/.exec(t)!;
    return Number(m) * 60 + Number(s);
  };
  return seconds(user!) + seconds(system!);
}

const refusing = `http://127.0.0.1:${await freePort()}`;
const cases: Array<{ name: string; dir: string; run: () => Promise<number> | number }> = [
  { name: 'platform start to /ready', dir: path.join(PLATFORM, 'dist', 'bundle'), run: platformStart },
  { name: 'ccloud --help', dir: path.join(CLI, 'dist'), run: () => command('--help') },
  {
    name: 'ccloud integration (refused)',
    dir: path.join(CLI, 'dist'),
    run: () => command('--url', refusing, '--apikey', 'k'.repeat(40), 'integration'),
  },
];

console.log(`start-up CPU, seconds: median (min–max) of ${ROUNDS} rounds, with the code cache and without it\n`);
console.log(`${'measure'.padEnd(36)} ${'with cache'.padStart(20)} ${'without (baseline)'.padStart(20)}  ratio`);
for (const c of cases) {
  await c.run(); // writes the cache the first "with" round reads
  const withCache: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    withCache.push(await c.run());
    dropCache(c.dir);
    without.push(await c.run()); // and writes it again as it exits
  }
  const show = (xs: number[]) =>
    `${pct(xs, 50).toFixed(3)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`.padStart(20);
  console.log(
    `${c.name.padEnd(36)} ${show(withCache)} ${show(without)}  ${(pct(withCache, 50) / pct(without, 50)).toFixed(2)}`,
  );
}
