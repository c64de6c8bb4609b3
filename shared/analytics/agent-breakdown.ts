import { DEFAULT_INITIAL_CAPITAL } from './conventions';
import { drawdownSummary } from './drawdown';
import { buildDailyEquity, sliceDailyEquity, type DailyRecord } from './equity-series';
import { computeTradeStats, type ClosedTradeInput } from './trade-stats';
import { tradingDayOfTime } from './trading-days';

/**
 * P&L attributed to each strategy: several strategies run under one day-trader, each as its own
 * `agent_name`, and share one account, so the account's equity cannot say which of them earned what.
 */

/** One agent's figures over a period; numbers are finite or null (JSON-safe). */
export interface AgentPerformance {
  agent: string;
  trades: number;
  wins: number;
  losses: number;
  breakeven: number;
  /** wins / trades. */
  winRate: number | null;
  /** Money, after commissions. */
  netProfit: number;
  grossProfit: number;
  /** ≤ 0. */
  grossLoss: number;
  commissions: number;
  /** null without a losing trade. */
  profitFactor: number | null;
  averageTrade: number | null;
  averageWin: number | null;
  /** Negative. */
  averageLoss: number | null;
  largestWin: number | null;
  /** Negative. */
  largestLoss: number | null;
  payoffRatio: number | null;
  averageHoldingMinutes: number | null;
  /**
   * Max drawdown (fraction ≤ 0) of the agent's own daily equity: initial capital + its cumulative realized P&L,
   * the same series `--agent NAME` measures (the account's net liquidation belongs to all agents together).
   */
  maxDrawdown: number | null;
}

export interface AgentBreakdownInput {
  /** Closed trades of the period, every agent. */
  trades: readonly ClosedTradeInput[];
  /**
   * Closed trades from the first ever through the period's end, so an agent's drawdown in the period starts
   * from the equity it had built before it; default `trades` (the period is all history).
   */
  history?: readonly ClosedTradeInput[];
  /** First and last trading day of the period (both optional), 'YYYY-MM-DD'. */
  from?: string;
  to?: string;
  /** Each agent's equity before its first trade (default 100,000). */
  initialCapital?: number;
  /**
   * Instead of `history` (with `from`): each agent's equity at the end of its last trading day before `from`
   * (AgentOpeningEquity over its earlier trades); an agent the map lacks had no trade before the period. The
   * drawdowns are the same as with the whole history, from the period's trades alone.
   */
  openingEquity?: ReadonlyMap<string, number>;
}

/** One row per agent with a closed trade in the period, best net profit first, ties by name. */
export function agentBreakdown(input: AgentBreakdownInput): AgentPerformance[] {
  const inPeriod = groupByAgent(input.trades);
  const history = input.history ? groupByAgent(input.history) : inPeriod;
  const rows: AgentPerformance[] = [];
  for (const [agent, trades] of inPeriod) {
    const stats = computeTradeStats(trades);
    rows.push({
      agent,
      trades: stats.trades,
      wins: stats.wins,
      losses: stats.losses,
      breakeven: stats.breakeven,
      winRate: stats.winRate,
      netProfit: stats.netProfit,
      grossProfit: stats.grossProfit,
      grossLoss: stats.grossLoss,
      commissions: stats.commissions,
      profitFactor: stats.profitFactor,
      averageTrade: stats.averageTrade,
      averageWin: stats.averageWin,
      averageLoss: stats.averageLoss,
      largestWin: stats.largestWin,
      largestLoss: stats.largestLoss,
      payoffRatio: stats.payoffRatio,
      averageHoldingMinutes: stats.averageHoldingMinutes,
      maxDrawdown: input.openingEquity && input.from !== undefined
        ? periodMaxDrawdown(trades, input.openingEquity.get(agent), input)
        : agentMaxDrawdown(history.get(agent) ?? trades, input),
    });
  }
  return rows.sort((a, b) => b.netProfit - a.netProfit || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
}

function groupByAgent(trades: readonly ClosedTradeInput[]): Map<string, ClosedTradeInput[]> {
  const groups = new Map<string, ClosedTradeInput[]>();
  for (const t of trades) {
    const agent = t.agentName ?? '';
    const group = groups.get(agent);
    if (group) group.push(t);
    else groups.set(agent, [t]);
  }
  return groups;
}

function agentMaxDrawdown(history: readonly ClosedTradeInput[], input: AgentBreakdownInput): number | null {
  // One record per trade: buildDailyEquity adds up the records of a day.
  const records: DailyRecord[] = history.map((t) => ({ tradingDay: tradingDayOfTime(t.exitTimeMs), realizedPnl: t.realizedPnl, trades: 1 }));
  const daily = sliceDailyEquity(buildDailyEquity(records, { initialCapital: input.initialCapital ?? DEFAULT_INITIAL_CAPITAL }), input.from, input.to);
  return drawdownSummary(daily.map((d) => d.tradingDay), daily.map((d) => d.return)).maxDrawdown;
}

/**
 * The same figure as agentMaxDrawdown over the whole history: the period's days start from the equity the
 * earlier trades built, and with earlier trades the zero-P&L days run from the period's first trading day
 * (the whole series fills every trading day since the agent's first trade).
 */
function periodMaxDrawdown(trades: readonly ClosedTradeInput[], openingEquity: number | undefined, input: AgentBreakdownInput): number | null {
  const records: DailyRecord[] = trades.map((t) => ({ tradingDay: tradingDayOfTime(t.exitTimeMs), realizedPnl: t.realizedPnl, trades: 1 }));
  const series = buildDailyEquity(records, {
    initialCapital: openingEquity ?? input.initialCapital ?? DEFAULT_INITIAL_CAPITAL,
    fillFrom: openingEquity === undefined ? undefined : input.from,
  });
  const daily = sliceDailyEquity(series, input.from, input.to);
  return drawdownSummary(daily.map((d) => d.tradingDay), daily.map((d) => d.return)).maxDrawdown;
}
