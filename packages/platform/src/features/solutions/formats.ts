import type { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// RFC 3339 date-time as ajv-formats' full mode reads it: one regular expression test, then the calendar and
// leap-second checks on fixed positions. ajv-formats splits and runs two capturing expressions, ~1 µs a call,
// which is a tenth of a record's ingest time when every record carries a timestamp (`npm run bench:files`).
// test/solutions/formats.test.ts holds this to ajv-formats' own answer on generated strings.
const DATE_TIME = /^\d{4}-\d\d-\d\d[t\s]\d\d:\d\d:\d\d(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const two = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

export function isDateTime(s: string): boolean {
  if (!DATE_TIME.test(s)) return false;
  const year = two(s, 0) * 100 + two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && isLeapYear(year) ? 29 : DAYS[month]!)) return false;
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17); // whole seconds; a fraction never takes them past the next one
  let zone = 19;
  if (s.charCodeAt(zone) === 0x2e)
    while (++zone < s.length && s.charCodeAt(zone) <= 0x39 && s.charCodeAt(zone) >= 0x30);
  let sign = 1;
  let zoneHour = 0;
  let zoneMinute = 0;
  if ((s.charCodeAt(zone) | 0x20) !== 0x7a) {
    // not Z: an offset, ±hh, ±hhmm or ±hh:mm
    sign = s.charCodeAt(zone) === 0x2d ? -1 : 1;
    zoneHour = two(s, zone + 1);
    zoneMinute = s.length - zone > 3 ? two(s, s.length - 2) : 0;
  }
  if (zoneHour > 23 || zoneMinute > 59) return false;
  if (hour <= 23 && minute <= 59 && second <= 59) return true;
  // A leap second: 23:59:60 in UTC.
  const utcMinute = minute - zoneMinute * sign;
  const utcHour = hour - zoneHour * sign - (utcMinute < 0 ? 1 : 0);
  return (utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second <= 60;
}

/** The formats of the record schemas: ajv-formats' full set, with the faster date-time above. */
export function addRecordFormats(ajv: Ajv2020): Ajv2020 {
  addFormats.default(ajv);
  return ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
}
