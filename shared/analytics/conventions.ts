/**
 * Conventions of every metric in shared/analytics, in one place so users can compare our numbers with
 * quantstats (ranaroussi/quantstats, stats.py) and empyrical (quantopian/empyrical, stats.py) — the Python
 * libraries most people check performance figures against. Where the two differ we say which one we follow.
 *
 * Inputs
 * - Daily SIMPLE returns r_t = E_t / E_{t-1} - 1 from a daily equity series (empyrical.simple_returns).
 *   One observation per NYSE trading day; days without trades are 0-return days (the bots' equity did not
 *   move), so the series has every trading day between the first and the last (see buildDailyEquity).
 * - Periods per year P = 252 (empyrical APPROX_BDAYS_PER_YEAR / quantstats periods=252).
 * - The risk-free rate is given ANNUAL (e.g. 0.04) and turned into a daily rate geometrically,
 *   rf_d = (1 + rf)^(1/P) - 1, as quantstats' to_excess_returns(rf, nperiods) does. Default 0.
 *
 * Formulas (n = number of daily returns; std = SAMPLE standard deviation, ddof = 1, like both libraries)
 * - total return        = Π(1 + r_t) - 1                                   (quantstats comp)
 * - cumulative curve    = Π_{s<=t}(1 + r_s) - 1                             (empyrical cum_returns)
 * - CAGR                = (1 + total)^(P / n) - 1                           (empyrical annual_return/cagr and
 *                         quantstats cagr >= 0.2: years = n / P trading days, NOT calendar days / 365.25)
 * - annualized return   = mean(r) × P (arithmetic; the numerator empyrical's Sortino uses)
 * - monthly / yearly    = Π(1 + r_t) - 1 over the calendar month / year     (quantstats monthly_returns, compounded)
 * - volatility          = std(r) × √P                                       (empyrical annual_volatility)
 * - Sharpe              = mean(r - rf_d) / std(r - rf_d) × √P               (both libraries)
 * - downside deviation  = √( Σ min(r_t - rf_d, 0)² / n ) over ALL n observations (quantstats sortino,
 *                         empyrical downside_risk with required_return = rf_d); annualized × √P
 * - Sortino             = mean(r - rf_d) / downside deviation (daily) × √P   (both libraries)
 * - max drawdown        = min_t (C_t / max_{s<=t} C_s - 1), C the compounded curve WITH the starting value
 *                         as its first point (empyrical prepends 100): a loss on day 1 is a drawdown. ≤ 0.
 * - drawdown duration   = a drawdown period is a run of days under water; its length is counted in
 *                         calendar days from its first to its last day under water, inclusive, and also in
 *                         trading days (quantstats drawdown_details "days"); a drawdown that never recovers
 *                         ends on the last day of the series.
 * - Calmar              = CAGR / |max drawdown|                             (both libraries)
 * - recovery factor     = total return / |max drawdown| (compounded, sign kept: a losing strategy is
 *                         negative). quantstats uses |Σ r_t| / |max drawdown|, which hides losses; empyrical
 *                         has none. In money this equals net profit / (max drawdown × starting equity).
 * - information ratio   = mean(a) / std(a), a_t = r_t - b_t on days both series have; NOT annualized,
 *                         exactly quantstats information_ratio and empyrical excess_sharpe. Multiply by √P
 *                         for the annualized figure some platforms print.
 * - best / worst day    = max / min daily return (quantstats best/worst), with that day's P&L.
 * - winning / losing day streaks = longest runs of r > 0 / r < 0; a 0 day breaks both (quantstats consecutive_*).
 * - daily win rate      = days with r > 0 / days with r ≠ 0 (quantstats win_rate).
 * - exposure            = days with r ≠ 0 / all days (quantstats exposure, without its rounding up).
 *
 * Trade statistics (round trips; follow pyfolio's round_trips.py)
 * - a win is realized P&L > 0, a loss < 0, 0 is breakeven. win rate = wins / all closed trades
 *   (pyfolio "percent profitable").
 * - profit factor = gross profit / |gross loss| (pyfolio). No losing trade: null (the libraries print inf;
 *   JSON has no inf). No trade: null. Wins 0 and losses > 0: 0.
 * - average win / average loss = mean P&L of winners / of losers (the loss is negative); payoff ratio =
 *   average win / |average loss|.
 * - largest win = max P&L of winners, largest loss = min P&L of losers (negative); null when none.
 * - streaks: longest runs of consecutive winning / losing trades in exit-time order; breakeven breaks both.
 * - holding time = exit time - entry time; average and median in minutes (pyfolio "avg duration").
 * - time in market = length of the union of all holding intervals / regular-session time of the trading days
 *   covered (390 minutes, 210 on 13:00 early closes). Overnight holds count their overnight hours; capped at 1.
 *
 * Per strategy (agent_name; agent-breakdown.ts)
 * - the trade statistics above over that agent's closed trades of the period.
 * - max drawdown of the agent's own daily equity: initial capital + its cumulative realized P&L since its first
 *   trade (the account's net liquidation belongs to all agents together), the same series `--agent` uses.
 *
 * Degenerate input never produces NaN or ±Infinity: every function returns a finite number or null
 * (JSON-safe). null means "not defined for this input" (empty series, one observation, zero deviation).
 * A standard / downside deviation or tracking error below 1e-12 per day counts as zero: it is float dust of a
 * constant series, and dividing by it would print ratios like 1e13 (risk.ts NEGLIGIBLE_DEVIATION).
 */
export const TRADING_DAYS_PER_YEAR = 252;

/** Starting equity assumed when the DB has no account equity for the first day. */
export const DEFAULT_INITIAL_CAPITAL = 100_000;

export interface AnalyticsOptions {
  /** Annual risk-free rate as a fraction (0.04 = 4 %). Default 0. */
  riskFreeRate?: number;
  /** Observations per year for annualization. Default 252. */
  periodsPerYear?: number;
}

/** Annual rate to a per-period rate, geometrically (quantstats to_excess_returns with nperiods). */
export function periodRiskFreeRate(annualRate: number, periodsPerYear: number): number {
  if (annualRate === 0) return 0;
  return Math.pow(1 + annualRate, 1 / periodsPerYear) - 1;
}

export function resolveOptions(options: AnalyticsOptions = {}): Required<AnalyticsOptions> {
  return {
    riskFreeRate: options.riskFreeRate ?? 0,
    periodsPerYear: options.periodsPerYear ?? TRADING_DAYS_PER_YEAR,
  };
}
