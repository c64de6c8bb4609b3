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
export function meanOrNull(values: readonly number[] | Float64Array): number | null {
  // simple-statistics only indexes the array, so a Float64Array gives the same (compensated) sum.
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

/**
 * medianOrNull for a typed array, reordering it IN PLACE: a quickselect puts the middle value in place (the
 * values below it on its left) instead of sorting 100,000 values. The same values come out as sorting would
 * pick, so the median is the same number. Finite values only (NaN has no place in an order).
 */
export function medianInPlaceOrNull(values: Float64Array): number | null {
  const n = values.length;
  if (n === 0) return null;
  const mid = n >> 1;
  const upper = selectInPlace(values, mid);
  if (n % 2 === 1) return upper;
  let lower = values[0]!;
  for (let i = 1; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/** The k-th smallest value (Hoare's FIND): afterwards values[0..k) <= values[k] <= values(k..n). */
function selectInPlace(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    const a = values[lo]!, b = values[(lo + hi) >>> 1]!, c = values[hi]!;
    // The median of three as the pivot: sorted or reversed input stays linear.
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
