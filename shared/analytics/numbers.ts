import { mean as ssMean, sampleStandardDeviation } from 'simple-statistics';

/** The JSON-safe form of a number: finite numbers pass, NaN and ±Infinity become null. */
export function finiteOrNull(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

/** a / b, or null when b is 0 or the result is not finite. */
export function ratio(numerator: number | null, denominator: number | null): number | null {
  if (numerator === null || denominator === null || denominator === 0) return null;
  return finiteOrNull(numerator / denominator);
}

/** Arithmetic mean, null for an empty list (simple-statistics throws on empty input). */
export function meanOrNull(values: readonly number[]): number | null {
  return values.length === 0 ? null : finiteOrNull(ssMean(values as number[]));
}

/** Sample standard deviation (ddof = 1, as numpy nanstd(ddof=1) and pandas .std()), null below 2 values. */
export function sampleStdOrNull(values: readonly number[]): number | null {
  return values.length < 2 ? null : finiteOrNull(sampleStandardDeviation(values as number[]));
}

/** Median (average of the middle two for an even count), null for an empty list. */
export function medianOrNull(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
