import { ApiError } from '@connected-cloud/client';
import cliProgress from 'cli-progress';

/** How a command speaks: `--json` prints exactly one JSON document on stdout; else lines for people. */
export interface Output {
  json: boolean;
  /** The result: its JSON, or the lines `human` makes of it. */
  result(value: unknown, human?: (value: any) => string): void;
  /** A line for people (stderr under --json, so that stdout stays one document). */
  note(line: string): void;
  /** A progress bar on stderr, on a terminal and without --json; otherwise nothing. */
  bar(total: number | undefined, unit: string): { update(n: number): void; stop(): void };
}

export function output(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(json || !human ? `${JSON.stringify(value, null, json ? 2 : 0)}\n` : `${human(value)}\n`);
    },
    note(line) {
      (json ? process.stderr : process.stdout).write(`${line}\n`);
    },
    bar(total, unit) {
      if (json || !process.stderr.isTTY) return { update() {}, stop() {} };
      const bar = new cliProgress.SingleBar({ stream: process.stderr, format: `{bar} {percentage}% {value}/{total} ${unit}`, hideCursor: true }, cliProgress.Presets.shades_classic);
      bar.start(total ?? 0, 0);
      return { update: (n) => bar.update(n), stop: () => bar.stop() };
    },
  };
}

/** Exit codes: 0 done; 1 the platform refused or could not be reached; 2 a usage error; 3 an upload ended invalid or failed. */
export const EXIT = { ok: 0, refused: 1, usage: 2, uploadFailed: 3 } as const;

export function fail(error: unknown, json: boolean): never {
  if (error instanceof ApiError) {
    if (json) process.stdout.write(`${JSON.stringify({ status: error.status, code: error.code, detail: error.detail, ...(error.problem.errors ? { errors: error.problem.errors } : {}) }, null, 2)}\n`);
    process.stderr.write(`error: ${error.status} ${error.code}: ${error.detail}\n`);
    for (const e of error.problem.errors ?? []) process.stderr.write(`  ${e.pointer || '/'}: ${e.message}\n`);
  } else {
    process.stderr.write(`error: ${(error as Error).message ?? error}\n`);
  }
  process.exit(EXIT.refused);
}
