/**
 * Money in the books: whole pence, integers end to end. Files carry pounds as JSON numbers (the solution's
 * schemas say so); they become pence once, on the way in, and pounds again only when a file is written.
 */

/**
 * Pence from an amount in pounds, or undefined when it is not a whole number of pence: the number as JSON gave it
 * (JavaScript prints the shortest form that reads back the same double) has at most two decimals. Then
 * Math.round(pounds × 100) is exact (19.99 × 100 is 1998.9999999999998, which rounds to 1999).
 */
export function toPence(pounds: number): number | undefined {
  if (!Number.isFinite(pounds) || !/^-?\d+(\.\d{1,2})?$/.test(String(pounds))) return undefined;
  const pence = Math.round(pounds * 100);
  return Math.abs(pence) <= MAX_PENCE ? pence : undefined;
}

/** £1,000,000,000,000: far beyond any order, and far inside the integers a double holds exactly. */
export const MAX_PENCE = 100_000_000_000_000;

/** Pounds for a file: an integer of pence divided by 100 gives the nearest double, which prints with ≤ 2 decimals. */
export const toPounds = (pence: number): number => pence / 100;

/** Basis points from a percentage rate (20 → 2000), or undefined for a rate finer than 0.01%. */
export function toBasisPoints(percent: number): number | undefined {
  return toPence(percent); // the same scale: hundredths
}

/**
 * The VAT of one line, rounded once, to the nearest penny with halves rounded up (HMRC's VAT Notice 700 §17.5
 * allows rounding to the nearest penny per line). Integers only: net pence × basis points, then one division.
 */
export function lineVat(netPence: number, rateBp: number): number {
  if (netPence < 0 || rateBp < 0) throw new RangeError('lineVat takes amounts and rates from 0');
  return Math.floor((netPence * rateBp + 5_000) / 10_000);
}

/** £1,234.50 */
export const formatPounds = (pence: number): string =>
  new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' }).format(pence / 100);
