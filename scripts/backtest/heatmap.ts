import { escapeXml } from '../../shared/analytics/report/svg-chart';
import type { ParameterPoint } from '../../shared/backtest/parameter-space';

/** The objective over two parameters: each cell the best value over the other parameters (null: none ranked). */
export interface HeatmapMatrix {
  x: string;
  y: string;
  xs: number[];
  ys: number[];
  /** values[yIndex][xIndex] */
  values: Array<Array<number | null>>;
}

export function heatmapMatrix(results: ReadonlyArray<{ point: ParameterPoint; objective: number | undefined }>, x: string, y: string): HeatmapMatrix {
  const xs = [...new Set(results.map((r) => r.point[x]!))].sort((a, b) => a - b);
  const ys = [...new Set(results.map((r) => r.point[y]!))].sort((a, b) => a - b);
  const values = ys.map(() => xs.map(() => null as number | null));
  for (const r of results) {
    if (r.objective === undefined) continue;
    const xi = xs.indexOf(r.point[x]!);
    const yi = ys.indexOf(r.point[y]!);
    const current = values[yi]![xi]!;
    if (current === null || r.objective > current) values[yi]![xi] = r.objective;
  }
  return { x, y, xs, ys, values };
}

const SHADES = [' ', '░', '▒', '▓', '█'];

/** The matrix as text: the values, and a shade per cell (darker is better). */
export function heatmapText(m: HeatmapMatrix, objective: string): string {
  const all = m.values.flat().filter((v): v is number => v !== null);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const text = m.values.map((row) => row.map((v) => {
    if (v === null) return 'n/a';
    const shade = SHADES[hi > lo ? Math.min(4, Math.floor(((v - lo) / (hi - lo)) * 4.999)) : 4]!;
    return `${shade}${v.toFixed(2)}`;
  }));
  const width = Math.max(...m.xs.map((v) => String(v).length), ...text.flat().map((c) => c.length)) + 2;
  const label = Math.max(m.y.length, ...m.ys.map((v) => String(v).length));
  const lines = [`${objective} heatmap (best over the other parameters; darker is better): ${m.y} down, ${m.x} across`];
  lines.push(`${''.padStart(label)} | ${m.xs.map((v) => String(v).padStart(width)).join('')}`);
  lines.push(`${'-'.repeat(label)}-+-${'-'.repeat(width * m.xs.length)}`);
  m.ys.forEach((yv, yi) => lines.push(`${String(yv).padStart(label)} | ${text[yi]!.map((c) => c.padStart(width)).join('')}`));
  return lines.join('\n');
}

/** The matrix as a self-contained HTML page with an SVG heatmap (red worst, green best, grey not ranked). */
export function heatmapHtml(m: HeatmapMatrix, title: string): string {
  const cell = 56, left = 90, top = 40;
  const width = left + cell * m.xs.length + 20;
  const height = top + cell * m.ys.length + 50;
  const all = m.values.flat().filter((v): v is number => v !== null);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const colour = (v: number | null) => {
    if (v === null) return '#e5e5e5';
    const f = hi > lo ? (v - lo) / (hi - lo) : 1;
    return `rgb(${Math.round(207 - 181 * f)},${Math.round(34 + 93 * f)},${Math.round(46 + 9 * f)})`;
  };
  const rects: string[] = [];
  m.ys.forEach((yv, yi) => m.xs.forEach((xv, xi) => {
    const v = m.values[yi]![xi]!;
    const x = left + xi * cell;
    const y = top + (m.ys.length - 1 - yi) * cell;
    rects.push(`<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${colour(v)}"><title>${escapeXml(`${m.x}=${xv}, ${m.y}=${yv}: ${v === null ? 'not ranked' : v.toFixed(4)}`)}</title></rect>`,
      `<text x="${x + cell / 2 - 1}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${v === null ? '#666' : '#fff'}">${v === null ? 'n/a' : escapeXml(v.toFixed(2))}</text>`);
  }));
  const xLabels = m.xs.map((xv, xi) => `<text x="${left + xi * cell + cell / 2}" y="${top + m.ys.length * cell + 16}" text-anchor="middle" font-size="12">${escapeXml(String(xv))}</text>`);
  const yLabels = m.ys.map((yv, yi) => `<text x="${left - 8}" y="${top + (m.ys.length - 1 - yi) * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${escapeXml(String(yv))}</text>`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title></head><body style="font-family:sans-serif">
<h1 style="font-size:18px">${escapeXml(title)}</h1>
<p style="color:#666;font-size:13px">Each cell: the best objective over the other swept parameters; green best, red worst, grey: no point with enough trades.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${rects.join('\n')}
${xLabels.join('\n')}
${yLabels.join('\n')}
<text x="${left + (cell * m.xs.length) / 2}" y="${height - 10}" text-anchor="middle" font-size="13">${escapeXml(m.x)}</text>
<text x="14" y="${top + (cell * m.ys.length) / 2}" font-size="13" transform="rotate(-90 14 ${top + (cell * m.ys.length) / 2})" text-anchor="middle">${escapeXml(m.y)}</text>
</svg></body></html>
`;
}
