import { describe, expect, it } from 'vitest';
import { JsonArraySplitter } from '../../src/infra/ingest/json-array.js';

/** Feeds `text` in chunks of `size` bytes; returns the elements, or 'error'. An element whose offset and length do
 * not point at its own text in the input, or called compact wrongly, shows as a marker that no reference has. */
function split(text: string, size: number, empties = false): unknown[] | 'error' {
  const got: unknown[] = [];
  const bytes = Buffer.from(text);
  const splitter = new JsonArraySplitter((v, _i, bytesOfIt, offset, compact) => {
    const raw = bytesOfIt.toString('utf8');
    const length = bytesOfIt.length;
    const spaced = /\s/.test(raw.trim().replace(/"(?:[^"\\]|\\.)*"/g, ''));
    got.push(
      bytes.subarray(offset, offset + length).toString('utf8') !== raw
        ? '<offset or length wrong>'
        : compact === spaced
          ? '<compact wrong>'
          : v,
    );
  });
  try {
    for (let i = 0; i < bytes.length; i += size) {
      splitter.write(bytes.subarray(i, i + size));
      if (empties) splitter.write(Buffer.alloc(0)); // an object-mode stream may hand over empty chunks
    }
    splitter.end();
    return got;
  } catch {
    return 'error';
  }
}

/** What the splitter must agree with: JSON.parse of the whole text, when it is an array. */
function reference(text: string): unknown[] | 'error' {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v : 'error';
  } catch {
    return 'error';
  }
}

describe('the streaming JSON array splitter', () => {
  const cases = [
    '[]',
    ' [ ]\n',
    '[1,2]',
    '[{"a":"x,]}\\""},[1,[2]]]',
    '["a\\\\"]',
    '["\\\\\\"x"]',
    '[{"é":"naïve ☕"}]',
    '[1 2]',
    '[1,,2]',
    '[1,2,]',
    '[1,2] x',
    '[1,2',
    '{}',
    '',
    '[',
    '["unterminated]',
  ];
  for (const text of cases) {
    it(`agrees with JSON.parse on ${JSON.stringify(text)}, whatever the chunk size`, () => {
      for (const size of [1, 2, 3, 5, 1024]) expect(split(text, size), `chunks of ${size}`).toEqual(reference(text));
      expect(split(text, 1, true), 'chunks of 1 between empty ones').toEqual(reference(text));
    });
  }

  it('agrees with JSON.parse on thousands of generated and damaged arrays', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const tricky = ['\\', '"', ',', ']', '}', '[', '{', 'é', '\n'];
    for (let t = 0; t < 3000; t++) {
      const value = Array.from({ length: Math.floor(rand() * 4) }, () => ({
        s: `${rand()}${tricky[Math.floor(rand() * tricky.length)]}`,
        n: [1, { x: '\\\\' }],
        b: rand() < 0.5,
      }));
      let text = JSON.stringify(value, null, rand() < 0.3 ? 1 : undefined);
      if (rand() < 0.3) {
        const at = Math.floor(rand() * text.length);
        text = text.slice(0, at) + text.slice(at + 1); // damage it
      }
      const size = 1 + Math.floor(rand() * 9);
      expect(split(text, size), `${JSON.stringify(text)} in chunks of ${size}`).toEqual(reference(text));
    }
  });

  it('refuses exactly the elements that hold a number past a double, whatever the chunk size', () => {
    // JSON.parse reads 1e400 as Infinity: such an array is an error, any other as JSON.parse reads it.
    const finiteOrError = (text: string): unknown[] | 'error' => {
      const parsed = reference(text);
      const infinite = (v: unknown): boolean =>
        typeof v === 'number'
          ? !Number.isFinite(v)
          : typeof v === 'object' && v !== null && Object.values(v).some(infinite);
      return parsed !== 'error' && infinite(parsed) ? 'error' : parsed;
    };
    const digits = (n: number) => '9'.repeat(n);
    const numbers = [
      '0',
      '-7',
      '12.5',
      '1e5',
      '1E+308',
      '1.7e308',
      '1.8e308',
      '1e309',
      '-2e400',
      '1E400',
      '1.5e-400',
      '2e0400',
      digits(308),
      digits(309),
      `-${digits(320)}`,
      `0.${digits(400)}`,
      `${digits(200)}.${digits(200)}`,
      `${digits(200)}e100`,
      `${digits(200)}e200`,
      `${digits(300)}e9`, // past a double with a one-digit exponent
      `-${digits(300)}E+9`,
      'true',
      'false',
      'null',
      // Not numbers: the text of one inside a string.
      '"1e400"',
      `"${digits(400)}"`,
      '"true 1e999"',
    ];
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = () => numbers[Math.floor(rand() * numbers.length)]!;
    let refused = 0;
    for (let t = 0; t < 2000; t++) {
      const elements = Array.from({ length: 1 + Math.floor(rand() * 3) }, () =>
        rand() < 0.5 ? pick() : `{"a":${pick()},"b":[${pick()},{"c":${pick()}}]}`,
      );
      const text = `[${elements.join(rand() < 0.5 ? ',' : ' ,\n ')}]`;
      const expected = finiteOrError(text);
      if (expected === 'error') refused++;
      for (const size of [1 + Math.floor(rand() * 9), 1024])
        expect(split(text, size), `${text} in chunks of ${size}`).toEqual(expected);
      expect(split(text, 1 + Math.floor(rand() * 3), true), `${text} with empty chunks`).toEqual(expected);
    }
    expect(refused).toBeGreaterThan(200); // both kinds were tried
    expect(refused).toBeLessThan(1800);
  });
});
