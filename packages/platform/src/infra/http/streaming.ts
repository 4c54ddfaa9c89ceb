import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BlobMissing, type BlobStore } from '../blobs/index.js';
import { ProblemError } from './problem.js';

/** Files are streamed, never buffered, up to 2 GiB. */
export const MAX_FILE = 2 * 1024 ** 3;

/**
 * In the plugin that calls it, JSON bodies reach the routes as the request stream itself (for the ingest
 * pipeline), up to MAX_FILE; the routes set `bodyLimit: MAX_FILE` too.
 */
export function acceptStreamedJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/octet-stream'],
    { bodyLimit: MAX_FILE },
    (_request, payload, done) => done(null, payload),
  );
}

/** A stored file as the routes that serve one know it. */
export interface Stored {
  key: string;
  size: number;
  sha256: string;
}

/**
 * Serves a stored JSON file: ETag (its SHA-256) and If-None-Match, Content-Length, one byte range with Range (206;
 * 416 when outside the file), gzip when asked with Accept-Encoding (whole files only). What every download route
 * of the platform answers with.
 */
export async function sendStored(
  request: FastifyRequest,
  reply: FastifyReply,
  blobs: BlobStore,
  file: Stored,
  type = 'application/json',
) {
  const etag = `"${file.sha256}"`;
  reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', 'private, no-cache').type(type);
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  if (blobs.redirectUrl) {
    // The storage serves the bytes (and the range asked for), not this process.
    return reply
      .code(302)
      .header('location', await blobs.redirectUrl(file.key, type))
      .send();
  }
  // If-Range: the range only of the version the client has; otherwise the whole file.
  const ifRange = request.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, file.size) : undefined;
  if (range === 'unsatisfiable') {
    throw new ProblemError(416, 'range-not-satisfiable', `The file has ${file.size} bytes`, undefined, {
      'content-range': `bytes */${file.size}`,
    });
  }
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) && !range) {
    const content = await openBlob(blobs, file.key);
    return reply
      .header('content-encoding', 'gzip')
      .header('vary', 'accept-encoding')
      .send(content.pipe(createGzip({ level: 1 })));
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${file.size}`);
  reply.header('content-length', end - start + 1);
  const local = blobs.localPath?.(file.key);
  if (!local || end < start) return reply.send(await openBlob(blobs, file.key, range));
  // Opened before the head is written: a missing file is a problem document now, not a reply that never ends.
  const handle = await fs.promises.open(local, 'r').catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT' ? blobUnavailable(file.key) : error;
  });
  reply.hijack();
  reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
  await sendFileRange(reply.raw, handle, start, end).catch((error: Error) =>
    request.log.debug({ err: error }, 'download ended early'),
  );
}

async function openBlob(blobs: BlobStore, key: string, range?: { start: number; end: number }) {
  try {
    return await blobs.open(key, range);
  } catch (error) {
    throw error instanceof BlobMissing ? blobUnavailable(key) : error;
  }
}

/** The record is here and its content is not: lost, or this process looks at other storage than the one that took it. */
const blobUnavailable = (key: string) =>
  new ProblemError(
    503,
    'not-ready',
    `The content of this file is not in this platform's storage (${key.split('/').pop()}); every process must share one storage`,
  );

/** One range of `bytes=a-b`, `a-` or `-n`; anything else (several ranges, other units) is ignored: the whole file. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

const CHUNK = 256 * 1024;

/**
 * Writes bytes start..end (inclusive) of a local file to a response whose head is written, through two buffers
 * used in turn: one is filled while the other is on its way out. A stream would allocate a buffer per chunk, and
 * V8 frees such memory only at its next collection, which a long download of few JS objects rarely causes (up to
 * 64 MB lingered). A buffer is refilled only once its write has completed, which also keeps to the pace of the
 * client. Resolves when all is written; rejects (and destroys the response) when the client goes away.
 */
async function sendFileRange(
  res: ServerResponse,
  handle: fs.promises.FileHandle,
  start: number,
  end: number,
): Promise<void> {
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  const written: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  // A write to a connection that closes may never call back: its close ends the wait as well.
  let onClose = () => {};
  const gone = new Promise<never>((_, reject) => (onClose = () => reject(new Error('the client went away'))));
  gone.catch(() => {});
  res.once('close', onClose);
  try {
    for (let position = start, turn = 0; position <= end; turn ^= 1) {
      await Promise.race([written[turn], gone]);
      const { bytesRead } = await handle.read(buffers[turn]!, 0, Math.min(CHUNK, end - position + 1), position);
      if (bytesRead === 0) throw new Error('the file is shorter than expected');
      position += bytesRead;
      written[turn] = new Promise((resolve, reject) => {
        res.write(buffers[turn]!.subarray(0, bytesRead), (error) => (error ? reject(error) : resolve()));
      });
      written[turn]!.catch(() => {}); // awaited in turn; a failure is seen there or below
    }
    await Promise.race([Promise.all(written), gone]);
    res.end();
  } catch (error) {
    res.destroy();
    throw error;
  } finally {
    res.off('close', onClose);
    await handle.close();
  }
}
