import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { Heartbeat, PortfolioSnapshot, PortfolioSnapshotsRepository } from '../../../shared/db';
import { COUNTERS, HISTOGRAMS, parseProcessMetrics, type CounterName, type HistogramName, type ProcessMetricsSnapshot } from '../../../shared/metrics/process-metrics';
import { readDatabaseSnapshotFrom } from '../../../scripts/status/database-snapshot';
import type { DbSnapshot, StatusReport } from '../../../scripts/status/status-model';
import type { DashboardServices } from '../services';
import { BOT_APPS } from '../views/freshness';
import { buildStatus } from '../views/status';

/** The one prefix of every metric of this system (Prometheus naming: one prefix, base units, _total for counters). */
export const PREFIX = 'ibdt_';

interface ScrapeModel {
  status: StatusReport;
  db: DbSnapshot;
  latestSnapshot: PortfolioSnapshot | null;
  /** Last prices of the latest snapshot, for positions the broker view has no quote for. */
  snapshotPrices: Map<string, number>;
  supervisorRestarts: Map<string, number>;
  /** Each bot's newest beat (row or liveness file, whichever is newer) and what it published. */
  beats: Map<string, { beatAtMs: number; loopLagMs: number; waitingForDbLockSinceMs: number | null; metrics: ProcessMetricsSnapshot | undefined }>;
  sseClients: number;
}

/**
 * /metrics: the whole system in one scrape. The trading state comes from the DB (read-only, one read
 * transaction) and the dashboard's broker view, the process table from PM2, and each process's own figures
 * (orders, rejects, fill → protection latency, scan durations, DB lock waits) from what it publishes with
 * its heartbeat (shared/metrics/process-metrics.ts): the heartbeat row, or the liveness file beside the DB
 * when that is newer (while another process holds the DB's write lock, the rows stop but the files go on).
 */
export class MetricsEndpoint {
  readonly registry = new Registry();
  private model: ScrapeModel | undefined;
  private readonly gauges = new Map<string, Gauge<string>>();
  private readonly counters = new Map<string, Counter<string>>();

  constructor(private readonly s: DashboardServices, private readonly sseClients: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: `${PREFIX}dashboard_` });
    // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool check metrics says so).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(`${PREFIX}dashboard_${name}`);
    this.defineTradingMetrics();
    this.defineProcessFigures();
  }

  /** Reads every source once, then renders the registry (Prometheus text format 0.0.4). */
  async scrape(): Promise<string> {
    const read = this.s.db.read((r) => ({
      db: readDatabaseSnapshotFrom(r.db, r.path, this.s.clock),
      latestSnapshot: r.snapshots?.latest() ?? null,
      snapshotPrices: snapshotPricesOf(r.snapshots),
      supervisorRestarts: r.audit.countByField('bot_restarted', 'target'),
    }));
    const db: DbSnapshot = read.ok ? read.value.db : { usable: false, path: this.s.db.path, problem: read.problem };
    const status = await buildStatus(this.s, db);
    this.model = {
      status, db,
      latestSnapshot: read.ok ? read.value.latestSnapshot : null,
      snapshotPrices: read.ok ? read.value.snapshotPrices : new Map(),
      supervisorRestarts: read.ok ? read.value.supervisorRestarts : new Map(),
      beats: this.beats(db.usable ? db.heartbeats : []),
      sseClients: this.sseClients(),
    };
    this.fill(this.model);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private beats(rows: Heartbeat[]): ScrapeModel['beats'] {
    const out: ScrapeModel['beats'] = new Map();
    // The bots, and whatever else writes a heartbeat (the notifier): each publishes its figures the same way.
    for (const app of new Set<string>([...BOT_APPS, ...rows.map((r) => r.app)])) {
      const row = rows.find((h) => h.app === app);
      let file;
      try {
        file = this.s.liveness.read(app);
      } catch {
        file = undefined; // unreadable liveness file: the row alone speaks, as for the supervisor
      }
      const newest = file && (!row || file.beatAtMs >= row.beatAtMs) ? file : row;
      if (!newest) continue;
      out.set(app, {
        beatAtMs: newest.beatAtMs,
        loopLagMs: newest.loopLagMs,
        waitingForDbLockSinceMs: file && Date.now() - file.beatAtMs < this.s.config.supervisor.heartbeatStaleMs ? file.waitingForDbLockSinceMs : null,
        metrics: parseProcessMetrics(newest.detail.metrics),
      });
    }
    return out;
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
    const gauge = new Gauge({ name: `${PREFIX}${name}`, help, labelNames, registers: [this.registry] });
    this.gauges.set(name, gauge);
    return gauge;
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    const counter = new Counter({ name: `${PREFIX}${name}`, help, labelNames, registers: [this.registry] });
    this.counters.set(name, counter);
    return counter;
  }

  private defineTradingMetrics(): void {
    this.gauge('up', 'Process running: PM2 says online and, for the bots, a fresh heartbeat (1) or not (0)', ['app']);
    this.gauge('process_heartbeat_age_seconds', 'Real seconds since the process\'s newest heartbeat (DB row or liveness file)', ['app']);
    this.counter('process_restarts_total', 'Restarts of the process as PM2 counts them', ['app']);
    this.counter('supervisor_restarts_total', 'Restarts the supervisor ordered (hung or dead bots), from the audit trail', ['app']);
    this.gauge('process_resident_memory_bytes', 'Resident memory of the process', ['app']);
    this.counter('process_cpu_seconds_total', 'CPU time (user + system) the process reported with its heartbeat', ['app']);
    this.gauge('process_event_loop_lag_seconds', 'Largest event-loop delay of the process in its last heartbeat interval', ['app']);
    this.gauge('broker_connected', 'The process\'s link to the gateway is up (1) or not (0)', ['app']);
    this.gauge('exit_manager_protecting', 'The exit manager verified protection on complete broker snapshots and is watching (1)');
    this.gauge('trading_halted', 'A trading halt (emergency liquidation) is active (1)');
    this.gauge('market_data_state', 'The market data the day-trader gets (1 for the current state)', ['state']);
    this.gauge('db_readable', 'The dashboard could read the shared DB at this scrape (1)');
    this.gauge('db_write_blocked_seconds', 'How long the process\'s DB writes have been refused by another process\'s write lock (0: not blocked)', ['app']);
    this.gauge('positions', 'The bots\' active positions by status', ['status']);
    this.gauge('open_positions', 'Positions holding shares (bots\' rows with a non-zero quantity)');
    this.gauge('unprotected_positions', 'Positions held without working protection past the grace period (UNPROTECTED or PROTECTION_MISSING)');
    this.gauge('unprotected_position_max_age_seconds', 'Longest time an open position of the bots has been without protection (real seconds; 0 when none)');
    this.gauge('exposure_usd', 'Gross market value of the bots\' positions (|shares| x last price)');
    this.gauge('net_liquidation_usd', 'The account\'s net liquidation (broker view, else the latest portfolio snapshot)');
    this.gauge('realized_pnl_usd', 'The bots\' realized P&L of the trading day (closed rows, after commissions)');
    this.gauge('unrealized_pnl_usd', 'Unrealized P&L of the bots\' open positions at the last prices');
    this.gauge('daily_loss_limit_usd', 'The loss that stops entries for the day (DAILY_LOSS_LIMIT_PCT of net liquidation)');
    this.gauge('daily_loss_limit_headroom_usd', 'How much more can be lost today before entries stop (negative: limit hit)');
    this.gauge('daily_loss_limit_used_ratio', 'Day P&L as a share of the daily loss limit (0 at break-even or better, 1 at the limit)');
    this.gauge('nav_usd', 'NAV of the latest portfolio snapshot');
    this.gauge('nav_peak_usd', 'NAV high-water mark (kept in the DB across restarts)');
    this.gauge('drawdown_ratio', 'Drawdown of the latest snapshot from the high-water mark (<= 0)');
    this.gauge('nav_difference_usd', 'IB\'s net liquidation minus our own books at the latest snapshot');
    this.gauge('portfolio_snapshot_age_seconds', 'Real seconds since the latest portfolio snapshot');
    this.gauge('reconciliation_discrepancies', 'Discrepancies the latest reconciliation found');
    this.gauge('reconciliation_flagged', 'Discrepancies of the latest reconciliation left for a person');
    this.gauge('reconciliation_status', 'Outcome of the latest reconciliation (1 for its status)', ['status']);
    this.gauge('reconciliation_age_seconds', 'Real seconds since the latest reconciliation (market time divided by the clock speed)');
    this.gauge('trades_closed_today', 'Positions closed this trading day by exit reason', ['reason']);
    this.gauge('alerts', 'Alerts the status console shows now (unprotected positions, processes, sources)');
    this.gauge('dashboard_sse_clients', 'Browsers following the dashboard\'s live feed');
  }

  private defineProcessFigures(): void {
    for (const [name, def] of Object.entries(COUNTERS)) this.counter(`${name}_total`, def.help, ['app', def.label]);
    for (const name of Object.keys(HISTOGRAMS) as HistogramName[]) this.registry.registerMetric(this.histogram(name));
  }

  /** A histogram whose buckets are the processes' own (summed by nobody: one series per app). */
  private histogram(name: HistogramName): Metric<string> {
    const full = `${PREFIX}${name}`;
    const metric = {
      name: full, help: HISTOGRAMS[name].help, type: 'histogram', aggregator: 'sum',
      get: async () => {
        const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
        for (const [app, beat] of this.model?.beats ?? []) {
          const h = beat.metrics?.histograms[name];
          if (!h) continue;
          let cumulative = 0;
          h.buckets.forEach((bound, i) => {
            cumulative += h.counts[i] ?? 0;
            values.push({ labels: { app, le: bound }, value: cumulative, metricName: `${full}_bucket` });
          });
          values.push({ labels: { app, le: '+Inf' }, value: h.count, metricName: `${full}_bucket` });
          values.push({ labels: { app }, value: h.sum, metricName: `${full}_sum` });
          values.push({ labels: { app }, value: h.count, metricName: `${full}_count` });
        }
        return { name: full, help: HISTOGRAMS[name].help, type: 'histogram', values, aggregator: 'sum' };
      },
      reset: () => undefined,
    };
    return metric as unknown as Metric<string>;
  }

  private fill(m: ScrapeModel): void {
    for (const g of this.gauges.values()) g.reset();
    for (const c of this.counters.values()) c.reset();
    const g = (name: string) => this.gauges.get(name)!;
    const c = (name: string) => this.counters.get(name)!;
    const nowMs = Date.now();
    const { status } = m;

    for (const app of status.processes.apps) {
      const beat = m.beats.get(app.name);
      const pm2Online = status.processes.pm2 === 'running' ? app.pm2Status === 'online' : null;
      const heartbeatFresh = beat ? nowMs - beat.beatAtMs <= this.s.config.supervisor.heartbeatStaleMs : null;
      // A process that beats (a bot, the notifier) is up when its beat is fresh too; the others (the simulator, the dashboard) by PM2 alone.
      const beats = beat !== undefined || (BOT_APPS as readonly string[]).includes(app.name);
      const up = beats ? (pm2Online ?? true) && heartbeatFresh === true : pm2Online === true;
      g('up').set({ app: app.name }, up ? 1 : 0);
      if (app.restarts !== null) c('process_restarts_total').inc({ app: app.name }, app.restarts);
      const memory = beat?.metrics?.process.residentMemoryBytes ?? app.memoryBytes;
      if (memory !== null && memory !== undefined) g('process_resident_memory_bytes').set({ app: app.name }, memory);
      if (app.heartbeat?.brokerConnected !== null && app.heartbeat?.brokerConnected !== undefined) g('broker_connected').set({ app: app.name }, app.heartbeat.brokerConnected ? 1 : 0);
      if (app.name === 'exit-manager' && app.heartbeat) g('exit_manager_protecting').set(app.heartbeat.protecting && !app.heartbeat.stale ? 1 : 0);
      if (app.name === 'day-trader' && app.heartbeat?.marketData) g('market_data_state').set({ state: app.heartbeat.marketData.type }, 1);
    }
    for (const [app, beat] of m.beats) {
      g('process_heartbeat_age_seconds').set({ app }, Math.max(0, (nowMs - beat.beatAtMs) / 1000));
      g('process_event_loop_lag_seconds').set({ app }, beat.loopLagMs / 1000);
      g('db_write_blocked_seconds').set({ app }, beat.waitingForDbLockSinceMs === null ? 0 : Math.max(0, (nowMs - beat.waitingForDbLockSinceMs) / 1000));
      const figures = beat.metrics;
      if (!figures) continue;
      c('process_cpu_seconds_total').inc({ app }, figures.process.cpuSecondsTotal);
      for (const [name, series] of Object.entries(figures.counters) as Array<[CounterName, Record<string, number>]>) {
        const counter = this.counters.get(`${name}_total`);
        if (!counter) continue;
        for (const [label, value] of Object.entries(series)) counter.inc({ app, [COUNTERS[name].label]: label }, value);
      }
    }
    for (const [app, restarts] of m.supervisorRestarts) c('supervisor_restarts_total').inc({ app }, restarts);
    g('trading_halted').set(status.halt ? 1 : 0);
    g('db_readable').set(m.db.usable ? 1 : 0);
    g('alerts').set(status.alerts.length);
    g('dashboard_sse_clients').set(m.sseClients);

    if (m.db.usable) {
      const byStatus = new Map<string, number>([['PENDING_ENTRY', 0], ['OPEN', 0], ['PROTECTED', 0], ['CLOSING', 0]]);
      for (const row of m.db.activePositions) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
      for (const [s, n] of byStatus) g('positions').set({ status: s }, n);
      g('open_positions').set(m.db.activePositions.filter((r) => r.quantity !== 0).length);
      const reasons = new Map<string, number>();
      for (const closed of m.db.closedToday) reasons.set(closed.exitReason, (reasons.get(closed.exitReason) ?? 0) + 1);
      for (const [reason, n] of reasons) g('trades_closed_today').set({ reason }, n);
      if (status.pnl.realized !== null) g('realized_pnl_usd').set(status.pnl.realized);
      const r = m.db.reconciliation;
      if (r) {
        g('reconciliation_discrepancies').set(r.discrepancies);
        g('reconciliation_flagged').set(r.flagged);
        for (const s of ['OK', 'REPAIRED', 'FLAGGED', 'FAILED']) g('reconciliation_status').set({ status: s }, r.status === s ? 1 : 0);
        const runAtMs = Date.parse(r.runAt);
        if (Number.isFinite(runAtMs)) g('reconciliation_age_seconds').set(Math.max(0, (this.s.clock.now() - runAtMs) / this.s.clock.speed / 1000));
      }
    }

    const bots = status.positions.filter((p) => p.source !== 'broker_only');
    const unprotected = status.positions.filter((p) => p.protection === 'UNPROTECTED' || p.protection === 'PROTECTION_MISSING');
    g('unprotected_positions').set(unprotected.length);
    const openAges = status.positions.filter((p) => p.unprotectedForMs !== null && (p.protection === 'UNPROTECTED' || p.protection === 'AWAITING_PROTECTION')).map((p) => p.unprotectedForMs!);
    g('unprotected_position_max_age_seconds').set(openAges.length ? Math.max(...openAges) / 1000 : 0);
    const snapshotPrices = m.snapshotPrices;
    let exposure = 0;
    let unrealized: number | null = 0;
    for (const p of bots) {
      const held = p.brokerQuantity ?? p.quantity;
      const last = p.lastPrice ?? snapshotPrices.get(p.symbol) ?? null;
      exposure += Math.abs(held * (last ?? p.entryPrice ?? 0));
      if (held === 0) continue;
      if (last === null || p.entryPrice === null) unrealized = null;
      else if (unrealized !== null) unrealized += (last - p.entryPrice) * held;
    }
    g('exposure_usd').set(exposure);
    const latest = m.latestSnapshot;
    const unrealizedNow = unrealized ?? latest?.ibUnrealizedPnl ?? null;
    if (unrealizedNow !== null) g('unrealized_pnl_usd').set(unrealizedNow);
    const nav = status.broker.netLiquidation ?? latest?.nav ?? null;
    if (nav !== null) {
      g('net_liquidation_usd').set(nav);
      const limit = (nav * this.s.config.risk.dailyLossLimitPct) / 100;
      g('daily_loss_limit_usd').set(limit);
      if (status.pnl.realized !== null && unrealizedNow !== null) {
        const dayPnl = status.pnl.realized + unrealizedNow;
        g('daily_loss_limit_headroom_usd').set(limit + dayPnl);
        g('daily_loss_limit_used_ratio').set(limit > 0 ? Math.max(0, -dayPnl / limit) : 0);
      }
    }
    if (latest) {
      g('nav_usd').set(latest.nav);
      g('nav_peak_usd').set(latest.peakNav);
      g('drawdown_ratio').set(latest.drawdownPct / 100);
      if (latest.navDifference !== null) g('nav_difference_usd').set(latest.navDifference);
      g('portfolio_snapshot_age_seconds').set(Math.max(0, (nowMs - latest.takenAtMs) / 1000));
    }
  }
}

function snapshotPricesOf(snapshots: PortfolioSnapshotsRepository | undefined): Map<string, number> {
  const latest = snapshots?.latest();
  const prices = new Map<string, number>();
  for (const p of latest ? snapshots!.positionsOf(latest.id) : []) if (p.price !== null && p.secType === 'STK') prices.set(p.symbol, p.price);
  return prices;
}
