import { isUtf8 } from 'node:buffer';

/** An element the splitter refuses although it may be JSON: too large, not UTF-8, or holding a number past a double. */
export class ElementError extends SyntaxError {
  constructor(
    readonly kind: 'too-large' | 'not-utf8' | 'not-finite',
    /** JSON Pointer to the element (or the number in it) from the array. */
    readonly pointer: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Splits a streamed JSON array into its elements, each handed over as parsed JSON, without holding more than one
 * element in memory. The scan only finds where each top-level element ends (tracking strings, escapes and
 * nesting); every element is then parsed by the engine's own JSON.parse, which is strict, so any malformed
 * element, a missing or doubled comma, or anything after the closing bracket is an error.
 *
 * Not a streaming parser from npm: those tokenize every value in JavaScript. On a 100 MB products file here,
 * stream-json's array streamer parsed 14 MB/s and @streamparser/json 32 MB/s, against 96 MB/s for this split
 * and JSON.parse, where ingest is to reach 50 MB/s with validation (issue 5). A property test holds it to
 * JSON.parse on thousands of generated and damaged arrays (test/infra/json-array.test.ts).
 *
 * An element longer than `maxElementBytes` is refused as soon as that many of its bytes have arrived, so that
 * no more than that is ever held; an element must be UTF-8 and its numbers finite (`1e400` parses as Infinity).
 */
export class JsonArraySplitter {
  #state: 'before' | 'element' | 'after' = 'before';
  #depth = 0;
  #inString = false;
  #escaped = false;
  #carry: Buffer[] = [];
  #carried = 0;
  #sawElement = false;
  #index = 0;
  #position = 0;
  #elementStart = 0;
  #spaced = false;
  /** Digits in a row outside strings, and whether the element has a number that may be past a double. */
  #digits = 0;
  #mayOverflow = false;

  /**
   * `raw` is the element's own bytes, as they were sent, from byte `offset` of the stream (valid only during the
   * call); `compact` when it has no whitespace but around it and in strings.
   */
  constructor(
    private readonly onElement: (value: unknown, index: number, raw: Buffer, offset: number, compact: boolean) => void,
    private readonly maxElementBytes = Infinity,
  ) {}

  get ended(): boolean {
    return this.#state === 'after';
  }

  write(chunk: Buffer): void {
    let start = 0;
    let i = 0;
    if (this.#escaped && chunk.length > 0) {
      // The chunk before ended on a backslash: this chunk's first character is escaped (an empty chunk has none).
      this.#escaped = false;
      i = 1;
    }
    for (; i < chunk.length; i++) {
      if (this.#state === 'element') {
        if (this.#inString) {
          // To the closing quote, stepping over each escaped character. A loop here beats Buffer.indexOf, whose
          // call costs more than the few bytes of a typical string (measured: a third less time to split).
          const length = chunk.length;
          for (; i < length; i++) {
            const d = chunk[i];
            if (d === 0x22) break;
            if (d === 0x5c) i++;
          }
          if (i >= length) {
            this.#escaped = i > length; // the chunk ended on a backslash
            break;
          }
          this.#inString = false;
          continue;
        }
        const c = chunk[i]!;
        // Only a number with an exponent, or 309 digits in a row, can overflow a double: such an element is walked
        // after parsing. Outside strings an e or E follows a digit only in an exponent (true and false have theirs
        // after letters). Counted here, in the scan, rather than by a regular expression over every element's text,
        // which took a tenth of ingest.
        if (c >= 0x30 && c <= 0x39) {
          if (++this.#digits >= 309) this.#mayOverflow = true;
          continue;
        }
        if ((c === 0x65 || c === 0x45) && this.#digits > 0) this.#mayOverflow = true;
        this.#digits = 0;
        if (c === 0x22)
          this.#inString = true; // "
        else if (c === 0x5b || c === 0x7b)
          this.#depth++; // [ {
        else if (c === 0x5d || c === 0x7d) {
          // ] }
          if (this.#depth > 0) this.#depth--;
          else {
            this.#emit(chunk, start, i, true); // the closing bracket of the array
            this.#state = 'after';
          }
        } else if (c === 0x2c && this.#depth === 0) {
          this.#emit(chunk, start, i, false); // ,
          start = i + 1;
          this.#elementStart = this.#position + start;
        } else if (c <= 0x20 && this.#depth > 0) this.#spaced = true;
        continue;
      }
      const c = chunk[i]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (this.#state === 'before' && c === 0x5b) {
        this.#state = 'element';
        start = i + 1;
        this.#elementStart = this.#position + start;
        continue;
      }
      throw new SyntaxError(`Unexpected ${JSON.stringify(String.fromCharCode(c))} at position ${this.#position + i}`);
    }
    if (this.#state === 'element') {
      this.#carry.push(chunk.subarray(start));
      this.#carried += chunk.length - start;
      if (this.#carried > this.maxElementBytes) this.#tooLarge();
    }
    this.#position += chunk.length;
  }

  /** Throws when the array was not closed. */
  end(): void {
    if (this.#state !== 'after') throw new SyntaxError(`Unexpected end of JSON at position ${this.#position}`);
  }

  #emit(chunk: Buffer, start: number, end: number, closing: boolean): void {
    const part = chunk.subarray(start, end);
    if (this.#carried + part.length > this.maxElementBytes) this.#tooLarge();
    const bytes = this.#carry.length === 0 ? part : Buffer.concat([...this.#carry, part]);
    this.#carry = [];
    this.#carried = 0;
    if (!isUtf8(bytes))
      throw new ElementError('not-utf8', `/${this.#index}`, `Element ${this.#index} is not valid UTF-8`);
    const text = bytes.toString('utf8');
    if (closing && !this.#sawElement && text.trim() === '') return; // []
    this.#sawElement = true;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new SyntaxError(`Element ${this.#index} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (this.#mayOverflow) {
      this.#mayOverflow = false;
      const at = nonFinite(value);
      if (at !== undefined)
        throw new ElementError(
          'not-finite',
          `/${this.#index}${at}`,
          `Element ${this.#index} holds a number too large for a double at ${at || '/'}`,
        );
    }
    const compact = !this.#spaced;
    this.#spaced = false;
    this.onElement(value, this.#index++, bytes, this.#elementStart, compact);
  }

  #tooLarge(): never {
    this.#carry = []; // let go of what was held at once
    throw new ElementError(
      'too-large',
      `/${this.#index}`,
      `Element ${this.#index} is larger than ${this.maxElementBytes} bytes`,
    );
  }
}

/** The pointer (within the value) of its first number that is not finite, if any; iterative, for deep values. */
function nonFinite(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return at;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}/${i}`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v))
        stack.push([child, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
    }
  }
  return undefined;
}
