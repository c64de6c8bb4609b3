import { plot } from 'asciichart';
import { grouped } from './format';
import type { CurvePoint } from './report-model';

/** Evenly spaced points, first and last kept, so a chart fits a terminal (asciichart draws one column per point). */
export function downsample<T>(points: readonly T[], maxPoints: number): T[] {
  if (points.length <= maxPoints || maxPoints < 2) return [...points];
  const out: T[] = [];
  for (let i = 0; i < maxPoints; i++) out.push(points[Math.round((i * (points.length - 1)) / (maxPoints - 1))]!);
  return out;
}

/** The equity curve as an asciichart plot, or a one-line note when there is nothing to draw. */
export function asciiEquityChart(curve: readonly CurvePoint[], options: { height?: number; width?: number } = {}): string {
  if (curve.length < 2) return '(no equity change to chart in this period)';
  const values = downsample(curve, options.width ?? 72).map((p) => p.equity);
  const chart = plot(values, {
    height: options.height ?? 10,
    format: (x: number) => grouped(x, 0).padStart(12),
  });
  return `${chart}\n${' '.repeat(13)}${curve[0]!.label} → ${curve[curve.length - 1]!.label}`;
}
