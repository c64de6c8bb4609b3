import { DEFAULT_INITIAL_CAPITAL } from './conventions';

/**
 * Each agent's equity at the start of a period, from its closed trades before the period, to the last bit as
 * agentBreakdown's own series reaches it when given the whole history (buildDailyEquity over one record per
 * trade): a day's P&L is its trades added in exit order, and the equity adds one day's P&L after the other
 * (days without trades add nothing). A monthly report feeds the trades in from SQLite one by one (see
 * TradeHistoryRepository.agentEquityBefore), so ten years of trades never become objects.
 */
export class AgentOpeningEquity {
  private readonly agents = new Map<string, OneAgentOpeningEquity>();
  private latestTradingDay = '';

  constructor(private readonly initialCapital = DEFAULT_INITIAL_CAPITAL) {}

  /** The next closed trade in exit order (exit time, then id), with the trading day of its exit. */
  add(agent: string, tradingDay: string, realizedPnl: number): void {
    if (tradingDay > this.latestTradingDay) this.latestTradingDay = tradingDay;
    let chain = this.agents.get(agent);
    if (!chain) {
      chain = new OneAgentOpeningEquity(this.initialCapital);
      this.agents.set(agent, chain);
    }
    chain.add(tradingDay, realizedPnl);
  }

  /**
   * Equity by agent after every trade added; undefined when the trades did not come in day order, or when one
   * falls on `periodFrom` or later (the whole series would count it in the period, not before it).
   */
  result(periodFrom?: string): Map<string, number> | undefined {
    if (periodFrom !== undefined && this.latestTradingDay >= periodFrom) return undefined;
    const out = new Map<string, number>();
    for (const [agent, chain] of this.agents) {
      const equity = chain.result(periodFrom);
      if (equity === undefined) return undefined;
      out.set(agent, equity);
    }
    return out;
  }
}

/**
 * One agent's part of AgentOpeningEquity: its closed trades in exit order. The agents' chains are independent
 * (each has its own series), so SQLite can hand them over one agent after the other.
 */
export class OneAgentOpeningEquity {
  private equity: number;
  private tradingDay: string | undefined;
  private dayPnl = 0;
  private outOfDayOrder = false;
  private latestTradingDay = '';

  constructor(initialCapital = DEFAULT_INITIAL_CAPITAL) {
    this.equity = initialCapital;
  }

  add(tradingDay: string, realizedPnl: number): void {
    if (tradingDay > this.latestTradingDay) this.latestTradingDay = tradingDay;
    if (this.tradingDay === undefined) {
      this.tradingDay = tradingDay;
      this.dayPnl = realizedPnl;
      return;
    }
    if (this.tradingDay === tradingDay) {
      this.dayPnl = this.dayPnl + realizedPnl;
      return;
    }
    // A day seen again after a later one would be one sum in the series, here two: only the series is right then.
    if (tradingDay < this.tradingDay) this.outOfDayOrder = true;
    this.equity = this.equity + finiteOrZero(this.dayPnl);
    this.tradingDay = tradingDay;
    this.dayPnl = realizedPnl;
  }

  /** add() with the trading day of the trade added last (there must be one). */
  addToSameDay(realizedPnl: number): void {
    this.dayPnl = this.dayPnl + realizedPnl;
  }

  /** The agent's equity after every trade added (the initial capital without one); undefined as AgentOpeningEquity.result. */
  result(periodFrom?: string): number | undefined {
    if (this.outOfDayOrder || (periodFrom !== undefined && this.latestTradingDay >= periodFrom)) return undefined;
    return this.tradingDay === undefined ? this.equity : this.equity + finiteOrZero(this.dayPnl);
  }
}

/** buildDailyEquity counts a day whose P&L is not a finite number as 0. */
function finiteOrZero(value: number): number {
  return Number.isFinite(value) ? value : 0;
}
