import type { DailyRecord } from '../analytics/equity-series';
import type { ResolvedConfig } from '../config/schema';
import type { DayBars } from '../bars/day-bars';
import { firstIndexAtOrAfter } from '../bars/day-bars';
import { claimRefusal } from '../strategy/claim-rules';
import { planEntry, rankCandidates } from '../strategy/entry-decision';
import { simulatedEntryBlockers } from '../strategy/entry-guards';
import { clockExit, trailingLevel } from '../strategy/exit-rules';
import { protectionLevels, type RiskLimits } from '../strategy/sizing';
import type { Evaluation, ExitPlan, Strategy } from '../strategy/types';
import { newYorkTime, sessionHours, type SessionHours, type TradingDay } from '../time/trading-calendar';
import { executionCommission, orderCommission, type OrderFill } from './commissions';
import { barCapacity, buyPriceAtOpen, fillEntry, marketSellAtOpen, protectiveExit, type FillBar, type FillCosts } from './fill-model';
import { CandidateDataEmulator, DailyHistory, MarketDay, NotMeasuredInBacktest, type BarSource } from './market-view';
import type { BacktestResult, BacktestStats, BacktestTrade, DecisionEvent, SignalRow } from './result';
import { emulateScan, scannerElapsedFraction } from './scanner';
import type { EngineSettings } from './settings';
import { tickAt, tickExits, tickMarketSales, type IntrabarPath, type IntrabarTick } from './intrabar';

/** The trading configuration the engine reads (a ResolvedConfig fits). */
export type EngineConfig = Pick<ResolvedConfig, 'strategy' | 'risk' | 'exits' | 'schedule' | 'intervals' | 'supervisor'>;

export interface BacktestInput {
  source: BarSource;
  /** The universe: what the emulated scanners rank. */
  symbols: readonly string[];
  /** Trading days to trade, ascending. */
  tradingDays: readonly TradingDay[];
  /** Trading days before the first one whose bars feed multi-day intraday requests (ascending, may be empty). */
  warmupDays?: readonly TradingDay[];
  config: EngineConfig;
  strategies: readonly Strategy[];
  settings: EngineSettings;
  /** The trades inside each bar, when known (the parity command supplies the simulator's); else the bar's OHLC, stop first. */
  intrabar?: IntrabarPath;
  onDay?: (done: number, total: number) => void;
}

interface ExitOrder {
  kind: string;
  market: boolean;
  addsLiquidity: boolean;
  shares: number;
  value: number;
  commission: number;
}

interface Position {
  id: string;
  symbol: string;
  strategy: Strategy;
  exitPlan: ExitPlan;
  requested: number;
  quantity: number;
  held: number;
  entryPrice: number;
  entryTimeMs: number;
  entryBarMs: number;
  /** Milliseconds into the entry bar the entry filled (intrabar paths only). */
  entryOffsetMs: number;
  entryCommission: number;
  stopPrice: number;
  targetPrice: number;
  score: number;
  reason: string;
  exits: ExitOrder[];
  /** An exit in progress (market order working for the rest, or a target partly filled). */
  closing: ExitOrder | undefined;
  best: number | undefined;
  trailExitNextBar: boolean;
  timeExitMinutes: number;
}

interface PendingEntry {
  id: string;
  symbol: string;
  strategy: Strategy;
  exitPlan: ExitPlan;
  quantity: number;
  limitPrice: number;
  price: number;
  score: number;
  reason: string;
  decidedAtMs: number;
}

const MINUTE = 60_000;
const EOD_PROBE = { adopted: false, entryTimeMs: undefined, timeExitMinutes: 0 };

/**
 * The event-driven backtest over minute bars. Each simulated day: scans at the live scan times (emulated
 * scanners, candidates measured from bars that ended by then, the strategies' own rules), entries at the next
 * bar, the broker-side stop and target worked bar by bar, the clock exits (end-of-day flatten, time exit) from
 * the shared exit rules, the book and the account kept like the broker keeps them. A bar costs work only when
 * something depends on it (a scan, an order, a position): that is why it is fast.
 */
export function runBacktest(input: BacktestInput): BacktestResult {
  return new Engine(input).run();
}

class Engine {
  private readonly settings: EngineSettings;
  private readonly config: EngineConfig;
  private readonly risk: RiskLimits;
  private cash: number;
  private readonly positions = new Map<string, Position>();
  private pending: PendingEntry[] = [];
  private closedToday = new Set<string>();
  private realizedToday = 0;
  private readonly trades: BacktestTrade[] = [];
  private readonly daily: DailyRecord[] = [];
  private readonly decisions: DecisionEvent[] = [];
  private readonly signals: SignalRow[] = [];
  private readonly emulator = new CandidateDataEmulator();
  private readonly stats: BacktestStats;
  private monthKey = '';
  private monthShares = 0;
  private sequence = 0;
  private market!: MarketDay;

  constructor(private readonly input: BacktestInput) {
    this.settings = input.settings;
    this.config = input.config;
    this.risk = input.config.risk;
    this.cash = input.settings.initialCapital;
    this.stats = { tradingDays: 0, symbols: input.symbols.length, bars: 0, scans: 0, candidatesEvaluated: 0, candidatesNotMeasured: 0, entriesOrdered: 0, entriesUnfilled: 0, partialEntries: 0 };
  }

  run(): BacktestResult {
    const { source, symbols, tradingDays } = this.input;
    const warmup = this.input.warmupDays ?? [];
    const universe = [...symbols].sort();
    const first = warmup[0] ?? tradingDays[0];
    const history = new DailyHistory(source, universe, shiftDays(first ?? '1970-01-01', -40), tradingDays[tradingDays.length - 1] ?? '1970-01-01');
    const maxIntradayDays = Math.max(1, ...this.input.strategies.map((s) => s.needs.intraday?.days ?? 1));
    const earlier: Array<{ tradingDay: TradingDay; hours: SessionHours; bars: ReadonlyMap<string, DayBars> }> = [];
    for (const day of warmup.slice(-Math.max(0, maxIntradayDays - 1))) {
      const hours = sessionHours(day);
      if (hours) earlier.unshift({ tradingDay: day, hours, bars: source.day(day, universe) });
    }
    tradingDays.forEach((day, index) => {
      const hours = sessionHours(day);
      if (!hours) throw new RangeError(`${day} is not a NYSE trading day`);
      const bars = source.day(day, universe);
      for (const b of bars.values()) this.stats.bars += b.length;
      this.market = new MarketDay(day, hours, universe, bars, earlier.slice(), history, this.settings.spread === 'model' ? undefined : this.settings.spread);
      this.runDay(day, hours);
      earlier.unshift({ tradingDay: day, hours, bars });
      earlier.length = Math.min(earlier.length, Math.max(0, maxIntradayDays - 1));
      this.stats.tradingDays += 1;
      this.input.onDay?.(index + 1, tradingDays.length);
    });
    return {
      fromDay: tradingDays[0] ?? '',
      toDay: tradingDays[tradingDays.length - 1] ?? '',
      symbols: universe,
      strategies: this.input.strategies.map((s) => ({ agent: s.name, strategy: s.type, params: { ...s.params } })),
      settings: this.settings,
      trades: this.trades,
      daily: this.daily,
      decisions: this.decisions,
      signals: this.signals,
      stats: this.stats,
    };
  }

  private runDay(day: TradingDay, hours: SessionHours): void {
    const startEquity = this.cash;
    const tradesBefore = this.trades.length;
    this.closedToday = new Set();
    this.realizedToday = 0;
    this.emulator.startDay();
    if (day.slice(0, 7) !== this.monthKey) {
      this.monthKey = day.slice(0, 7);
      this.monthShares = 0;
    }
    const scans = this.scanTimes(day, hours);
    let nextScan = 0;
    const flattenAt = this.flattenMinute(hours);
    for (let t = hours.openMs; t < hours.closeMs; t += MINUTE) {
      // Decisions at t see the bars that ended by t; what they order fills from the bar that starts at t.
      const eod = t >= flattenAt ? clockExit(EOD_PROBE, t, this.config.exits.eodFlattenMinutesBeforeClose) : undefined;
      for (const position of this.positions.values()) {
        if (position.closing?.market) continue;
        const decision = eod ?? (position.timeExitMinutes > 0 ? clockExit({ adopted: false, entryTimeMs: position.entryTimeMs, timeExitMinutes: position.timeExitMinutes }, t, this.config.exits.eodFlattenMinutesBeforeClose) : undefined);
        if (decision) this.orderMarketExit(position, decision.reason, t);
        else if (position.trailExitNextBar) this.orderMarketExit(position, 'TRAILING_STOP', t);
      }
      while (nextScan < scans.length && scans[nextScan]! <= t) this.scan(scans[nextScan++]!);
      this.fillBar(t);
    }
    // Still open at the close (an exit that the bars' volume could not absorb): closed at the last price.
    for (const position of [...this.positions.values()]) {
      const last = this.market.lastPrice(position.symbol, hours.closeMs) ?? position.entryPrice;
      this.executeExit(position, position.closing ?? this.newExit('CLOSE_OF_DATA', true), position.held, last, hours.closeMs - MINUTE);
    }
    const dayTrades = this.trades.slice(tradesBefore);
    this.daily.push({ tradingDay: day, realizedPnl: round6(dayTrades.reduce((n, t) => n + t.realizedPnl, 0)), trades: dayTrades.length, startEquity: round6(startEquity), endEquity: round6(this.cash) });
  }

  /**
   * The first minute of the day at which the shared end-of-day rule (clockExit) fires: found by bisection
   * over the session's minutes (the rule only turns on as the close nears), so the rule is asked a dozen times
   * a day instead of at each of its 390 minutes (it converts time zones: luxon costs tens of microseconds).
   */
  private flattenMinute(hours: SessionHours): number {
    let lo = 0;
    let hi = Math.round((hours.closeMs - hours.openMs) / MINUTE);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (clockExit(EOD_PROBE, hours.openMs + mid * MINUTE, this.config.exits.eodFlattenMinutesBeforeClose)) hi = mid;
      else lo = mid + 1;
    }
    return hours.openMs + lo * MINUTE;
  }

  /** SCAN_TIMES in the session, and every SCANNER_REFRESH_S counted from the open (the live timer counts from its start). */
  private scanTimes(day: TradingDay, hours: SessionHours): number[] {
    const times = new Set<number>();
    for (const hhmm of this.config.schedule.scanTimes) {
      const t = newYorkTime(day, hhmm);
      if (t >= hours.openMs && t < hours.closeMs) times.add(t);
    }
    const intervalMs = this.config.intervals.scannerRefreshSeconds * 1000;
    for (let t = hours.openMs + intervalMs; t < hours.closeMs; t += intervalMs) times.add(t);
    return [...times].sort((a, b) => a - b);
  }

  private scan(t: number): void {
    this.stats.scans += 1;
    this.decisions.push({ t, kind: 'scan', detail: `scan at ${t}` });
    for (const strategy of this.input.strategies) this.scanStrategy(strategy, t);
  }

  private scanStrategy(strategy: Strategy, t: number): void {
    const market = this.market;
    const needs = strategy.needs;
    const snapshots = market.scannerSnapshots(t);
    const elapsed = scannerElapsedFraction(t, market.hours);
    const lists = needs.scanners.map((code) => emulateScan(snapshots, code, { rows: needs.rowsPerScanner, abovePrice: needs.abovePrice }, elapsed));
    const symbols = [...new Set(lists.flat())];
    const evaluated: Array<{ symbol: string; evaluation?: Evaluation; notMeasured?: string }> = [];
    for (const symbol of symbols) {
      try {
        evaluated.push({ symbol, evaluation: strategy.evaluate(this.emulator.fetch(market, symbol, t, needs)) });
        this.stats.candidatesEvaluated += 1;
      } catch (error) {
        if (!(error instanceof NotMeasuredInBacktest)) throw error;
        evaluated.push({ symbol, notMeasured: error.reason });
        this.stats.candidatesNotMeasured += 1;
      }
    }
    const scored = rankCandidates(strategy, evaluated);
    const account = this.account(t);
    let grossExposure = account.grossPositionValue;
    for (const candidate of scored) {
      const { metrics: m, decision } = candidate;
      const plan = planEntry(candidate, strategy, this.risk, {
        blockers: () => simulatedEntryBlockers({ nowMs: t, realizedPnlToday: this.realizedToday, unrealizedPnl: account.unrealizedPnl, netLiquidation: account.netLiquidation }, this.config),
        isActive: (symbol) => this.isActive(symbol),
        closedToday: (symbol) => this.closedToday.has(symbol),
        netLiquidation: account.netLiquidation,
        grossExposure,
      });
      let outcome: { decision: 'TAKEN' | 'REJECTED'; reason: string };
      if (plan.kind === 'reject') outcome = { decision: 'REJECTED', reason: plan.reason };
      else {
        // The claim: one position per symbol, none closed today, at most maxOpenPositions (all strategies).
        const refusal = claimRefusal({ isActive: this.isActive(m.symbol), closedToday: this.closedToday.has(m.symbol), openPositions: this.positions.size + this.pending.length, maxOpenPositions: this.risk.maxOpenPositions });
        if (refusal) outcome = { decision: 'REJECTED', reason: `claim_refused: ${refusal}` };
        else {
          this.pending.push({ id: `${strategy.name}:${m.symbol}:${++this.sequence}`, symbol: m.symbol, strategy, exitPlan: plan.exitPlan, quantity: plan.quantity, limitPrice: Math.round(plan.limitPrice * 100) / 100, price: m.price!, score: decision.score, reason: decision.reason, decidedAtMs: t });
          this.stats.entriesOrdered += 1;
          this.decisions.push({ t, kind: 'entry_ordered', agent: strategy.name, symbol: m.symbol, detail: `${plan.quantity} @ <= ${plan.limitPrice.toFixed(2)} (${decision.reason})` });
          grossExposure += plan.quantity * m.price!;
          outcome = { decision: 'TAKEN', reason: `${decision.reason}; ${plan.quantity} sh (${plan.limitingRule})` };
        }
      }
      if (this.settings.recordSignals) {
        this.signals.push({ t, agent: strategy.name, symbol: m.symbol, score: decision.score, ...outcome, price: m.price, rsi: m.rsi, atrPct: m.atrPct, gapPct: m.gapPct, relativeVolume: m.relativeVolume, spreadPct: m.spreadPct });
      }
    }
  }

  private isActive(symbol: string): boolean {
    return this.positions.has(symbol) || this.pending.some((p) => p.symbol === symbol);
  }

  /** The account as the broker reports it at t: positions marked at their last trade. */
  private account(t: number): { netLiquidation: number; grossPositionValue: number; unrealizedPnl: number } {
    let value = 0;
    let unrealized = 0;
    for (const p of this.positions.values()) {
      const last = this.market.lastPrice(p.symbol, t) ?? p.entryPrice;
      value += p.held * last;
      unrealized += p.held * (last - p.entryPrice);
    }
    // Entries ordered in this scan by an earlier strategy: live, the IOC has filled by the time the next strategy
    // asks the broker, so the account shows them as positions (value, and the same cash spent).
    let ordered = 0;
    for (const e of this.pending) ordered += e.quantity * e.price;
    return { netLiquidation: this.cash + value, grossPositionValue: value + ordered, unrealizedPnl: unrealized };
  }

  private costs(symbol: string, price: number, t: number): FillCosts {
    return { spread: this.market.spread(symbol, price, t), slippageBps: this.settings.slippageBps, participation: this.settings.participation, entryLatencySeconds: this.settings.entryLatencySeconds };
  }

  /** Everything that happens inside the bar starting at t. */
  private fillBar(t: number): void {
    if (this.pending.length > 0) {
      const entries = this.pending;
      this.pending = [];
      for (const entry of entries) this.fillPendingEntry(entry, t);
    }
    for (const position of [...this.positions.values()]) {
      const bar = this.barAt(position.symbol, t);
      if (!bar) continue;
      this.workExits(position, bar, t);
    }
  }

  private barAt(symbol: string, t: number): FillBar | undefined {
    const bars = this.market.bars.get(symbol);
    if (!bars) return undefined;
    const i = firstIndexAtOrAfter(bars, t);
    if (i >= bars.length || bars.startMs[i] !== t) return undefined;
    return { open: bars.open[i]!, high: bars.high[i]!, low: bars.low[i]!, close: bars.close[i]!, volume: bars.volume[i]! };
  }

  private fillPendingEntry(entry: PendingEntry, t: number): void {
    const bar = this.barAt(entry.symbol, t);
    let fill = { quantity: 0, price: NaN };
    let entryOffsetMs = 0;
    const path = bar && this.input.intrabar ? this.input.intrabar.ticks(entry.symbol, { startMs: t, ...bar }) : undefined;
    if (bar && path && path.length > 0) {
      // On the known path: the order reaches the market `entryLatencySeconds` into the bar and buys the ask standing
      // then, at most the size displayed there (the simulator's IOC: the rest is cancelled).
      const tick = tickAt(path, this.settings.entryLatencySeconds * 1000)!;
      const price = Math.ceil(tick.ask * (1 + this.settings.slippageBps / 10_000) * 100 - 1e-9) / 100;
      const limitPrice = this.settings.entryLatencySeconds > 0 ? Math.round(tick.ask * (1 + entry.strategy.entryLimitSlippagePct / 100) * 100) / 100 : entry.limitPrice;
      const displayed = tick.askSize ?? Number.POSITIVE_INFINITY;
      fill = { quantity: price > limitPrice + 1e-9 ? 0 : Math.min(entry.quantity, displayed, barCapacity(bar, this.settings.participation)), price };
      entryOffsetMs = tick.offsetMs;
    } else if (bar) {
      const costs = this.costs(entry.symbol, bar.open, t);
      // With an entry latency the order is priced when it leaves, as live prices it from the quote the scan just
      // took: its limit is the ask then plus the strategy's allowance.
      const limitPrice = this.settings.entryLatencySeconds > 0
        ? Math.round(buyPriceAtOpen(bar, { ...costs, slippageBps: 0 }) * (1 + entry.strategy.entryLimitSlippagePct / 100) * 100) / 100
        : entry.limitPrice;
      fill = fillEntry(bar, { quantity: entry.quantity, limitPrice }, costs);
    }
    if (fill.quantity <= 0) {
      // IOC: nothing could fill at once; the claim is released (the symbol may be entered again later today).
      this.stats.entriesUnfilled += 1;
      this.decisions.push({ t, kind: 'entry_unfilled', agent: entry.strategy.name, symbol: entry.symbol, detail: bar ? `ask ${fill.price.toFixed(2)} above the limit ${entry.limitPrice.toFixed(2)} or no volume` : 'no trade in the bar' });
      return;
    }
    if (fill.quantity < entry.quantity) this.stats.partialEntries += 1;
    const fillOrder: OrderFill = { side: 'BUY', shares: fill.quantity, value: fill.quantity * fill.price, addsLiquidity: false, monthShares: this.monthShares };
    const commission = orderCommission(fillOrder, this.settings.commissions);
    this.monthShares += fill.quantity;
    this.cash -= fill.quantity * fill.price + commission;
    const levels = protectionLevels(fill.price, entry.exitPlan);
    this.positions.set(entry.symbol, {
      id: entry.id, symbol: entry.symbol, strategy: entry.strategy, exitPlan: entry.exitPlan, requested: entry.quantity, quantity: fill.quantity, held: fill.quantity,
      entryPrice: fill.price, entryTimeMs: t, entryBarMs: t, entryOffsetMs, entryCommission: commission, stopPrice: levels.stopLossPrice, targetPrice: levels.profitTargetPrice,
      score: entry.score, reason: entry.reason, exits: [], closing: undefined, best: undefined, trailExitNextBar: false,
      timeExitMinutes: entry.exitPlan.timeExitMinutes && entry.exitPlan.timeExitMinutes > 0 ? entry.exitPlan.timeExitMinutes : this.config.exits.timeExitMinutes,
    });
    this.decisions.push({ t, kind: 'entry_filled', agent: entry.strategy.name, symbol: entry.symbol, detail: `${fill.quantity}/${entry.quantity} @ ${fill.price.toFixed(2)}` });
  }

  private newExit(kind: string, market: boolean): ExitOrder {
    return { kind, market, addsLiquidity: !market, shares: 0, value: 0, commission: 0 };
  }

  private orderMarketExit(position: Position, reason: string, t: number): void {
    // The protective pair is cancelled and a market order sells what is held (live: the exit manager's X-<reason> order).
    position.closing = this.newExit(reason, true);
    position.trailExitNextBar = false;
    this.decisions.push({ t, kind: 'exit_ordered', agent: position.strategy.name, symbol: position.symbol, detail: reason });
  }

  private workExits(position: Position, bar: FillBar, t: number): void {
    const costs = this.costs(position.symbol, bar.open, t);
    const capacity = barCapacity(bar, this.settings.participation);
    const path = this.input.intrabar?.ticks(position.symbol, { startMs: t, ...bar });
    if (path && path.length > 0 && !(this.config.exits.trailingStopPct > 0)) {
      this.workExitsOnPath(position, path, t);
      return;
    }
    if (position.closing?.market) {
      this.executeExit(position, position.closing, Math.min(position.held, capacity), marketSellAtOpen(bar, costs), t);
      return;
    }
    const trailPct = this.config.exits.trailingStopPct;
    if (trailPct > 0) {
      const level = position.best === undefined ? undefined : trailingLevel(position.best, position.entryPrice, trailPct, true);
      if (level !== undefined && level > position.stopPrice && bar.low <= level) {
        position.closing = this.newExit('TRAILING_STOP', true);
        this.decisions.push({ t, kind: 'exit_ordered', agent: position.strategy.name, symbol: position.symbol, detail: 'TRAILING_STOP' });
        const price = marketSellAtOpen({ ...bar, open: Math.min(bar.open, level) }, costs);
        this.executeExit(position, position.closing, Math.min(position.held, capacity), price, t);
        return;
      }
    }
    const exit = protectiveExit(bar, { stopPrice: position.stopPrice, targetPrice: position.targetPrice }, this.costs(position.symbol, exitReference(bar, position), t), t === position.entryBarMs);
    if (exit) {
      // A stop that triggered is a market order from then on (its rest fills at the next opens); a target is a
      // resting limit (it adds liquidity) whose rest keeps working at its price. OCA: one leg's fill reduces the other.
      const order = position.closing?.kind === exit.kind ? position.closing : this.newExit(exit.kind, exit.kind === 'STOP_LOSS');
      position.closing = order;
      this.executeExit(position, order, Math.min(position.held, capacity), exit.price, t);
      return;
    }
    if (trailPct > 0) {
      position.best = Math.max(position.best ?? position.entryPrice, bar.high);
      const level = trailingLevel(position.best, position.entryPrice, trailPct, true);
      if (level !== undefined && level > position.stopPrice && bar.close <= level) position.trailExitNextBar = true;
    }
  }

  /**
   * On the known path, trade by trade, as the simulator matches: no assumption about which level came first, and
   * each sale at most the bid size of its trade (what is left sells on the next trades, the next bars).
   */
  private workExitsOnPath(position: Position, path: readonly IntrabarTick[], t: number): void {
    // The pair is placed when the entry fills: first matched against the quote the entry met, then every trade.
    const fromOffsetMs = t === position.entryBarMs ? position.entryOffsetMs : 0;
    const closing = position.closing;
    if (closing?.market && closing.kind !== 'STOP_LOSS') {
      // A market exit (the clock's): the pair is cancelled, a market order sells on the next trades.
      for (const sale of tickMarketSales(path, position.held, 0)) this.executeExit(position, closing, sale.shares, sale.price, t);
      return;
    }
    const stopTriggered = closing?.kind === 'STOP_LOSS';
    const { sales } = tickExits(path, { stopPrice: position.stopPrice, targetPrice: position.targetPrice, stopTriggered }, position.held, fromOffsetMs);
    for (const sale of sales) {
      // OCA, reduce: one leg's fill reduces the other, each leg is one order whatever the number of its fills.
      const order = position.exits.find((o) => o.kind === sale.leg) ?? this.newExit(sale.leg, sale.leg === 'STOP_LOSS');
      // A stop that sold part is a market order for the rest (its kind tells the next bar it triggered).
      if (sale.leg === 'STOP_LOSS' || position.closing === undefined) position.closing = order;
      this.executeExit(position, order, sale.shares, sale.price, t);
    }
  }

  private executeExit(position: Position, order: ExitOrder, shares: number, price: number, t: number): void {
    if (shares <= 0) return;
    const before: OrderFill = { side: 'SELL', shares: order.shares, value: order.value, addsLiquidity: order.addsLiquidity, monthShares: this.monthShares };
    const commission = executionCommission(before, { shares, value: shares * price }, this.settings.commissions);
    order.shares += shares;
    order.value += shares * price;
    order.commission = round6(order.commission + commission);
    if (!position.exits.includes(order)) position.exits.push(order);
    this.monthShares += shares;
    this.cash += shares * price - commission;
    position.held -= shares;
    this.decisions.push({ t, kind: 'exit_filled', agent: position.strategy.name, symbol: position.symbol, detail: `${order.kind} ${shares} @ ${price.toFixed(2)}` });
    if (position.held > 0) return;
    const exitShares = position.exits.reduce((n, o) => n + o.shares, 0);
    const exitValue = position.exits.reduce((n, o) => n + o.value, 0);
    const exitPrice = exitValue / exitShares;
    const totalCommission = round6(position.entryCommission + position.exits.reduce((n, o) => n + o.commission, 0));
    const realizedPnl = round6((exitPrice - position.entryPrice) * position.quantity - totalCommission);
    this.trades.push({
      id: position.id, symbol: position.symbol, agentName: position.strategy.name, strategy: position.strategy.type, tradingDay: this.market.tradingDay,
      quantity: position.quantity, requestedQuantity: position.requested, entryPrice: round6(position.entryPrice), entryTimeMs: position.entryTimeMs,
      exitPrice: round6(exitPrice), exitTimeMs: t, exitReason: order.kind, commission: totalCommission, realizedPnl,
      pnlPct: round6(((exitPrice - position.entryPrice) / position.entryPrice) * 100), score: position.score, entryReason: position.reason,
      stopLossPrice: position.stopPrice, profitTargetPrice: position.targetPrice,
    });
    this.realizedToday += realizedPnl;
    this.closedToday.add(position.symbol);
    this.positions.delete(position.symbol);
  }
}

/** The price the exit's spread is measured at: the stop or the target level the bar reaches (else the open). */
function exitReference(bar: FillBar, position: Position): number {
  return bar.low <= position.stopPrice ? position.stopPrice : bar.high >= position.targetPrice ? position.targetPrice : bar.open;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function shiftDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
