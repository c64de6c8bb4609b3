import type { ResolvedConfig } from '../../shared/config/schema';
import { isUsdStock, type BrokerOrder, type BrokerPort, type BrokerPosition, type Execution } from '../../shared/broker/types';
import { isBusyError, positionIdFromOrderRef, syncActivePositions, type Db, type PositionHandling, type Repositories } from '../../shared/db';
import type { ActivePosition, ExecutionRecord } from '../../shared/db/types';
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

/** The action of a symbol left for the next run because the broker's report may not show our latest fills yet. */
const DEFERRED = 'deferred: a fill of ours is younger than the broker\'s reports lag; re-checked next run';

/**
 * Compares the DB with the broker (positions, open orders, executions) on COMPLETE snapshots only, books
 * fills nobody booked (every execution exactly once, corrections included), repairs what is unambiguous
 * and flags the rest. Only US stocks of this account are compared; everything else in the account is
 * recorded in `broker_positions` and never touched. Every run is a reconciliation_log row.
 */
export class Reconciler {
  private readonly lastPrices = new Map<string, number>();
  private readonly quoteSubscriptions = new Map<string, () => void>();
  private lastStatus: string | undefined;

  constructor(private readonly d: ReconcilerDeps) {}

  /**
   * One reconciliation. A write refused by another process's DB lock (SQLITE_BUSY: the bots wait only a few
   * tens of ms) ends the run as FAILED with a warning: what was written is whole (each booking and repair is
   * its own transaction), the rest is redone by the next run. It never rejects for it: a run after a reconnect
   * is awaited by nobody, and its refused write reached the unhandled-rejection handler (db_busy_unhandled,
   * once per full chaos run).
   */
  async run(trigger: string): Promise<RunResult> {
    try {
      return await this.runOnce(trigger);
    } catch (error) {
      if (!isBusyError(error)) throw error;
      this.d.log.warn('reconciliation_db_locked', { trigger, error: errorMessage(error), what: 'another process holds the DB write lock: this run stops here (unrecorded); the next run does it again' });
      return { status: 'FAILED', reports: [], booked: 0 };
    }
  }

  private async runOnce(trigger: string): Promise<RunResult> {
    const { repos, broker, clock, log } = this.d;
    const tradingDay = tradingDayOf(clock.now());
    const snapshotAtMs = clock.now();
    let snapshot: [BrokerPosition[], BrokerOrder[], Execution[]];
    try {
      snapshot = await Promise.all([broker.positions(), broker.openOrders('all'), broker.executions({})]);
    } catch (error) {
      // Unknown is not empty: a failed or timed-out query decides nothing. Said before its row is written (a
      // DB lock may refuse the row).
      log.warn('reconciliation_failed', { trigger, error: errorMessage(error) });
      repos.reconciliation.record({ tradingDay, trigger, status: 'FAILED', symbols: 0, discrepancies: 0, repaired: 0, flagged: 0, unrealizedPnl: null, details: [], error: errorMessage(error) });
      return { status: 'FAILED', reports: [], booked: 0 };
    }
    const [allPositions, openOrders, executions] = snapshot;
    const account = this.d.config.ib.account;
    const positions = allPositions.filter((p) => isUsdStock(p) && (!account || p.account === account));
    const booked = this.bookUnbookedExecutions(executions);
    this.settleEntries(openOrders, executions);
    const brokerBySymbol = new Map<string, BrokerPosition>();
    for (const p of positions) {
      const known = brokerBySymbol.get(p.symbol);
      brokerBySymbol.set(p.symbol, known ? { ...known, quantity: known.quantity + p.quantity } : p);
    }
    this.followQuotes([...brokerBySymbol.keys()]);
    // The broker's positions trail its executions by up to seconds: a symbol with a fill of ours younger
    // than that (booked here, or in the snapshot) may not show it yet, and is judged next run.
    const settleMarketMs = this.d.config.exits.brokerSettleMs * clock.speed;
    const recentSinceIso = new Date(snapshotAtMs - settleMarketMs).toISOString();
    const unsettled = (symbol: string) => repos.trades.execIdsRecordedSince(symbol, recentSinceIso).length > 0 || executions.some((e) => e.symbol === symbol && e.timeMs >= snapshotAtMs - settleMarketMs);
    const rows = new Map(repos.positions.getActivePositions().map((r) => [r.symbol, r]));
    const symbols = [...new Set([...brokerBySymbol.keys(), ...rows.keys()])].sort();
    const reports: SymbolReport[] = [];
    for (const symbol of symbols) {
      const report = classifySymbol(symbol, rows.get(symbol), brokerBySymbol.get(symbol), this.lastPrices.get(symbol), ourExecutionsNet(symbol, executions));
      this.repair(report, executions, tradingDay, unsettled);
      reports.push(report);
    }
    for (const order of openOrders) {
      const positionId = positionIdFromOrderRef(order.orderRef);
      const held = brokerBySymbol.get(order.symbol)?.quantity ?? 0;
      if (positionId && parseExitRef(order.orderRef) && held === 0 && !unsettled(order.symbol)) {
        reports.push({ symbol: order.symbol, status: 'DISCREPANCY', dbQuantity: null, brokerQuantity: 0, foreignQuantity: 0, dbEntryPrice: null, brokerAverageCost: null, unrealizedPnl: null, action: `orphan order ${order.orderRef} of client ${order.clientId} (its owner cancels it)`, flagged: true, positionId });
      }
    }
    this.recordBrokerPositions(allPositions, account);
    // A mismatch deferred for a fill younger than the broker's report lag is not judged yet: the run is not
    // "REPAIRED" for it (the status console showed REPAIRED with 0 repaired); its row keeps it in the details.
    const discrepancies = reports.filter((r) => r.status !== 'OK' && r.status !== 'FOREIGN' && r.action !== DEFERRED);
    const flagged = reports.filter((r) => r.flagged);
    const repaired = discrepancies.filter((r) => !r.flagged && r.action !== 'none');
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
      foreign: reports.filter((r) => r.status === 'FOREIGN').map((r) => `${r.symbol} ${r.foreignQuantity}`),
      ...(flagged.length ? { needsAttention: flagged.map((f) => `${f.symbol}: ${f.action}`) } : {}),
    });
    return { status, reports, booked };
  }

  /** Books every execution of ours that no process booked yet (a bot was down, a fill was replayed or corrected). */
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
      if (result === 'recorded' || result === 'no_position' || result === 'corrected') booked += 1;
    }
    if (booked > 0) this.d.log.warn('executions_booked_by_reconciler', { count: booked });
    return booked;
  }

  /**
   * Entries whose order no longer works at the broker (the day-trader was down when it ended): the entry is
   * over, with what the executions show. Without this a row waiting for its entry status could never close.
   */
  private settleEntries(openOrders: readonly BrokerOrder[], executions: readonly Execution[]): void {
    const working = new Set(openOrders.map((o) => o.orderRef));
    for (const row of this.d.repos.positions.getActivePositions()) {
      if (!row.entryWorking || working.has(row.entryOrderRef)) continue;
      const filled = executions.filter((e) => e.orderRef === row.entryOrderRef).reduce((n, e) => n + e.quantity, 0);
      if (filled < row.entryReported) continue; // the executions of this entry are not all visible yet
      this.d.repos.ledger.recordEntryStatus(row.id, filled, false);
      this.d.log.warn('entry_settled_by_reconciler', { symbol: row.symbol, positionId: row.id, filled });
    }
  }

  private repair(report: SymbolReport, executions: readonly Execution[], tradingDay: string, unsettled: (symbol: string) => boolean): void {
    const { repos, db, clock, app, config } = { ...this.d, app: this.d.app };
    if (report.status !== 'OK' && unsettled(report.symbol)) {
      // E.g. the exit manager booked the last exit fill while our snapshot still showed the shares: acting on
      // it would adopt a phantom position. The next run sees the broker after that fill.
      report.action = DEFERRED;
      return;
    }
    if (report.status === 'MISSING_IN_DB' || (report.status === 'FOREIGN' && report.positionId === null && config.positions.foreignPolicy !== 'ignore')) {
      const ours = report.status === 'MISSING_IN_DB';
      const result = syncActivePositions(db, clock, [{ symbol: report.symbol, quantity: report.brokerQuantity, averageCost: report.brokerAverageCost ?? 0 }], {
        tradingDay, app, adoptUntracked: true, fixQuantities: false, snapshotStale: unsettled,
        adoptedMetadata: ours ? { recovered: 'our own executions of today explain it' } : config.positions.foreignPolicy === 'protect' ? { protectOnly: true } : {},
      });
      const adopted = result.changes.find((c) => c.action === 'ADOPTED');
      const tracked = repos.positions.getActivePositions().some((r) => r.symbol === report.symbol);
      report.action = adopted ? `adopted as ${adopted.positionId} (${ours ? 'our own fills' : `foreign, policy ${config.positions.foreignPolicy}`}) so the exit manager protects it` : tracked ? 'already adopted' : DEFERRED;
      report.positionId = adopted?.positionId ?? report.positionId;
      return;
    }
    if (report.status === 'FOREIGN') {
      report.action = `${report.foreignQuantity} shares not ours: ${config.positions.foreignPolicy === 'ignore' ? 'left alone (FOREIGN_POSITIONS=ignore)' : 'beside a position of ours: left alone until ours is closed'}`;
      return;
    }
    if ((report.status === 'MISSING_AT_BROKER' || report.status === 'DISCREPANCY') && report.positionId) {
      const row = repos.positions.getById(report.positionId);
      if (!row) {
        report.action = 'closed meanwhile';
        return;
      }
      if (row.quantity === report.brokerQuantity) {
        report.action = `entry price ${report.dbEntryPrice} differs from the broker's average cost ${report.brokerAverageCost}`;
        report.flagged = true;
        return;
      }
      const explained = this.bookOutsideExits(row, executions, report.status === 'MISSING_AT_BROKER' ? 'RECONCILED_FLAT' : 'MANUAL', report.brokerQuantity);
      const after = repos.positions.getById(row.id);
      if (!after) {
        report.action = `closed as RECONCILED_FLAT from ${explained} execution(s)`;
      } else if (after.quantity === report.brokerQuantity) {
        report.action = `${explained} execution(s) outside our orders booked (MANUAL); the exit manager resizes protection`;
      } else {
        report.flagged = true;
        report.action = `the broker holds ${report.brokerQuantity} but the DB ${after.quantity} and no unbooked execution explains it: check TWS for a trade by hand; the exit manager protects at most what the broker shows`;
      }
    }
  }

  /** Closing-side executions not booked yet after the entry (trades done by hand, another program's): booked as exits. */
  private bookOutsideExits(row: ActivePosition, executions: readonly Execution[], reason: string, brokerQuantity: number): number {
    const { repos } = this.d;
    const closingSide = row.quantity > 0 ? 'SELL' : 'BUY';
    const since = row.entryTimestamp ? Date.parse(row.entryTimestamp) : 0;
    let count = 0;
    for (const execution of executions.filter((e) => e.symbol === row.symbol && e.side === closingSide && e.timeMs >= since && !repos.trades.hasExecution(e.execId))) {
      const current = repos.positions.getById(row.id);
      if (!current || Math.abs(current.quantity) <= Math.abs(brokerQuantity)) break;
      repos.ledger.recordExit(row.id, toRecord(execution), reason);
      count += 1;
    }
    return count;
  }

  /** The whole account as the broker reports it, instrument by instrument, with what is ours. */
  private recordBrokerPositions(positions: readonly BrokerPosition[], account: string | undefined): void {
    const rows = new Map(this.d.repos.positions.getActivePositions().map((r) => [r.symbol, r]));
    const remainingOurs = new Map([...rows].map(([symbol, row]) => [symbol, row.quantity]));
    this.d.repos.brokerPositions.replaceAll(positions.map((p) => {
      const tradable = isUsdStock(p) && (!account || p.account === account);
      const row = tradable ? rows.get(p.symbol) : undefined;
      const oursLeft = remainingOurs.get(p.symbol) ?? 0;
      const ours = row ? Math.sign(oursLeft) === Math.sign(p.quantity) ? Math.min(Math.abs(oursLeft), Math.abs(p.quantity)) * Math.sign(p.quantity) : 0 : 0;
      if (row) remainingOurs.set(p.symbol, oursLeft - ours);
      const handling: PositionHandling = !tradable ? 'not-tradable'
        : row?.metadata.protectOnly === true ? 'protected'
        : row && row.agentName === 'adopted' && row.metadata.recovered === undefined ? 'adopted'
        : ours !== 0 ? 'ours'
        : this.d.config.positions.foreignPolicy === 'ignore' ? 'ignored' : this.d.config.positions.foreignPolicy === 'protect' ? 'protected' : 'adopted';
      return {
        conId: p.conId, account: p.account, symbol: p.symbol, secType: p.secType, currency: p.currency, description: p.description,
        quantity: p.quantity, averageCost: p.averageCost, oursQuantity: ours, foreignQuantity: p.quantity - ours, handling,
      };
    }));
  }

  /** The last trade price of a symbol the reconciler follows (the broker's US stock positions), if one came. */
  lastPrice(symbol: string): number | undefined {
    return this.lastPrices.get(symbol);
  }

  /** Keeps quote subscriptions for exactly these symbols (the portfolio snapshots share them). */
  followQuotes(symbols: string[]): void {
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

/** Net shares of a symbol that orders of ours (position-id refs) traded today, from the broker's executions. */
function ourExecutionsNet(symbol: string, executions: readonly Execution[]): number {
  let net = 0;
  for (const e of executions) {
    if (e.symbol !== symbol || !positionIdFromOrderRef(e.orderRef)) continue;
    net += e.side === 'BUY' ? e.quantity : -e.quantity;
  }
  return net;
}
