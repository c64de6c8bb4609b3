import type { ResolvedConfig } from '../../shared/config/schema';
import type { BrokerPort, Execution } from '../../shared/broker/types';
import { positionIdFromOrderRef, syncActivePositions, type Db, type Repositories } from '../../shared/db';
import type { ExecutionRecord } from '../../shared/db/types';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import { exitReasonFor, parseExitRef } from '../../shared/orders/order-refs';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { classifySymbol, type SymbolReport } from './classify';

export interface ReconcilerDeps {
  app: string;
  broker: BrokerPort;
  db: Db;
  repos: Repositories;
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
}

export interface RunResult {
  status: 'OK' | 'REPAIRED' | 'FLAGGED' | 'FAILED';
  reports: SymbolReport[];
  booked: number;
  netLiquidation?: number;
}

function toRecord(e: Execution): ExecutionRecord {
  return {
    execId: e.execId, symbol: e.symbol, side: e.side, quantity: e.quantity, price: e.price, commission: e.commission, orderRef: e.orderRef,
    orderId: e.orderId, permId: e.permId, clientId: e.clientId, executedAtMs: e.timeMs,
  };
}

/** The action of a symbol left for the next run because the broker snapshot was already out of date. */
const DEFERRED = 'deferred: a fill was recorded after the broker snapshot; re-checked next run';

/**
 * Compares the DB with the broker (positions, open orders, executions) on COMPLETE snapshots only, books
 * fills nobody booked (every execution exactly once), repairs what is unambiguous and flags the rest.
 * Every run is a reconciliation_log row.
 */
export class Reconciler {
  private readonly lastPrices = new Map<string, number>();
  private readonly quoteSubscriptions = new Map<string, () => void>();
  private lastStatus: string | undefined;

  constructor(private readonly d: ReconcilerDeps) {}

  async run(trigger: string): Promise<RunResult> {
    const { repos, broker, clock, log } = this.d;
    const tradingDay = tradingDayOf(clock.now());
    let snapshot: [Awaited<ReturnType<BrokerPort['positions']>>, Awaited<ReturnType<BrokerPort['openOrders']>>, Execution[]];
    // Fills recorded from now on may be missing from the snapshot: a symbol with such a fill is judged next run.
    const snapshotRequestedIso = new Date(clock.now()).toISOString();
    try {
      snapshot = await Promise.all([broker.positions(), broker.openOrders('all'), broker.executions({})]);
    } catch (error) {
      // Unknown is not empty: a failed or timed-out query decides nothing.
      repos.reconciliation.record({ tradingDay, trigger, status: 'FAILED', symbols: 0, discrepancies: 0, repaired: 0, flagged: 0, unrealizedPnl: null, details: [], error: errorMessage(error) });
      log.warn('reconciliation_failed', { trigger, error: errorMessage(error) });
      return { status: 'FAILED', reports: [], booked: 0 };
    }
    const [positions, openOrders, executions] = snapshot;
    const snapshotExecIds = new Set(executions.map((e) => e.execId));
    const snapshotStale = (symbol: string) => repos.trades.execIdsRecordedSince(symbol, snapshotRequestedIso).some((execId) => !snapshotExecIds.has(execId));
    const booked = this.bookUnbookedExecutions(executions);
    const brokerBySymbol = new Map(positions.map((p) => [p.symbol, p]));
    this.followQuotes([...brokerBySymbol.keys()]);
    const rows = new Map(repos.positions.getActivePositions().map((r) => [r.symbol, r]));
    const symbols = [...new Set([...brokerBySymbol.keys(), ...rows.keys()])].sort();
    const reports: SymbolReport[] = [];
    for (const symbol of symbols) {
      const report = classifySymbol(symbol, rows.get(symbol), brokerBySymbol.get(symbol), this.lastPrices.get(symbol));
      this.repair(report, executions, tradingDay, snapshotStale);
      reports.push(report);
    }
    const workingRefs = openOrders.map((o) => ({ ref: o.orderRef, symbol: o.symbol, clientId: o.clientId }));
    for (const order of workingRefs) {
      const positionId = positionIdFromOrderRef(order.ref);
      const held = brokerBySymbol.get(order.symbol)?.quantity ?? 0;
      if (positionId && parseExitRef(order.ref) && held === 0) {
        reports.push({ symbol: order.symbol, status: 'DISCREPANCY', dbQuantity: null, brokerQuantity: 0, dbEntryPrice: null, brokerAverageCost: null, unrealizedPnl: null, action: `orphan order ${order.ref} of client ${order.clientId} (its owner cancels it)`, flagged: true, positionId });
      }
    }
    const discrepancies = reports.filter((r) => r.status !== 'OK');
    const flagged = reports.filter((r) => r.flagged);
    const repaired = discrepancies.filter((r) => !r.flagged && r.action !== 'none' && r.action !== DEFERRED);
    const status = discrepancies.length === 0 ? 'OK' : flagged.length > 0 ? 'FLAGGED' : 'REPAIRED';
    const unrealized = reports.reduce((n, r) => n + (r.unrealizedPnl ?? 0), 0);
    repos.reconciliation.record({
      tradingDay, trigger, status, symbols: symbols.length, discrepancies: discrepancies.length, repaired: repaired.length, flagged: flagged.length,
      unrealizedPnl: Math.round(unrealized * 100) / 100, details: reports, error: null,
    });
    // A clean run every minute is routine: logged at debug unless it follows a non-clean one.
    const level = status === 'FLAGGED' ? 'error' : status === 'REPAIRED' ? 'warn' : this.lastStatus !== 'OK' || trigger !== 'interval' ? 'info' : 'debug';
    this.lastStatus = status;
    log[level]('reconciliation_completed', {
      trigger, status, symbols: symbols.length, discrepancies: discrepancies.length, repaired: repaired.length, flagged: flagged.length, booked,
      ...(flagged.length ? { needsAttention: flagged.map((f) => `${f.symbol}: ${f.action}`) } : {}),
    });
    return { status, reports, booked };
  }

  /** Books every execution of ours that no process booked yet (a bot was down, a fill was replayed). */
  private bookUnbookedExecutions(executions: readonly Execution[]): number {
    const { repos } = this.d;
    let booked = 0;
    for (const execution of executions) {
      if (repos.trades.hasExecution(execution.execId)) continue;
      const exit = parseExitRef(execution.orderRef);
      const entryId = !exit ? positionIdFromOrderRef(execution.orderRef) : undefined;
      let result: string;
      if (exit) {
        result = repos.ledger.recordExit(exit.positionId, toRecord(execution), exitReasonFor(exit, false)).status;
      } else if (entryId && execution.orderRef === entryId) {
        result = repos.ledger.recordEntryFill(entryId, toRecord(execution)).status;
      } else {
        continue; // manual trades and liquidations are booked where they explain a flat position
      }
      if (result === 'recorded' || result === 'no_position') booked += 1;
    }
    if (booked > 0) this.d.log.warn('executions_booked_by_reconciler', { count: booked });
    return booked;
  }

  private repair(report: SymbolReport, executions: readonly Execution[], tradingDay: string, snapshotStale: (symbol: string) => boolean): void {
    const { repos, db, clock, app } = { ...this.d, app: this.d.app };
    if (report.status !== 'OK' && snapshotStale(report.symbol)) {
      // E.g. the exit manager booked the last exit fill while our snapshot still showed the shares: adopting
      // them would create a phantom position. The next run sees the broker after that fill.
      report.action = DEFERRED;
      return;
    }
    if (report.status === 'MISSING_IN_DB') {
      const result = syncActivePositions(db, clock, [{ symbol: report.symbol, quantity: report.brokerQuantity, averageCost: report.brokerAverageCost ?? 0 }], { tradingDay, app, adoptUntracked: true, fixQuantities: false, snapshotStale });
      const adopted = result.changes.find((c) => c.action === 'ADOPTED');
      const tracked = repos.positions.getActivePositions().some((r) => r.symbol === report.symbol);
      report.action = adopted ? `adopted as ${adopted.positionId} so the exit manager protects it` : tracked ? 'already adopted' : DEFERRED;
      report.positionId = adopted?.positionId ?? report.positionId;
      return;
    }
    if (report.status === 'MISSING_AT_BROKER' && report.positionId) {
      const row = repos.positions.getById(report.positionId);
      if (!row) {
        report.action = 'closed meanwhile';
        return;
      }
      const closingSide = row.quantity > 0 ? 'SELL' : 'BUY';
      const since = row.entryTimestamp ? Date.parse(row.entryTimestamp) : 0;
      const candidates = executions.filter((e) => e.symbol === row.symbol && e.side === closingSide && e.timeMs >= since && !repos.trades.hasExecution(e.execId));
      for (const execution of candidates) {
        if (!repos.positions.getById(row.id)) break;
        repos.ledger.recordExit(row.id, toRecord(execution), 'RECONCILED_FLAT');
      }
      if (repos.positions.getById(row.id)) {
        report.flagged = true;
        report.action = 'flat at the broker but no unbooked exit execution explains it: check TWS for a manual close, then close the row by hand (npm run liquidate does nothing here)';
      } else {
        report.action = `closed as RECONCILED_FLAT from ${candidates.length} execution(s)`;
      }
      return;
    }
    if (report.status === 'DISCREPANCY' && report.positionId) {
      const row = repos.positions.getById(report.positionId);
      if (row && row.status !== 'PENDING_ENTRY' && row.quantity !== report.brokerQuantity) {
        syncActivePositions(db, clock, [{ symbol: report.symbol, quantity: report.brokerQuantity, averageCost: report.brokerAverageCost ?? 0 }], { tradingDay, app, adoptUntracked: false, fixQuantities: true, snapshotStale });
        report.action = `quantity set to the broker's ${report.brokerQuantity} (was ${row.quantity}); the exit manager resizes protection`;
      } else if (row && row.status === 'PENDING_ENTRY') {
        report.action = 'entry in flight (the day-trader settles it)';
      } else {
        report.flagged = true;
        report.action = `entry price ${report.dbEntryPrice} differs from the broker's average cost ${report.brokerAverageCost}`;
      }
    }
  }

  private followQuotes(symbols: string[]): void {
    for (const symbol of symbols) {
      if (this.quoteSubscriptions.has(symbol)) continue;
      this.quoteSubscriptions.set(symbol, this.d.broker.subscribeQuotes(symbol, (q) => q.last && this.lastPrices.set(symbol, q.last)));
    }
    for (const [symbol, unsubscribe] of this.quoteSubscriptions) {
      if (symbols.includes(symbol)) continue;
      unsubscribe();
      this.quoteSubscriptions.delete(symbol);
      this.lastPrices.delete(symbol);
    }
  }
}
