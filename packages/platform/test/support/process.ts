import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The platform's command, with its Node flags: what `npm start` runs. */
export const BIN = fileURLToPath(new URL('../../bin/platform.js', import.meta.url));
/** What BIN runs: dist/main.js and its imports in one file (scripts/bundle.mjs, part of `npm run build`). */
export const BUNDLE = fileURLToPath(new URL('../../dist/bundle/main.js', import.meta.url));
export const built = fs.existsSync(BUNDLE);

export interface PlatformProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  out(): string;
  err(): string;
}

const children = new Map<ChildProcess, NodeJS.Signals>();
let reaping = false;

/**
 * A process a test started is stopped, with `signal`, when the Vitest worker exits if it is still running then: a
 * test that fails before its own kill would otherwise leave it running, loading the machine, after the run.
 * SIGTERM for a process that starts others and passes it on (SIGKILL would orphan them).
 */
export function ownChild<C extends ChildProcess>(child: C, signal: NodeJS.Signals = 'SIGKILL'): C {
  if (!reaping) process.once('exit', () => children.forEach((sig, c) => c.kill(sig)));
  reaping = true;
  children.set(child, signal);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The built platform as its own process, as `npm start` runs it. */
export function runPlatform(env: Record<string, string>): PlatformProcess {
  const child = ownChild(
    spawn(BIN, [], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

// Two minutes by default: on a busy shared machine a cold start (module loading) has taken over 20 s, three at once longer.
export async function waitUp(url: string, p: PlatformProcess, timeoutMs = 120_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (p.child.exitCode !== null) throw new Error(`the platform exited: ${p.err()}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) return; // /health answers while the start is still under way
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the platform did not start: ${p.err()}`);
}
