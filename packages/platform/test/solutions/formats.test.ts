import { fullFormats } from 'ajv-formats/dist/formats.js';
import { describe, expect, it } from 'vitest';
import { isDateTime } from '../../src/features/solutions/formats.js';

const reference = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;

describe('the date-time format of record schemas', () => {
  it('answers as ajv-formats (full mode) on edge cases', () => {
    const cases = [
      '2026-11-28T10:00:00.000Z',
      '2026-11-28t10:00:00z',
      '2026-11-28 10:00:00+01:00',
      '2026-11-28T10:00:00+0100',
      '2026-11-28T10:00:00+01',
      '2026-11-28T10:00:00',
      '2026-11-28',
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-13-10T00:00:00Z',
      '2026-12-00T00:00:00Z',
      '2026-12-31T24:00:00Z',
      '2026-12-31T23:60:00Z',
      '2016-12-31T23:59:60Z',
      '2016-12-31T23:59:60.999Z',
      '2016-12-31T23:59:61Z',
      '2016-12-31T15:59:60-08:00',
      '2016-12-31T18:29:60-05:30',
      '2017-01-01T00:59:60+01:00',
      '2016-12-31T23:59:60+00:01',
      '2026-11-28T10:00:00+24:00',
      '2026-11-28T10:00:00+01:60',
      '2026-11-28T10:00:00.Z',
      '2026-11-28T10:00:00.5+01:00',
      '2026-11-28T10:00:00Z ',
      ' 2026-11-28T10:00:00Z',
      '2026-11-28\t10:00:00Z',
      '2026-11-28\n10:00:00Z',
      '2026-11-28T10:00:00Z\n',
      '２026-11-28T10:00:00Z',
      '',
      '2026-11-28T10:00:00+01:0',
      '2026-11-28TT10:00:00Z',
      '2026-11-28T10:00:00:00Z',
    ];
    for (const c of cases) expect(isDateTime(c), JSON.stringify(c)).toBe(reference(c));
  });

  it('answers as ajv-formats on 200,000 generated and damaged strings', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const num = (max: number) => String(Math.floor(rand() * (max + 1))).padStart(2, '0');
    const alphabet = '0123456789-:.+zZtT \n\u00a0x';
    let valid = 0;
    for (let i = 0; i < 200_000; i++) {
      const zone = pick(['Z', 'z', '', `+${num(25)}:${num(61)}`, `-${num(25)}${num(61)}`, `+${num(25)}`]);
      const fraction = pick(['', '', `.${Math.floor(rand() * 1000)}`, '.']);
      let s = `${pick(['1900', '2000', '2016', '2024', '2026', '0000'])}-${num(13)}-${num(32)}${pick(['T', 't', ' '])}${num(25)}:${num(61)}:${pick([num(61), '60', '59'])}${fraction}${zone}`;
      if (rand() < 0.2) {
        const at = Math.floor(rand() * (s.length + 1));
        s = s.slice(0, at) + pick([...alphabet]) + s.slice(at + (rand() < 0.5 ? 1 : 0));
      }
      const expected = reference(s);
      if (expected) valid++;
      expect(isDateTime(s), JSON.stringify(s)).toBe(expected);
    }
    expect(valid).toBeGreaterThan(1000); // both answers were seen often
    expect(valid).toBeLessThan(199_000);
  });
});
