import type Database from 'better-sqlite3';
import type { SystemHarness } from '../harness/system-harness';
import type { SimStateView } from './broker-state';
import { duplicateOrderRefs, shortPositions, type Violation } from './invariants';
import { LogTail, type LogLine } from './log-tail';
import { assessProtection } from './protection';
import { UnprotectedTracker } from './unprotected-tracker';

export const LOGGED_APPS = ['exit-manager', 'day-trader', 'reconciler', 'supervisor', 'sim-gateway'] as const;

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
 * sent twice, no position gone short) and follows every app's log.
 */
export class SystemMonitor {
  readonly tracker = new UnprotectedTracker();
  readonly violations: Violation[] = [];
  readonly errorCounts = new Map<string, number>();
  readonly errorExamples = new Map<string, string>();
  private readonly lines = new Map<string, TimedLine[]>();
  private readonly logs: LogTail;
  private readonly heartbeatStmt: Database.Statement<[]>;
  private latestState: SimStateView | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly reportedRefs = new Set<string>();
  private readonly reportedShorts = new Set<string>();
  polls = 0;
  failedPolls = 0;
  maxPollGapMs = 0;
  maxOverProtection = { symbol: '', shares: 0, atRealMs: 0 };
  /** Intervals during which a position had more stop quantity working than shares held. */
  readonly overProtection: Array<{ symbol: string; startRealMs: number; endRealMs: number; shares: number }> = [];
  private readonly overSince = new Map<string, { startRealMs: number; shares: number }>();

  constructor(private readonly system: SystemHarness, db: Database.Database, private readonly pollMs: number) {
    this.logs = new LogTail(system.env.LOG_DIR!);
    this.heartbeatStmt = db.prepare('SELECT app, pid, state, beat_at_ms, progress_at_ms, broker_connected, detail FROM heartbeats');
  }

  get state(): SimStateView | undefined {
    return this.latestState;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.readLogs();
    const nowMs = Date.now();
    for (const [symbol, open] of this.overSince) {
      this.overProtection.push({ symbol, startRealMs: open.startRealMs, endRealMs: nowMs, shares: open.shares });
      this.violations.push({ invariant: 'noDoubleProtection', atRealMs: open.startRealMs, detail: `${symbol}: ${open.shares} shares more stop-loss than position still working at the end` });
    }
    this.overSince.clear();
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

  private observe(startedMs: number, state: SimStateView): void {
    const lastFill = new Map<string, number>();
    for (const e of state.executions) if (e.realMs !== undefined && e.realMs > (lastFill.get(e.symbol) ?? 0)) lastFill.set(e.symbol, e.realMs);
    const views = assessProtection(state);
    this.tracker.observe(startedMs, views, (symbol) => lastFill.get(symbol));
    const over = new Set<string>();
    for (const view of views) {
      if (view.overProtectedBy > this.maxOverProtection.shares) this.maxOverProtection = { symbol: view.symbol, shares: view.overProtectedBy, atRealMs: startedMs };
      if (view.overProtectedBy <= 0) continue;
      over.add(view.symbol);
      const open = this.overSince.get(view.symbol);
      if (!open) this.overSince.set(view.symbol, { startRealMs: startedMs, shares: view.overProtectedBy });
      else open.shares = Math.max(open.shares, view.overProtectedBy);
    }
    for (const [symbol, open] of [...this.overSince]) {
      if (over.has(symbol)) continue;
      this.overSince.delete(symbol);
      this.overProtection.push({ symbol, startRealMs: open.startRealMs, endRealMs: startedMs, shares: open.shares });
      this.violations.push({ invariant: 'noDoubleProtection', atRealMs: open.startRealMs, detail: `${symbol}: ${open.shares} shares more stop-loss than position working at the broker for about ${startedMs - open.startRealMs} ms from ${new Date(open.startRealMs).toISOString()}` });
    }
    for (const ref of duplicateOrderRefs(state.orders)) {
      if (this.reportedRefs.has(ref)) continue;
      this.reportedRefs.add(ref);
      this.violations.push({ invariant: 'noDuplicateOrders', atRealMs: startedMs, detail: `orderRef ${ref} was sent ${state.orders.filter((o) => o.orderRef === ref && o.clientId !== 0).length} times` });
    }
    for (const p of shortPositions(state.positions)) {
      const key = `${p.symbol}@${state.marketTime.slice(0, 10)}`;
      if (this.reportedShorts.has(key)) continue;
      this.reportedShorts.add(key);
      this.violations.push({ invariant: 'neverShort', atRealMs: startedMs, detail: `${p.symbol} is short ${p.quantity} at the broker (market time ${state.marketTime})` });
    }
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
