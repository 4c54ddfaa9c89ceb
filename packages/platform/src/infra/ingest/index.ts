import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ValidateFunction } from 'ajv';
import type { BlobStore } from '../blobs/index.js';
import { JsonArraySplitter } from './json-array.js';
import { RecordIndexWriter, indexKeyOf } from './record-index.js';
import { ProblemError, ajvErrorItem, invalidRequest, type ProblemItem } from '../http/problem.js';

export interface Ingested {
  records: number;
  size: number;
  sha256: string;
}

const MAX_LISTED_ERRORS = 100;

/**
 * The ingest pipeline that scope files and uploads share: the request body, a JSON array, is parsed record by
 * record as it streams in (never held whole), each record validated against its schema and the bytes written to
 * a blob, with the size, the record count and the SHA-256 computed on the way. The blob becomes visible only
 * when the whole body is valid; otherwise nothing is left behind and a problem is thrown: 400 for a body that is
 * not JSON, 422 schema-invalid (up to 100 pointers and errorCount) for records that break the schema.
 * With `indexed`, the record index (record-index.ts) is written beside the blob and committed before it.
 */
export async function ingestJsonArray(opts: { body: Readable; validate: ValidateFunction; blobs: BlobStore; key: string; indexed?: boolean }): Promise<Ingested> {
  const { body, validate } = opts;
  const writer = await opts.blobs.create(opts.key);
  const index = opts.indexed ? new RecordIndexWriter(await opts.blobs.create(indexKeyOf(opts.key))) : undefined;
  const hash = createHash('sha256');
  const errors: ProblemItem[] = [];
  let errorCount = 0;
  let records = 0;
  let size = 0;
  let started = false;

  const parser = new JsonArraySplitter((value, i, raw, offset, length, compact) => {
    records++;
    if (!validate(value)) {
      for (const e of validate.errors ?? []) {
        errorCount++;
        if (errors.length < MAX_LISTED_ERRORS) errors.push(ajvErrorItem(e, `/${i}`));
      }
    }
    if (errorCount === 0) index?.add(value, raw, offset, length, compact);
  });

  // A problem found part way is answered once the whole body has arrived: a client sends it all before it reads.
  let failure: ProblemError | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (failure) continue;
      if (!started) {
        const first = chunk.toString('latin1').match(/\S/)?.[0];
        if (first === undefined) continue;
        started = true;
        if (first !== '[') {
          failure = schemaInvalid([{ pointer: '', message: 'must be an array of records' }], 1);
          continue;
        }
      }
      size += chunk.length;
      hash.update(chunk);
      try {
        parser.write(chunk);
      } catch (error) {
        failure = invalidRequest(`The body is not valid JSON: ${(error as Error).message}`);
        continue;
      }
      if (errorCount === 0) {
        await writer.write(chunk); // once a record is refused, the bytes are of no use
        await index?.flush();
      }
    }
    if (failure) throw failure;
    if (!started) throw invalidRequest('The body is empty: send a JSON array of records');
    try {
      parser.end();
    } catch (error) {
      throw invalidRequest(`The body is not valid JSON: ${(error as Error).message}`);
    }
    if (errorCount > 0) throw schemaInvalid(errors, errorCount);
    await index?.commit();
    await writer.commit();
    return { records, size, sha256: hash.digest('hex') };
  } catch (error) {
    await writer.abort();
    await index?.abort();
    throw error;
  }
}

function schemaInvalid(errors: ProblemItem[], errorCount: number): ProblemError {
  return new ProblemError(422, 'schema-invalid', `${errorCount} error${errorCount === 1 ? '' : 's'} against the schema`, errors, {}, errorCount);
}
