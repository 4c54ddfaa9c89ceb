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

/**
 * A process a test file started is stopped, with `signal`, when the file ends if it is still running then
 * (`stopOwnChildren`, run after each file's own after-hooks by reap-children.ts): a test that fails before its own
 * kill would otherwise leave it running, loading the machine, past the run. SIGTERM for a process that starts
 * others and passes it on (SIGKILL would orphan them).
 */
export function ownChild<C extends ChildProcess>(child: C, signal: NodeJS.Signals = 'SIGKILL'): C {
  children.set(child, signal);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child)); // never started: no 'exit' comes
  return child;
}

/** Stops the processes still running: each with its signal, then SIGKILL if it has not exited within `graceMs`. */
export async function stopOwnChildren(graceMs = 10_000): Promise<void> {
  await Promise.all(
    [...children].map(async ([child, signal]) => {
      children.delete(child);
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return; // never started, or done
      const exited = new Promise((resolve) => child.once('exit', resolve).once('error', resolve));
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise((resolve) => (timer = setTimeout(resolve, graceMs, 'late')));
      if ((await Promise.race([exited, late])) === 'late') child.kill('SIGKILL');
      clearTimeout(timer);
    }),
  );
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
