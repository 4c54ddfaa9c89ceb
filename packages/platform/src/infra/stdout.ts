import fs from 'node:fs';
import { setImmediate, setTimeout } from 'node:timers';
import type { DestinationStream } from 'pino';

/** What a reader that stopped reading may leave unwritten before lines are dropped: a bound on memory. */
const BACKLOG = 8 * 1024 * 1024;
/** How long a process that exits waits for a full pipe's reader, in all. */
const EXIT_WAIT_MS = 5000;

let stdout: DestinationStream | undefined;

/**
 * Standard output, written once per turn of the event loop: the lines a turn logs (under load, a request line for
 * each of dozens of requests) go out in one `write`, on this thread. pino's own stream starts an asynchronous write
 * for each line that finds none in flight, a trip through libuv's thread pool; and at exit it writes the rest
 * synchronously while that write may still be on its way, so lines could arrive out of order, or not at all.
 *
 * Nothing here blocks the event loop: stdout, when a pipe, is non-blocking (Node makes it so), and what a full pipe
 * does not take waits for the next try, 10 ms later, up to 8 MiB (then lines are dropped, and counted). At exit,
 * what is left is written synchronously, in order, waiting up to 5 s for a slow reader. A kill -9 loses at most the
 * turn it ends, as an unfinished write would. One per process, as stdout is.
 */
export function batchedStdout(): DestinationStream {
  if (stdout) return stdout;
  const fd = process.stdout.fd; // made here: a pipe becomes non-blocking
  let held: string[] = [];
  /** What the reader has not taken yet, in order, and its size. */
  let backlog: Buffer[] = [];
  let size = 0;
  let dropped = 0;
  let retry: NodeJS.Timeout | undefined;

  /** The turn's lines into the backlog, as many as the bound lets in; the others dropped, and counted. */
  const take = () => {
    if (held.length === 0) return;
    let bytes = Buffer.from(held.join(''));
    if (size + bytes.length > BACKLOG) {
      let fits = 0;
      for (let room = BACKLOG - size; fits < held.length; fits++) {
        room -= Buffer.byteLength(held[fits]!);
        if (room < 0) break;
      }
      dropped += held.length - fits;
      bytes = Buffer.from(held.slice(0, fits).join(''));
    }
    held = [];
    if (bytes.length > 0) {
      backlog.push(bytes);
      size += bytes.length;
    }
  };
  /** Writes what the reader takes: false while a full pipe takes no more. */
  const drain = (): boolean => {
    for (;;) {
      if (size === 0) {
        if (dropped === 0) return true;
        const line = JSON.stringify({ level: 40, time: Date.now(), msg: 'log lines dropped', dropped });
        backlog = [Buffer.from(`${line}\n`)];
        size = backlog[0]!.length;
        dropped = 0;
      }
      let written: number;
      try {
        written = fs.writevSync(fd, backlog.length > 64 ? backlog.slice(0, 64) : backlog); // under IOV_MAX
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        backlog = []; // the reader is gone (EPIPE): nothing will take these
        size = 0;
        dropped = 0;
        return true;
      }
      size -= written;
      while (written > 0 && written >= backlog[0]!.length) written -= backlog.shift()!.length;
      if (written > 0) backlog[0] = backlog[0]!.subarray(written);
    }
  };
  const write = () => {
    retry = undefined;
    if (!drain()) retry = setTimeout(write, 10).unref();
  };
  const flush = () => {
    take();
    if (!retry) write();
  };
  let exiting = false;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const writeNow = () => {
    take();
    for (const end = Date.now() + EXIT_WAIT_MS; !drain() && Date.now() < end;) Atomics.wait(pause, 0, 0, 10);
  };
  process.on('exit', () => {
    exiting = true; // a line logged by a later exit listener is written at once: no turn comes after
    clearTimeout(retry);
    writeNow();
  });
  stdout = {
    write(line: string) {
      held.push(line);
      if (exiting) writeNow();
      else if (held.length === 1) setImmediate(flush);
    },
  };
  return stdout;
}
