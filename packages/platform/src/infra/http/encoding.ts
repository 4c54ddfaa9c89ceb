import { PassThrough, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { ProblemError, invalidRequest } from './problem.js';

/** A Map, not an object: a header naming an inherited property ("constructor") finds no decoder. */
const decoders = new Map<string, () => Transform>([
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);
export const SUPPORTED_ENCODINGS = [...decoders.keys()];

/**
 * A request body sent with Content-Encoding gzip, deflate or br reaches its parser decoded, so that a JSON body
 * and a streamed file are read as what they mean, never stored compressed. Body limits then count decoded bytes
 * (a small bomb cannot grow past them); another encoding answers 415, a corrupt one 400.
 */
export function installContentDecoding(app: FastifyInstance): void {
  // Callback-style, as every hook that runs on each request: an async one costs a promise and a microtask.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const header = request.headers['content-encoding']?.trim().toLowerCase();
    if (!header || header === 'identity') {
      done(null, payload);
      return;
    }
    const make = decoders.get(header);
    if (!make) {
      done(
        new ProblemError(
          415,
          'unsupported-media-type',
          `Content-Encoding "${header.slice(0, 40)}" is not supported: send ${SUPPORTED_ENCODINGS.join(', ')} or none`,
        ),
      );
      return;
    }
    done(null, decoded(payload, make(), header));
  });
}

function decoded(payload: Readable, decoder: Transform, encoding: string): Readable {
  // The decoder's own errors would reach the error handler as unknown errors (500): they are the client's fault.
  const out = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  out.receivedEncodedLength = 0;
  out.on('error', () => {}); // seen by the parser's or the route's own listener; one that stopped reading needs none
  payload.on('data', (chunk: Buffer) => (out.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => out.destroy(error));
  decoder.on('error', () => out.destroy(invalidRequest(`The body is not valid ${encoding}`)));
  out.on('close', () => {
    payload.unpipe(decoder);
    decoder.destroy();
  });
  payload.pipe(decoder).pipe(out);
  return out;
}
