import { ApiError, ConnectionError, MissingApiKeyError } from '@connected-cloud/client';
import cliProgress from 'cli-progress';

/** How a command speaks: `--json` prints exactly one JSON document on stdout; else lines for people. */
export interface Output {
  json: boolean;
  /** The result: its JSON, or the lines `human` makes of it. */
  result<T>(value: T, human?: (value: T) => string): void;
  /** A line for people (stderr under --json, so that stdout stays one document). */
  note(line: string): void;
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
  };
}

/** Whether to draw: a terminal on stderr, and no --json. */
export const drawing = (json: boolean) => !json && process.stderr.isTTY === true;

export interface Bar {
  update(value: number): void;
  stop(): void;
}
const none: Bar = { update() {}, stop() {} };

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = n / 1024;
  let i = 0;
  for (; value >= 1024 && i < units.length - 1; i++) value /= 1024;
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

/** A bar of bytes sent or received, with its rate and the time left, on stderr. */
export function bytesBar(json: boolean, label: string, total: number | undefined): Bar {
  if (!drawing(json)) return none;
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label.padEnd(10)} {bar} {percentage}% | {done} of {all} | {rate} | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 20,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (value: number) => ({
    done: bytes(value),
    all: total === undefined ? '?' : bytes(total),
    rate: `${bytes(Math.round(value / Math.max(0.001, (Date.now() - started) / 1000)))}/s`,
  });
  bar.start(total ?? 0, 0, payload(0));
  return {
    update: (value) => bar.update(value, payload(value)),
    stop: () => bar.stop(),
  };
}

/** One bar per stage of an upload (validation, then processing), each 0–100%, moved by tracking's progress. */
export function stageBars(json: boolean): {
  update(stage: 'validation' | 'processing', percent: number, status: string): void;
  stop(): void;
} {
  if (!drawing(json)) return { update() {}, stop() {} };
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: '{stage} {bar} {percentage}% | {status}',
      hideCursor: true,
      clearOnComplete: false,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = {
    validation: multi.create(100, 0, { stage: 'validation'.padEnd(10), status: 'waiting' }),
    processing: multi.create(100, 0, { stage: 'processing'.padEnd(10), status: 'waiting' }),
  };
  return {
    update(stage, percent, status) {
      if (stage === 'processing') bars.validation.update(100, { status: 'valid' });
      bars[stage].update(Math.round(percent), { status });
    },
    stop: () => multi.stop(),
  };
}

/** Exit codes: 0 done; 1 the platform refused or could not be reached; 2 a usage error; 3 an upload ended invalid, failed or with rejected records. */
export const EXIT = { ok: 0, refused: 1, usage: 2, uploadFailed: 3 } as const;

/** What a person should do about an error, beyond what it says. */
function hint(error: unknown, context: { url: string; keyWhere: string }): string | undefined {
  if (error instanceof ConnectionError)
    return `Is the platform running at ${context.url}? Give another with --url or CCLOUD_URL.`;
  if (error instanceof ApiError && error.status === 401) {
    if (error.code === 'admin-token-invalid' || /admin/i.test(error.detail))
      return 'The admin token was refused: check --admin-token or CCLOUD_ADMIN_TOKEN.';
    return `The API key was refused (it came from ${context.keyWhere}). Check --apikey / CCLOUD_APIKEY, or get a key with \`ccloud passcode <developerId> <applicationId> --wait\`.`;
  }
  if (error instanceof ApiError && error.status === 403) return 'This credential may not do that.';
  return undefined;
}

export function fail(error: unknown, json: boolean, context: { url: string; keyWhere: string }): never {
  const advice = hint(error, context);
  if (error instanceof ApiError) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ status: error.status, code: error.code, detail: error.detail, ...(error.problem.errors ? { errors: error.problem.errors } : {}) }, null, 2)}\n`,
      );
    process.stderr.write(`error: ${error.status} ${error.code}: ${error.detail}\n`);
    for (const e of error.problem.errors ?? []) process.stderr.write(`  ${e.pointer || '/'}: ${e.message}\n`);
  } else {
    const code =
      error instanceof ConnectionError ? 'unreachable' : error instanceof MissingApiKeyError ? 'no-api-key' : 'error';
    if (json) process.stdout.write(`${JSON.stringify({ code, detail: (error as Error).message }, null, 2)}\n`);
    process.stderr.write(`error: ${(error as Error).message ?? error}\n`);
  }
  if (advice) process.stderr.write(`${advice}\n`);
  process.exit(EXIT.refused);
}
