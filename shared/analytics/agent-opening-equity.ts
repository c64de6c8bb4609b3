import { DEFAULT_INITIAL_CAPITAL } from './conventions';

/**
 * Each agent's equity at the start of a period, from its closed trades before the period, to the last bit as
 * agentBreakdown's own series reaches it when given the whole history (buildDailyEquity over one record per
 * trade): a day's P&L is its trades added in exit order, and the equity adds one day's P&L after the other
 * (days without trades add nothing). A monthly report feeds the trades in from SQLite one by one (see
 * TradeHistoryRepository.agentEquityBefore), so ten years of trades never become objects.
 */
export class AgentOpeningEquity {
  private readonly agents = new Map<string, { equity: number; tradingDay: string; dayPnl: number }>();
  private outOfDayOrder = false;
  private latestTradingDay = '';

  constructor(private readonly initialCapital = DEFAULT_INITIAL_CAPITAL) {}

  /** The next closed trade in exit order (exit time, then id), with the trading day of its exit. */
  add(agent: string, tradingDay: string, realizedPnl: number): void {
    if (tradingDay > this.latestTradingDay) this.latestTradingDay = tradingDay;
    const state = this.agents.get(agent);
    if (!state) {
      this.agents.set(agent, { equity: this.initialCapital, tradingDay, dayPnl: realizedPnl });
      return;
    }
    if (state.tradingDay === tradingDay) {
      state.dayPnl = state.dayPnl + realizedPnl;
      return;
    }
    // A day seen again after a later one would be one sum in the series, here two: only the series is right then.
    if (tradingDay < state.tradingDay) this.outOfDayOrder = true;
    state.equity = state.equity + finiteOrZero(state.dayPnl);
    state.tradingDay = tradingDay;
    state.dayPnl = realizedPnl;
  }

  /**
   * Equity by agent after every trade added; undefined when the trades did not come in day order, or when one
   * falls on `periodFrom` or later (the whole series would count it in the period, not before it).
   */
  result(periodFrom?: string): Map<string, number> | undefined {
    if (this.outOfDayOrder || (periodFrom !== undefined && this.latestTradingDay >= periodFrom)) return undefined;
    const out = new Map<string, number>();
    for (const [agent, state] of this.agents) out.set(agent, state.equity + finiteOrZero(state.dayPnl));
    return out;
  }
}

/** buildDailyEquity counts a day whose P&L is not a finite number as 0. */
function finiteOrZero(value: number): number {
  return Number.isFinite(value) ? value : 0;
}
