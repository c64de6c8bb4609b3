/** Percentiles for benchmark output (nearest-rank on a sorted copy). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function summarize(values: readonly number[], digits = 2): { p50: number; p99: number; max: number; n: number } {
  return { p50: round(percentile(values, 50), digits), p99: round(percentile(values, 99), digits), max: round(percentile(values, 100), digits), n: values.length };
}
