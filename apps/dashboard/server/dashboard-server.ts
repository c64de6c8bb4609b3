import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../../shared/errors/errors';
import { TRADE_CSV_COLUMNS } from '../../../shared/history/journal-export';
import type { TradeLogCursor } from '../../../shared/history/trade-log-repository';
import { csvField } from '../../../shared/analytics/report/csv';
import { tradingDayOf } from '../../../shared/time/trading-calendar';
import { backtestComparePage, backtestDetailPage, backtestListPage, backtestNotFoundPage } from '../html/backtest-pages';
import { operationsPage, performancePage, portfolioPage, tradesPage } from '../html/history-pages';
import { overviewPage, problemPage } from '../html/overview-page';
import { LiveFeed } from '../live/live-feed';
import { SseHub } from '../live/sse-hub';
import { MetricsEndpoint } from '../metrics/prometheus';
import type { DashboardServices } from '../services';
import { buildBacktestCompare, buildBacktestDetail, buildBacktestList, compareIds, detailTradesLimit, parseBacktestListQuery, type BacktestResult } from '../views/backtests';
import { buildOverview } from '../views/overview';
import { PerformanceView } from '../views/performance';
import { buildStatus } from '../views/status';
import { buildOperations, buildPortfolio, buildSnapshots, buildTrades, parseTradesQuery } from '../views/tables';
import { hostAllowed, presentedToken, TOKEN_COOKIE, tokenMatches } from './auth';
import { StaticAssets } from './static-assets';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** Pages and styles come only from this server; no inline script (data travels in a JSON script element). */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * The dashboard's HTTP server (node:http: a dozen routes need no framework). Every page is server-rendered
 * HTML with its data at a JSON URL (Datasette's rule), /api/events streams live updates (SSE), /metrics is
 * for Prometheus. Read-only: GET and HEAD only.
 */
export class DashboardServer {
  readonly hub = new SseHub();
  readonly feed: LiveFeed;
  readonly metrics: MetricsEndpoint;
  private readonly performance: PerformanceView;
  private readonly assets = new StaticAssets();
  private readonly routes = new Map<string, Handler>();
  private server: http.Server | undefined;

  constructor(private readonly s: DashboardServices) {
    this.feed = new LiveFeed(s, this.hub);
    this.metrics = new MetricsEndpoint(s, () => this.hub.size);
    this.performance = new PerformanceView(s);
    this.assets.preload();
    this.defineRoutes();
  }

  /** Listens; rejects with the socket error (EADDRINUSE: another process has the port). */
  listen(): Promise<AddressInfo> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.s.config.dashboard.port, this.s.config.dashboard.host, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /**
   * Computes the all-history figures once in the background, a little after the start, so the first visitor of
   * /performance does not wait for them (most of a second over 100,000 trades).
   */
  warmUp(): void {
    const result = this.performanceData(new URL('http://dashboard.local/performance'));
    if (!result.ok) this.s.log.debug('warm_up_skipped', { problem: result.problem.kind });
  }

  async close(): Promise<void> {
    this.feed.stop();
    this.hub.closeAll();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private defineRoutes(): void {
    const r = this.routes;
    r.set('/', async (_req, res) => this.html(res, overviewPage(await buildOverview(this.s))));
    r.set('/api/overview', async (_req, res) => this.json(res, await buildOverview(this.s)));
    r.set('/api/status', async (_req, res) => this.json(res, await buildStatus(this.s)));
    r.set('/api/events', (req, res) => {
      const client = this.hub.open(req, res, () => this.feed.closed());
      void this.feed.open(client);
    });
    r.set('/api/audit', (_req, res, url) => {
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Math.min(1_000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
      const read = this.s.db.read((repos) => (after > 0 ? repos.audit.after(after, limit) : repos.audit.recent(limit)));
      return read.ok ? this.json(res, { events: read.value }) : this.json(res, { problem: read.problem }, 503);
    });
    r.set('/performance', (_req, res, url) => this.withResult(res, this.performanceData(url), (d) => performancePage(d)));
    r.set('/api/performance', (_req, res, url) => this.withResult(res, this.performanceData(url)));
    r.set('/trades', (_req, res, url) => this.withResult(res, buildTrades(this.s, parseTradesQuery(url.searchParams)), (d) => tradesPage(d)));
    r.set('/api/trades', (_req, res, url) => this.withResult(res, buildTrades(this.s, parseTradesQuery(url.searchParams))));
    r.set('/api/trades.csv', (_req, res, url) => this.tradesCsv(res, url));
    r.set('/portfolio', (_req, res, url) => this.withResult(res, buildPortfolio(this.s, idParam(url)), (d) => portfolioPage(d)));
    r.set('/api/portfolio', (_req, res, url) => this.withResult(res, buildPortfolio(this.s, idParam(url))));
    r.set('/api/snapshots', (_req, res, url) => this.withResult(res, buildSnapshots(this.s, url.searchParams)));
    r.set('/operations', (_req, res) => this.withResult(res, buildOperations(this.s), (d) => operationsPage(d)));
    r.set('/api/operations', (_req, res) => this.withResult(res, buildOperations(this.s)));
    r.set('/backtests', (_req, res, url) => this.withBacktest(res, buildBacktestList(this.s, parseBacktestListQuery(url.searchParams)), backtestListPage));
    r.set('/api/backtests', (_req, res, url) => this.withBacktest(res, buildBacktestList(this.s, parseBacktestListQuery(url.searchParams))));
    r.set('/backtest', (_req, res, url) => this.withBacktest(res, buildBacktestDetail(this.s, idParam(url)), backtestDetailPage));
    r.set('/api/backtest', (_req, res, url) => this.withBacktest(res, buildBacktestDetail(this.s, idParam(url), detailTradesLimit(url.searchParams))));
    r.set('/backtests/compare', (_req, res, url) => this.withBacktest(res, buildBacktestCompare(this.s, compareIds(url.searchParams)), backtestComparePage));
    r.set('/api/backtests/compare', (_req, res, url) => this.withBacktest(res, buildBacktestCompare(this.s, compareIds(url.searchParams))));
    r.set('/api/schedule', (_req, res) => this.withPart(res, 'schedule'));
    r.set('/api/reconciliation', (_req, res) => this.withPart(res, 'reconciliation'));
    r.set('/api/signals', (_req, res) => this.withPart(res, 'signals'));
    r.set('/metrics', async (_req, res) => {
      const body = await this.metrics.scrape();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(body);
    });
    // Browsers ask for it on every page: an empty answer instead of a 404 in their console.
    r.set('/favicon.ico', (_req, res) => {
      res.writeHead(204, { 'Cache-Control': 'public, max-age=86400' });
      res.end();
    });
    r.set('/healthz', (_req, res) => {
      this.s.db.read((repos) => repos.schemaVersion);
      this.json(res, { ok: true, pid: process.pid, db: this.s.db.problem ? { usable: false, kind: this.s.db.problem.kind } : { usable: true }, sseClients: this.hub.size });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.local');
    } catch {
      return this.text(res, 400, 'bad request URL');
    }
    try {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return this.text(res, 405, 'the dashboard is read-only: GET and HEAD only');
      }
      if (!this.authorized(req, res, url)) return;
      const asset = this.assets.get(url.pathname);
      if (asset) {
        if (req.headers['if-none-match'] === asset.etag) {
          res.writeHead(304, { ETag: asset.etag });
          return void res.end();
        }
        res.writeHead(200, { 'Content-Type': asset.contentType, 'Cache-Control': 'public, max-age=300', ETag: asset.etag });
        return void res.end(req.method === 'HEAD' ? undefined : asset.body);
      }
      const route = this.routes.get(url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname);
      if (!route) return this.text(res, 404, `no page at ${url.pathname}: see / (overview), /performance, /trades, /portfolio, /operations, /backtests, /api/status, /metrics`);
      if (req.method === 'HEAD') res.write = () => true; // the same headers as GET, no body
      this.s.broker.interest();
      await route(req, res, url);
    } catch (error) {
      this.s.log.error('request_failed', { path: url.pathname, error: errorMessage(error), stack: (error as Error)?.stack });
      if (!res.headersSent) this.text(res, 500, `internal error: ${errorMessage(error)}`);
      else res.end();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (url.pathname !== '/api/events') this.s.log.debug('request', { method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(ms * 10) / 10 });
    }
  }

  /**
   * With a token configured every request must present it (constant-time compare). A browser's first visit
   * with ?token= gets it as an HttpOnly cookie and is sent to the same URL without it. Without a token the
   * server listens on loopback only and answers loopback host names only.
   */
  private authorized(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const token = this.s.config.dashboard.token;
    if (!token) {
      if (hostAllowed(req)) return true;
      this.text(res, 403, 'this dashboard answers requests for 127.0.0.1 or localhost only (set DASHBOARD_TOKEN to serve other host names)');
      return false;
    }
    const presented = presentedToken(req, url);
    if (!tokenMatches(presented.token, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="ib-daytrader dashboard"');
      this.text(res, 401, 'a token is required: Authorization: Bearer <DASHBOARD_TOKEN>, or open the page once with ?token=<DASHBOARD_TOKEN>');
      return false;
    }
    if (presented.via === 'query') {
      url.searchParams.delete('token');
      res.writeHead(303, {
        'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/${req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : ''}`,
        Location: `${url.pathname}${url.search}`,
      });
      res.end();
      return false;
    }
    return true;
  }

  private performanceData(url: URL) {
    const p = url.searchParams;
    const day = (name: string) => (p.get(name) && /^\d{4}-\d{2}-\d{2}$/.test(p.get(name)!) ? p.get(name)! : undefined);
    const version = this.s.db.read((r) => r.tradeLog.historyVersion());
    if (!version.ok) return { ok: false as const, problem: version.problem };
    return this.performance.build({ from: day('from'), to: day('to'), symbol: p.get('symbol')?.trim().toUpperCase() || undefined, agent: p.get('agent')?.trim() || undefined }, version.value);
  }

  private withPart(res: ServerResponse, part: 'schedule' | 'reconciliation' | 'signals'): void {
    const result = buildOperations(this.s);
    if (!result.ok) return this.json(res, { problem: result.problem }, 503);
    this.json(res, { generatedAt: result.data.generatedAt, [part]: result.data[part] });
  }

  private withResult<T>(res: ServerResponse, result: { ok: true; data: T } | { ok: false; problem: { kind: string; message: string } }, page?: (data: T) => string): void {
    if (!result.ok) {
      if (page) return this.html(res, problemPage(result.problem), 503);
      return this.json(res, { problem: result.problem }, 503);
    }
    if (page) return this.html(res, page(result.data));
    this.json(res, result.data);
  }

  /** Like withResult, and a run that is not stored (or no run named) is a 404 that says where the runs are. */
  private withBacktest<T>(res: ServerResponse, result: BacktestResult<T>, page?: (data: T) => string): void {
    if (!result.ok && 'notFound' in result) {
      if (page) return this.html(res, backtestNotFoundPage(result.notFound), 404);
      return this.json(res, { problem: { kind: 'not-found', message: result.notFound } }, 404);
    }
    this.withResult(res, result, page);
  }

  /**
   * The filtered trade log as CSV (same columns as npm run journal -- export --format csv), streamed in
   * chunks of 2,000 rows with back-pressure: 100,000 rows never sit in memory, and other requests are served
   * between chunks.
   */
  private async tradesCsv(res: ServerResponse, url: URL): Promise<void> {
    const query = parseTradesQuery(url.searchParams);
    let cursor: TradeLogCursor | null = null;
    for (;;) {
      const read = this.s.db.read((r) => r.tradeLog.chunk(query, cursor, 2_000));
      if (!read.ok) {
        if (!res.headersSent) return this.json(res, { problem: read.problem }, 503);
        return void res.destroy(new Error(`database unreadable mid-download: ${read.problem.message}`));
      }
      if (!res.headersSent) {
        res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="trades-${tradingDayOf(this.s.clock.now())}.csv"`, 'Cache-Control': 'no-store' });
        res.write(`${TRADE_CSV_COLUMNS.join(',')}\r\n`);
      }
      const rows = read.value;
      if (rows.length === 0) return void res.end();
      const text = rows.map((t) => [t.positionId, t.symbol, t.agentName, t.direction, t.status, t.quantity, t.entryPrice, t.entryTime, t.exitPrice, t.exitTime,
        t.exitReason, t.commission, t.realizedPnl, t.pnlPct, t.tradingDay, t.source].map(csvField).join(',') + '\r\n').join('');
      const last = rows[rows.length - 1]!;
      cursor = { exitTime: last.exitTime ?? '', id: last.id };
      if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
      if (res.destroyed) return;
    }
  }

  private html(res: ServerResponse, body: string, status = 200): void {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  }

  private json(res: ServerResponse, value: unknown, status = 200): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(value));
  }

  private text(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`${message}\n`);
  }
}

function idParam(url: URL): number | undefined {
  const id = Number(url.searchParams.get('id'));
  return url.searchParams.has('id') && Number.isInteger(id) && id > 0 ? id : undefined;
}
