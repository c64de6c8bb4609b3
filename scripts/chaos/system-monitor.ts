import type Database from 'better-sqlite3';
import type { SystemHarness } from '../harness/system-harness';
import type { SimStateView } from './broker-state';
import { floorFromSeedLine, ForeignBook, isUsdStock, type ForeignPolicy } from './foreign-book';
import { duplicateOrderRefs, shortPositions, type TradeRowView, type Violation } from './invariants';
import { LogTail, type LogLine } from './log-tail';
import { assessProtection } from './protection';
import {
  botPositionIds, correctionViolations, exposureSightings, exposureViolations, foreignViolations, workingEntryAfterCloseViolations,
  type ExposureSighting,
} from './realism-invariants';
import { UnprotectedTracker } from './unprotected-tracker';

export const LOGGED_APPS = ['exit-manager', 'day-trader', 'reconciler', 'supervisor', 'sim-gateway'] as const;

/** The simulator flags exposure as caused by a trade by hand when it starts within this long after one; the harness does the same. */
export const MANUAL_TRADE_ATTRIBUTION_MS = 60_000;
/** How often the checks that read the DB run (real ms). */
const DB_CHECK_INTERVAL_MS = 1_000;
/** A correction this recent may still be on its way into the ledger (a bot restarting, the reconciler's next run). */
export const CORRECTION_GRACE_MS = 30_000;

export interface HeartbeatRow {
  app: string;
  pid: number;
  state: string;
  beat_at_ms: number;
  progress_at_ms: number | null;
  broker_connected: number | null;
  detail: string;
}

/** A log line with its real time parsed, kept for the fault measurements. */
export interface TimedLine extends LogLine {
  atMs: number;
}

/**
 * The harness's eyes while the system runs: polls the simulator's books and the heartbeats every
 * `pollMs`, feeds the unprotected-interval tracker, checks what can be checked continuously (no orderRef
 * sent twice, never below the foreign floor, never past flat per the simulator's exposure monitor, foreign
 * holdings untouched, no entry working for a closed position, corrections booked) and follows every app's log.
 */
export class SystemMonitor {
  readonly tracker = new UnprotectedTracker();
  readonly violations: Violation[] = [];
  readonly errorCounts = new Map<string, number>();
  readonly errorExamples = new Map<string, string>();
  private readonly lines = new Map<string, TimedLine[]>();
  private readonly logs: LogTail;
  private readonly heartbeatStmt: Database.Statement<[]>;
  private readonly closedIdsStmt: Database.Statement<[]>;
  private readonly tradesStmt: Database.Statement<[]>;
  private latestState: SimStateView | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly reported = new Set<string>();
  private readonly manualTradeAtMs = new Map<string, number>();
  private readonly exposure = new Map<string, ExposureSighting>();
  private closedIds = new Set<string>();
  private trades: TradeRowView[] = [];
  private lastDbCheckMs = 0;
  /** The first exposure report seen (the simulator's monitor runs since the gateway started). */
  exposureChecks = 0;
  polls = 0;
  failedPolls = 0;
  maxPollGapMs = 0;
  maxOverProtection = { symbol: '', shares: 0, atRealMs: 0 };
  /** Intervals during which a position had more stop quantity working than the bots' shares. */
  readonly overProtection: Array<{ symbol: string; startRealMs: number; endRealMs: number; shares: number; afterManualTrade: boolean }> = [];
  private readonly overSince = new Map<string, { startRealMs: number; shares: number; afterManualTrade: boolean }>();

  private constructor(private readonly system: SystemHarness, db: Database.Database, private readonly pollMs: number, readonly book: ForeignBook) {
    this.logs = new LogTail(system.env.LOG_DIR!);
    this.heartbeatStmt = db.prepare('SELECT app, pid, state, beat_at_ms, progress_at_ms, broker_connected, detail FROM heartbeats');
    this.closedIdsStmt = db.prepare('SELECT position_id FROM closed_positions_today UNION SELECT position_id FROM closed_positions_archive');
    this.tradesStmt = db.prepare('SELECT exec_id, exec_base, position_id, symbol, side, quantity, price, purpose, trading_day, executed_at, client_id FROM trades');
  }

  /**
   * A monitor whose foreign book is what the account held before any bot traded: the simulator's
   * `foreign_holdings_seeded` line (stocks) and its reported non-US-stock holdings (options, the EUR stock).
   */
  static async create(system: SystemHarness, db: Database.Database, pollMs: number, policy: ForeignPolicy): Promise<SystemMonitor> {
    const state = await system.admin<SimStateView>('GET /state');
    const probe = new LogTail(system.env.LOG_DIR!);
    const seeded = probe.read('sim-gateway').find((l) => l.event === 'foreign_holdings_seeded') as { stock?: unknown; shareClass?: unknown } | undefined;
    const statics = (state.reportedPositions ?? []).filter((h) => !isUsdStock(h));
    const monitor = new SystemMonitor(system, db, pollMs, new ForeignBook(policy, { floor: floorFromSeedLine(seeded), statics }));
    monitor.latestState = state;
    return monitor;
  }

  get state(): SimStateView | undefined {
    return this.latestState;
  }

  /**
   * The bots' part of a broker position (the broker's, minus the foreign shares the policy leaves alone), as
   * of the last snapshot fetched (a purchase by hand counts once a snapshot shows it).
   */
  readonly botQuantity = (position: { symbol: string; quantity: number }): number => this.book.botQuantity(position, this.latestState?.executions);

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling (the last poll finishes first); open intervals are closed as seen at the end. */
  async stop(): Promise<void> {
    if (!this.running && !this.loop) return;
    this.running = false;
    await this.loop;
    this.loop = undefined;
    this.readLogs();
    const nowMs = Date.now();
    for (const [symbol, open] of this.overSince) {
      this.overProtection.push({ symbol, startRealMs: open.startRealMs, endRealMs: nowMs, shares: open.shares, afterManualTrade: open.afterManualTrade });
      if (!open.afterManualTrade) this.violations.push({ invariant: 'noDoubleProtection', atRealMs: open.startRealMs, detail: `${symbol}: ${open.shares} shares more stop-loss than the bots' position still working at the end` });
    }
    this.overSince.clear();
  }

  /** A trade done by hand by the harness: what it causes in the next minute is reported apart, as the simulator does. */
  noteManualTrade(symbol: string): void {
    this.manualTradeAtMs.set(symbol, Date.now());
  }

  /** Exposure intervals seen (the simulator's, each with its longest length observed). */
  exposureSeen(): ExposureSighting[] {
    return [...this.exposure.values()].sort((a, b) => a.startRealMs - b.startRealMs);
  }

  /** The verdicts that need the whole run (the exposure intervals, with their final lengths). */
  finalViolations(): Violation[] {
    return exposureViolations(this.exposureSeen());
  }

  heartbeats(): Map<string, HeartbeatRow> {
    return new Map((this.heartbeatStmt.all() as HeartbeatRow[]).map((h) => [h.app, h]));
  }

  heartbeat(app: string): HeartbeatRow | undefined {
    return this.heartbeats().get(app);
  }

  /** Log lines of an app (read so far) matching the event, at or after a real time. */
  linesOf(app: string, event: string, sinceMs = 0): TimedLine[] {
    this.readLogs();
    return (this.lines.get(app) ?? []).filter((l) => l.event === event && l.atMs >= sinceMs);
  }

  /** Fetches the broker's books now (not waiting for the next poll). */
  async fetchState(): Promise<SimStateView> {
    const state = await this.system.admin<SimStateView>('GET /state');
    this.latestState = state;
    return state;
  }

  private async run(): Promise<void> {
    let lastPollMs = Date.now();
    let lastLogReadMs = 0;
    while (this.running) {
      const startedMs = Date.now();
      try {
        const state = await this.fetchState();
        this.observe(startedMs, state);
        this.maxPollGapMs = Math.max(this.maxPollGapMs, startedMs - lastPollMs);
        lastPollMs = startedMs;
        this.polls += 1;
      } catch {
        this.failedPolls += 1; // the admin port answers even while the TWS port is down; a failure here is the harness's gap
      }
      if (startedMs - lastLogReadMs > 1_000) {
        this.readLogs();
        lastLogReadMs = startedMs;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(10, this.pollMs - (Date.now() - startedMs))));
    }
  }

  private recentManualTrade(symbol: string, atMs: number): boolean {
    return atMs - (this.manualTradeAtMs.get(symbol) ?? -Infinity) < MANUAL_TRADE_ATTRIBUTION_MS;
  }

  /** A continuous violation reported once per key (its first sighting). */
  private once(key: string, violation: Violation): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.violations.push(violation);
  }

  private observe(startedMs: number, state: SimStateView): void {
    const lastFill = new Map<string, number>();
    for (const e of state.executions) if (e.realMs !== undefined && e.realMs > (lastFill.get(e.symbol) ?? 0)) lastFill.set(e.symbol, e.realMs);
    const views = assessProtection(state, (p) => this.book.botQuantity(p, state.executions));
    this.tracker.observe(startedMs, views, (symbol) => lastFill.get(symbol));
    this.observeOverProtection(startedMs, views);
    for (const ref of duplicateOrderRefs(state.orders)) {
      this.once(`dup:${ref}`, { invariant: 'noDuplicateOrders', atRealMs: startedMs, detail: `orderRef ${ref} was sent ${state.orders.filter((o) => o.orderRef === ref && o.clientId !== 0).length} times` });
    }
    for (const p of shortPositions(state.positions, (symbol) => this.book.floorOf(symbol))) {
      const floor = this.book.floorOf(p.symbol);
      this.once(`short:${p.symbol}@${state.marketTime.slice(0, 10)}`, {
        invariant: 'neverShort', atRealMs: startedMs,
        detail: floor ? `${p.symbol}: the account holds ${p.quantity}, below the ${floor} it held before any bot traded (market time ${state.marketTime})` : `${p.symbol} is short ${p.quantity} at the broker (market time ${state.marketTime})`,
      });
    }
    this.observeExposure(state);
    if (startedMs - this.lastDbCheckMs >= DB_CHECK_INTERVAL_MS) {
      this.lastDbCheckMs = startedMs;
      this.checkAgainstDb(startedMs, state);
    }
  }

  private observeOverProtection(startedMs: number, views: ReturnType<typeof assessProtection>): void {
    const over = new Set<string>();
    for (const view of views) {
      if (view.overProtectedBy > this.maxOverProtection.shares) this.maxOverProtection = { symbol: view.symbol, shares: view.overProtectedBy, atRealMs: startedMs };
      if (view.overProtectedBy <= 0) continue;
      over.add(view.symbol);
      const open = this.overSince.get(view.symbol);
      if (!open) this.overSince.set(view.symbol, { startRealMs: startedMs, shares: view.overProtectedBy, afterManualTrade: this.recentManualTrade(view.symbol, startedMs) });
      else open.shares = Math.max(open.shares, view.overProtectedBy);
    }
    for (const [symbol, open] of [...this.overSince]) {
      if (over.has(symbol)) continue;
      this.overSince.delete(symbol);
      this.overProtection.push({ symbol, startRealMs: open.startRealMs, endRealMs: startedMs, shares: open.shares, afterManualTrade: open.afterManualTrade });
      if (open.afterManualTrade) continue; // a trade by hand shrank the position under its protection: reported apart
      this.violations.push({ invariant: 'noDoubleProtection', atRealMs: open.startRealMs, detail: `${symbol}: ${open.shares} shares more stop-loss than the bots' position working at the broker for about ${startedMs - open.startRealMs} ms from ${new Date(open.startRealMs).toISOString()}` });
    }
  }

  private observeExposure(state: SimStateView): void {
    if (!state.exposure) return;
    this.exposureChecks = Math.max(this.exposureChecks, state.exposure.checks);
    for (const sighting of exposureSightings(state.exposure)) {
      const key = `${sighting.symbol}@${sighting.startRealMs}`;
      const known = this.exposure.get(key);
      if (!known && !sighting.afterManualTrade && sighting.lengthMs > 0) {
        this.onFirstExposure?.(sighting);
      }
      if (!known || sighting.lengthMs >= known.lengthMs) this.exposure.set(key, sighting);
    }
  }

  /** Called when a new exposure interval not caused by a manual trade shows up (the run logs it at once). */
  onFirstExposure: ((sighting: ExposureSighting) => void) | undefined;

  private checkAgainstDb(startedMs: number, state: SimStateView): void {
    try {
      this.closedIds = new Set((this.closedIdsStmt.all() as Array<{ position_id: string }>).map((r) => r.position_id));
      this.trades = this.tradesStmt.all() as TradeRowView[];
    } catch {
      return; // the DB is locked (a db-lock fault) or being written: next time
    }
    for (const v of workingEntryAfterCloseViolations(state.orders, this.closedIds)) this.once(`entry-after-close:${v.detail.split(' ')[1]}`, { ...v, atRealMs: startedMs });
    const usStocks = new Set(state.positions.map((p) => p.symbol));
    for (const h of state.reportedPositions ?? []) if (isUsdStock(h)) usStocks.add(h.symbol);
    const foreign = foreignViolations({
      book: this.book, positions: state.positions, reported: state.reportedPositions, orders: state.orders,
      botPositionIds: botPositionIds(state.executions, this.trades), usStockSymbols: usStocks, executions: state.executions,
    });
    for (const v of foreign) this.once(`foreign:${v.detail.replace(/holds \d+|reports \d+/g, '')}`, { ...v, atRealMs: startedMs });
    // An order for a holding that is not a US stock never reaches the books (the simulator refuses the symbol): its refusal does.
    const staticOnly = new Set(this.book.staticOnlySymbols(usStocks));
    for (const line of this.linesOf('sim-gateway', 'order_rejected').filter((l) => staticOnly.has(String(l.symbol)) && Number(l.clientId) !== 0)) {
      this.once(`foreign-rejected:${String(line.clientId)}:${String(line.orderId)}`, { invariant: 'foreignUntouched', atRealMs: line.atMs, detail: `client ${String(line.clientId)} sent an order for ${String(line.symbol)} (${String(line.orderRef)}), a holding that is not a US stock (refused: ${String(line.code)})` });
    }
    for (const v of correctionViolations(state.executions, this.trades, { nowMs: startedMs, graceMs: CORRECTION_GRACE_MS })) this.once(`correction:${v.detail.split(':')[0]}`, { ...v, atRealMs: startedMs });
  }

  /** The trades rows as last read (for fault measurements). */
  tradesSnapshot(): readonly TradeRowView[] {
    return this.trades;
  }

  private readLogs(): void {
    for (const app of LOGGED_APPS) {
      for (const line of this.logs.read(app)) {
        const timed: TimedLine = { ...line, atMs: Date.parse(line.timestamp) };
        const kept = this.lines.get(app) ?? [];
        kept.push(timed);
        this.lines.set(app, kept);
        if (line.level === 'error') {
          const key = `${app}:${line.event}`;
          this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + 1);
          if (!this.errorExamples.has(key)) this.errorExamples.set(key, JSON.stringify(line).slice(0, 600));
        }
      }
    }
  }
}
