import type { z } from 'zod/v3';
import type { Bar, BarSize, ScanCode } from '../broker/types';
import type { SessionHours, TradingDay } from '../time/trading-calendar';
import type { BarWindow } from './bar-window';
import type { CandidateMetrics, CandidateQuote, DailyContext } from './candidate-metrics';
import type { ScoreDecision } from './scoring';

/**
 * What a strategy needs from the market for each candidate. The live day-trader turns it into IB requests
 * (scanners, reqHistoricalData, one quote); the backtest engine answers the same requests from the bar store,
 * shaped exactly like IB's answers (complete bars only, buckets from 04:00, daily bars of the regular session).
 */
export interface MarketNeeds {
  /** Scanner codes whose union (in this order) is the candidate list. */
  readonly scanners: readonly ScanCode[];
  readonly rowsPerScanner: number;
  /** Scanner filter: last price above this. */
  readonly abovePrice?: number;
  /** Intraday bars (IB reqHistoricalData): bar size, duration in trading days ("2 D"), regular hours only or not. */
  readonly intraday?: { readonly barSize: Exclude<BarSize, '1 day'>; readonly days: number; readonly useRth: boolean };
  /** Daily bars of the last N trading days (today's partial one included, as IB returns it). */
  readonly dailyDays?: number;
  /** A quote (bid, ask, last): the live day-trader waits for one two-sided quote. */
  readonly quote: boolean;
}

/** Everything a strategy sees about one candidate at one decision time. Nothing after `nowMs` is in it. */
export interface CandidateData {
  readonly symbol: string;
  /** Market time of the decision. */
  readonly nowMs: number;
  readonly tradingDay: TradingDay;
  /** Today's regular session (undefined on a closed day). */
  readonly session: SessionHours | undefined;
  /** Intraday bars as requested in `needs.intraday` (empty when not requested). */
  readonly intraday: BarWindow;
  /** Daily bars as requested in `needs.dailyDays`, oldest first (empty when not requested). */
  readonly dailyBars: readonly Bar[];
  /** Previous close and average daily volume from `dailyBars` (undefined without a day before today). */
  readonly daily: DailyContext | undefined;
  readonly quote: CandidateQuote | undefined;
}

/** Exits of one trade: broker-side stop and target around the real fill price, and an optional time exit. */
export interface ExitPlan {
  readonly stopLossPct: number;
  readonly takeProfitPct: number;
  /** Market minutes after the entry; 0 or absent: the global TIME_EXIT_MINUTES. */
  readonly timeExitMinutes?: number;
}

/** A strategy's verdict on one candidate. */
export interface Evaluation {
  /** Recorded with the signal (price, rsi, atrPct, gapPct, relativeVolume, spreadPct; absent = not measured). */
  readonly metrics: CandidateMetrics;
  readonly decision: ScoreDecision;
  /** This trade's exits when it differs from the strategy's default (e.g. a stop at the opening range's low). */
  readonly exitPlan?: ExitPlan;
}

/**
 * A configured strategy: pure rules, no I/O. The live day-trader and the backtest engine own the clock, the
 * data, the orders and the book; both call these same functions (NautilusTrader's one strategy, two runners).
 */
export interface Strategy {
  /** Its agent_name: every position, signal and scan it makes carries it. Unique per day-trader. */
  readonly name: string;
  /** The strategy it runs (its definition's name). */
  readonly type: string;
  /** Its validated parameters (defaults filled). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly needs: MarketNeeds;
  /** Share of net liquidation one position may take (sizing; the shared risk limits still apply). */
  readonly capitalAllocationPct: number;
  /** The IOC entry's limit this far above the ask, %. */
  readonly entryLimitSlippagePct: number;
  /** Default exits of its trades. */
  readonly exitPlan: ExitPlan;
  evaluate(data: CandidateData): Evaluation;
}

export interface StrategyConfigView {
  /** The whole validated configuration (built-ins read their defaults from it). */
  readonly strategy: Record<string, unknown>;
}

/**
 * A strategy as its author writes it: a name, a description, a zod schema of its parameters (with defaults;
 * validated like the rest of the configuration), what it needs from the market, and `evaluate`.
 */
export interface StrategyDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  readonly params: z.ZodType<P, z.ZodTypeDef, unknown>;
  /** Parameter values taken from the main configuration before STRATEGY_PARAMS (built-in gap-momentum: `strategy.*`). */
  configDefaults?(config: StrategyConfigView): Partial<P>;
  /** Suggested ranges for `npm run backtest -- optimize` (documentation; any numeric parameter can be swept). */
  readonly searchSpace?: Readonly<Record<string, { min: number; max: number; step?: number }>>;
  create(params: P, agentName: string): Strategy;
}
