import type { DailyRecord } from '../analytics/equity-series';
import type { CandidateMetrics } from '../strategy/candidate-metrics';
import type { EngineSettings } from './settings';

/** One closed round trip of a backtest (the same fields as the live `round_trips`, plus what decided it). */
export interface BacktestTrade {
  id: string;
  symbol: string;
  agentName: string;
  strategy: string;
  tradingDay: string;
  quantity: number;
  /** Shares the strategy asked for (the IOC may have filled fewer). */
  requestedQuantity: number;
  entryPrice: number;
  entryTimeMs: number;
  exitPrice: number;
  exitTimeMs: number;
  /** STOP_LOSS, PROFIT_TARGET, EOD_LIQUIDATION, TIME_EXIT, TRAILING_STOP, CLOSE_OF_DATA (still open when the bars ended). */
  exitReason: string;
  commission: number;
  /** Money, after commissions. */
  realizedPnl: number;
  /** Percent, before commissions. */
  pnlPct: number;
  score: number;
  entryReason: string;
  stopLossPrice: number;
  profitTargetPrice: number;
}

/** What was decided when, for the no-look-ahead proof and for reading a run: times are market epoch ms. */
export interface DecisionEvent {
  t: number;
  kind: 'scan' | 'entry_ordered' | 'entry_filled' | 'entry_unfilled' | 'exit_ordered' | 'exit_filled' | 'signal';
  agent?: string;
  symbol?: string;
  detail: string;
}

/** A candidate the scan evaluated: what was decided, with what was measured about it (the day-trader's own metrics). */
export interface SignalRow extends Pick<CandidateMetrics, 'price' | 'rsi' | 'atrPct' | 'gapPct' | 'relativeVolume' | 'spreadPct'> {
  t: number;
  agent: string;
  symbol: string;
  score: number;
  decision: 'TAKEN' | 'REJECTED';
  reason: string;
}

export interface BacktestStats {
  tradingDays: number;
  symbols: number;
  /** Minute bars the engine read for the traded days (warm-up days not counted). */
  bars: number;
  scans: number;
  candidatesEvaluated: number;
  candidatesNotMeasured: number;
  entriesOrdered: number;
  entriesUnfilled: number;
  partialEntries: number;
}

/** Everything a run produced; deterministic (same inputs, same bytes: no wall-clock time in it). */
export interface BacktestResult {
  fromDay: string;
  toDay: string;
  symbols: string[];
  strategies: Array<{ agent: string; strategy: string; params: Record<string, unknown> }>;
  settings: EngineSettings;
  trades: BacktestTrade[];
  daily: DailyRecord[];
  decisions: DecisionEvent[];
  signals: SignalRow[];
  stats: BacktestStats;
}
