/**
 * Where ingest's time goes: the same file run through the ingest pipeline in this process, one stage more at a
 * time, each `rounds` times (median). What a stage costs is its time less the one before it, per record.
 *
 * - read: the file's chunks alone, as the request's body would bring them;
 * - split: + the JSON array splitter (its scan, and JSON.parse of each record);
 * - validate: + Ajv, each record against the products schema (JsonArrayValidator);
 * - store: + the record index (a SHA-1 per record), the body's SHA-256, and the writes of the blob and its index,
 *   each flushed to disk on commit (fsync), as `PUT scopes` does.
 *
 * The platform's own figure (bench/files.ts) adds HTTP and the process's other work to the last stage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SolutionRegistry } from '../packages/platform/src/features/solutions/registry.js';
import { filesystemBlobs } from '../packages/platform/src/infra/blobs/index.js';
import { ingestJsonArray, JsonArrayValidator } from '../packages/platform/src/infra/ingest/index.js';
import { JsonArraySplitter } from '../packages/platform/src/infra/ingest/json-array.js';
import { pct, timed } from './platform.js';

const CHUNK = 64 * 1024; // a request body's chunks are this size or smaller
const MAX_RECORD_BYTES = 1024 * 1024;

export interface Stage {
  name: string;
  seconds: number;
}

export async function ingestStages(file: string, records: number, work: string, rounds: number): Promise<Stage[]> {
  const validate = new SolutionRegistry('http://localhost').validator('ecommerce', 'products')!;
  const dir = fs.mkdtempSync(path.join(work, 'stages-'));
  const blobs = filesystemBlobs(dir);
  const chunks = () => fs.createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>;
  const check = (n: number) => {
    if (n !== records) throw new Error(`${n} records, expected ${records}`);
  };
  const stages: Array<[string, (round: number) => Promise<void>]> = [
    [
      'read',
      async () => {
        for await (const chunk of chunks()) if (chunk.length === 0) throw new Error('empty chunk');
      },
    ],
    [
      'split',
      async () => {
        let n = 0;
        const splitter = new JsonArraySplitter(() => n++, MAX_RECORD_BYTES);
        for await (const chunk of chunks()) splitter.write(chunk);
        splitter.end();
        check(n);
      },
    ],
    [
      'validate',
      async () => {
        const validator = new JsonArrayValidator(validate, { maxRecordBytes: MAX_RECORD_BYTES });
        for await (const chunk of chunks()) validator.write(chunk);
        if (validator.verdict()) throw new Error('the file is not valid');
        check(validator.records);
      },
    ],
    [
      'store',
      async (round) => {
        const body = fs.createReadStream(file, { highWaterMark: CHUNK });
        const key = `round-${round}.json`;
        const stored = await ingestJsonArray({
          body,
          validate,
          blobs,
          key,
          maxRecordBytes: MAX_RECORD_BYTES,
          indexed: true,
        });
        check(stored.records);
      },
    ],
  ];
  const times = new Map(stages.map(([name]) => [name, [] as number[]]));
  // Stages in turn within each round, so that a busy moment of the machine touches them alike.
  for (let round = 0; round < rounds; round++)
    for (const [name, run] of stages) times.get(name)!.push(await timed(() => run(round)));
  fs.rmSync(dir, { recursive: true, force: true });
  return stages.map(([name]) => ({ name, seconds: pct(times.get(name)!, 50) }));
}

/** One line per stage: its time, records/s up to it, and what it adds per record. */
export function describeStages(stages: Stage[], records: number): string[] {
  return stages.map((s, i) => {
    const added = s.seconds - (stages[i - 1]?.seconds ?? 0);
    return (
      `  ${s.name.padEnd(8)} ${s.seconds.toFixed(2).padStart(6)} s  ${(records / s.seconds).toFixed(0).padStart(9)} rec/s` +
      `  +${((added / records) * 1e6).toFixed(2).padStart(5)} µs/record`
    );
  });
}
