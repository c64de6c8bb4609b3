import { html, raw, type RawHtml } from './format';

export type PageName = 'overview' | 'performance' | 'trades' | 'portfolio' | 'operations' | 'backtests';

const NAV: Array<[PageName, string, string]> = [
  ['overview', '/', 'Overview'],
  ['performance', '/performance', 'Performance'],
  ['trades', '/trades', 'Trades'],
  ['portfolio', '/portfolio', 'Portfolio'],
  ['operations', '/operations', 'Operations'],
  ['backtests', '/backtests', 'Backtests'],
];

export interface PageOptions {
  page: PageName;
  title: string;
  /** Where the same data is as JSON (Datasette's rule: every page has its JSON URL). */
  jsonUrl: string;
  body: RawHtml;
  /** Data for the charts and the live updates, embedded so the first load needs no second request. */
  data?: unknown;
  /** The page follows the live feed (SSE) when JavaScript runs. */
  live?: boolean;
  /** Shown in the header: mode and market clock. */
  headline?: RawHtml;
}

/**
 * The one page frame: server-rendered, complete without JavaScript (tables, inline SVG charts, links). With
 * JavaScript, dashboard.js draws the charts with uPlot from the embedded data and applies live updates.
 * Everything is served by this process: no CDN, no inline script (the CSP forbids it).
 */
export function layout(options: PageOptions): string {
  const nav = NAV.map(([name, href, label]) => html`<a href="${href}"${raw(name === options.page ? ' aria-current="page"' : '')}>${label}</a>`);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ib-daytrader</title>
<link rel="stylesheet" href="/assets/uplot.css">
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/uplot.js" defer></script>
<script src="/assets/dashboard.js" defer></script>
</head>
<body data-page="${options.page}"${raw(options.live ? ' data-live="1"' : '')}>
<header class="top">
<span class="brand">ib-daytrader</span>
<nav>${nav}</nav>
<span class="headline" id="headline-box">${options.headline ?? ''}</span>
<span id="live-state" class="live-state" title="Live updates (Server-Sent Events)">${options.live ? 'static (JavaScript off)' : ''}</span>
</header>
<main>
${options.body}
</main>
<footer>
<p>Same data as JSON: <a href="${options.jsonUrl}">${options.jsonUrl}</a> · <a href="/api/status">/api/status</a> (npm run status -- --json) · <a href="/metrics">/metrics</a> (Prometheus) · read-only: this page never changes trading state.</p>
</footer>
<script type="application/json" id="page-data">${raw(jsonForScript(options.data ?? null))}</script>
</body>
</html>
`;
  return page.text;
}

/** Chart points as the page's script reads them: [snapshot id, market time (epoch s), NAV, drawdown %], a third of the objects' size. */
export type ChartPoint = [number, number, number, number];

export function chartPoints(points: ReadonlyArray<{ id: number; takenAt: string; nav: number; drawdownPct: number }>): ChartPoint[] {
  return points.map((p) => [p.id, Date.parse(p.takenAt) / 1000, Math.round(p.nav * 100) / 100, Math.round(p.drawdownPct * 10_000) / 10_000]);
}

/** JSON safe inside a <script> element: no "</script>", no "<!--". */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function section(id: string, title: string, body: RawHtml, extraClass = ''): RawHtml {
  return html`<section id="${id}" class="panel ${extraClass}"><h2>${title}</h2><div class="panel-body" id="${id}-body">${body}</div></section>`;
}
