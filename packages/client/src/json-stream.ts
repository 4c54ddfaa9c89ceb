// Streamed JSON over the Fetch API's ReadableStream: one record at a time, never the whole file in memory.

/** The chunks of a stream; the stream is cancelled if the reader stops early. */
export async function* chunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) return void (done = true);
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The elements of a JSON array, parsed one by one as their text completes. */
export async function* jsonArray<T>(stream: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let depth = 0;
  let inString = false;
  let escaped = false;
  let closed = false;
  let pending = ''; // the start of the current element, from earlier chunks
  for await (const chunk of chunks(stream)) {
    const text = decoder.decode(chunk, { stream: true });
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '[' || c === '{') {
        if (depth++ === 0) {
          if (c !== '[') throw new SyntaxError('expected a JSON array');
          from = i + 1;
        }
      } else if (c === ']' || c === '}' || (c === ',' && depth === 1)) {
        if (c !== ',') depth--;
        if (depth <= 1 && c !== '}' && !(c === ']' && depth === 1)) {
          const element = pending + text.slice(from, i);
          pending = '';
          from = i + 1;
          if (element.trim()) yield JSON.parse(element) as T;
          if (depth === 0) closed = true;
        }
      } else if (depth === 0 && !/\s/.test(c)) throw new SyntaxError('expected a JSON array');
    }
    if (depth > 0) pending += text.slice(from);
  }
  if (!closed) throw new SyntaxError('the JSON array ended early');
}

/** The lines of NDJSON, parsed. */
export async function* ndjson<T>(stream: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let carry = '';
  for await (const chunk of chunks(stream)) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop()!;
    for (const line of lines) if (line.trim()) yield JSON.parse(line) as T;
  }
  if (carry.trim()) yield JSON.parse(carry) as T;
}

/** A JSON array's bytes, written as the records come (for uploads from an iterable). */
export function jsonArrayStream(records: AsyncIterable<unknown> | Iterable<unknown>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = Symbol.asyncIterator in records ? records[Symbol.asyncIterator]() : records[Symbol.iterator]();
  let first = true;
  return new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(encoder.encode('[')),
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) {
        controller.enqueue(encoder.encode(']'));
        return controller.close();
      }
      controller.enqueue(encoder.encode(`${first ? '' : ','}${JSON.stringify(next.value)}`));
      first = false;
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
