import fs from 'node:fs';
import type { ServerResponse } from 'node:http';

const CHUNK = 256 * 1024;

/**
 * Writes bytes start..end (inclusive) of a local file to a response whose head is written, through two buffers
 * used in turn: one is filled while the other is on its way out. A stream would allocate a buffer per chunk, and
 * V8 frees such memory only at its next collection, which a long download of few JS objects rarely causes (up to
 * 64 MB lingered). A buffer is refilled only once its write has completed, which also keeps to the pace of the
 * client. Resolves when all is written; rejects (and destroys the response) when the client goes away.
 */
export async function sendFileRange(res: ServerResponse, file: string, start: number, end: number): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
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
      if (bytesRead === 0) throw new Error(`${file} is shorter than expected`);
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
