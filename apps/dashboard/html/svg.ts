import { esc, raw, type RawHtml } from './format';

/**
 * Charts for browsers without JavaScript: small inline SVGs drawn on the server. With JavaScript the page
 * replaces them with interactive uPlot charts from the same data.
 */
export function svgLine(values: ReadonlyArray<number | null>, options: { width?: number; height?: number; label: string; baseline?: number | null }): RawHtml {
  const width = options.width ?? 640;
  const height = options.height ?? 160;
  const points = values.map((v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]));
  if (points.length < 2) return raw(`<svg class="chart-fallback" width="${width}" height="${height}" role="img" aria-label="${esc(options.label)}"><text x="8" y="${height / 2}">not enough data to draw</text></svg>`);
  const step = Math.max(1, Math.ceil(points.length / 1000));
  const sampled = points.filter((_, i) => i % step === 0 || i === points.length - 1);
  const ys = sampled.map((p) => p[1]);
  if (options.baseline !== undefined && options.baseline !== null) ys.push(options.baseline);
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const span = max - min || 1;
  const lastX = points[points.length - 1]![0] || 1;
  const x = (i: number) => ((i / lastX) * (width - 8) + 4).toFixed(1);
  const y = (v: number) => (height - 4 - ((v - min) / span) * (height - 8)).toFixed(1);
  const line = sampled.map((p) => `${x(p[0])},${y(p[1])}`).join(' ');
  const base = options.baseline !== undefined && options.baseline !== null
    ? `<line class="baseline" x1="0" x2="${width}" y1="${y(options.baseline)}" y2="${y(options.baseline)}"/>`
    : '';
  return raw(`<svg class="chart-fallback" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.label)}">${base}<polyline points="${line}"/><text x="4" y="12">${esc(max.toFixed(2))}</text><text x="4" y="${height - 6}">${esc(min.toFixed(2))}</text></svg>`);
}

export function svgBars(values: readonly number[], options: { width?: number; height?: number; label: string }): RawHtml {
  const width = options.width ?? 640;
  const height = options.height ?? 120;
  if (values.length === 0) return raw(`<svg class="chart-fallback" width="${width}" height="${height}" role="img" aria-label="${esc(options.label)}"><text x="8" y="${height / 2}">no days yet</text></svg>`);
  const shown = values.slice(-250);
  const maxAbs = Math.max(...shown.map((v) => Math.abs(v)), 1);
  const barWidth = width / shown.length;
  const mid = height / 2;
  const bars = shown.map((v, i) => {
    const h = (Math.abs(v) / maxAbs) * (mid - 2);
    return `<rect class="${v >= 0 ? 'up' : 'down'}" x="${(i * barWidth).toFixed(1)}" y="${(v >= 0 ? mid - h : mid).toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${h.toFixed(1)}"/>`;
  }).join('');
  return raw(`<svg class="chart-fallback" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.label)}"><line class="baseline" x1="0" x2="${width}" y1="${mid}" y2="${mid}"/>${bars}</svg>`);
}
