import { downsample } from './ascii-chart';
import { grouped } from './format';
import type { CurvePoint } from './report-model';

const XML_SPECIAL = /[&<>"']/;

export function escapeXml(text: string): string {
  // Most cells (numbers, symbols, times) have nothing to escape: one test instead of five replaces.
  if (!XML_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * The equity curve as a self-contained inline SVG: a polyline over a dashed line at the opening equity,
 * min / max labels on the y axis and the first / last label on the x axis. At most 1,000 points are drawn.
 */
export function svgEquityChart(curve: readonly CurvePoint[], options: { width?: number; height?: number } = {}): string {
  const width = options.width ?? 800;
  const height = options.height ?? 260;
  const left = 90, right = 20, top = 20, bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="equity-chart" role="img" aria-label="Equity curve" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`;
  if (curve.length < 2) {
    return `${open}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="14" fill="#666">No equity change to chart in this period</text></svg>`;
  }
  const points = downsample(curve, 1_000);
  let min = Infinity, max = -Infinity;
  for (const p of points) {
    min = Math.min(min, p.equity);
    max = Math.max(max, p.equity);
  }
  if (max - min < 1e-9) {
    min -= 1;
    max += 1;
  }
  const x = (i: number) => left + (points.length === 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => top + plotH - ((v - min) / (max - min)) * plotH;
  const poly = points.map((p, i) => `${x(i).toFixed(1)},${y(p.equity).toFixed(1)}`).join(' ');
  const baseline = y(points[0]!.equity).toFixed(1);
  const last = points[points.length - 1]!;
  const colour = last.equity >= points[0]!.equity ? '#1a7f37' : '#cf222e';
  const fmt = (v: number) => grouped(v, 0);
  return [
    open,
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>`,
    `<line x1="${left}" y1="${baseline}" x2="${left + plotW}" y2="${baseline}" stroke="#999" stroke-dasharray="4 4"/>`,
    `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${poly}"/>`,
    `<text x="${left - 8}" y="${top + 5}" text-anchor="end" font-size="12">${fmt(max)}</text>`,
    `<text x="${left - 8}" y="${top + plotH}" text-anchor="end" font-size="12">${fmt(min)}</text>`,
    `<text x="${left}" y="${height - 15}" font-size="12">${escapeXml(points[0]!.label)}</text>`,
    `<text x="${left + plotW}" y="${height - 15}" text-anchor="end" font-size="12">${escapeXml(last.label)}</text>`,
    '</svg>',
  ].join('\n');
}
