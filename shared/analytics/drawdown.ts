import { calendarDaysBetween } from './trading-days';

/**
 * Drawdowns of the compounded curve C_0 = 1 (the starting equity, before the first day), C_t = C_{t-1}(1 + r_t).
 * The starting value counts as a peak (empyrical prepends it), so a loss on the first day is a drawdown.
 * A day is under water when C_t < peak × (1 - 1e-12): the tolerance keeps float dust (1.1 × 0.9/1.1 ≠ 0.9
 * exactly) from turning a full recovery into an endless drawdown.
 */
const UNDERWATER_TOLERANCE = 1e-12;

export interface DrawdownPeriod {
  /** Day the peak was set; null when the peak is the starting equity. */
  peakDay: string | null;
  /** First and last day under water (the last day of the series when it never recovered). */
  startDay: string;
  endDay: string;
  troughDay: string;
  /** First day back at or above the peak; null when it never recovered. */
  recoveryDay: string | null;
  /** Deepest point, as a fraction ≤ 0 (C_trough / peak - 1). */
  depth: number;
  /** Calendar days from startDay to endDay inclusive (quantstats drawdown_details "days"). */
  calendarDays: number;
  /** Trading days under water. */
  tradingDays: number;
}

export interface DrawdownSummary {
  /** Max drawdown, fraction ≤ 0; null without returns. */
  maxDrawdown: number | null;
  peakDay: string | null;
  troughDay: string | null;
  recoveryDay: string | null;
  /** null without a drawdown. */
  recovered: boolean | null;
  /** Duration of the deepest drawdown (see DrawdownPeriod); null without a drawdown. */
  maxDrawdownCalendarDays: number | null;
  maxDrawdownTradingDays: number | null;
  /** Longest drawdown period of any depth, in calendar days. */
  longestDrawdownCalendarDays: number | null;
  /** Drawdown at the last day (0 when at a peak). */
  currentDrawdown: number | null;
  drawdownPeriods: number;
}

/** dd_t = C_t / max_{s<=t} C_s - 1 for each day (≤ 0), peak including the starting value. */
export function drawdownSeries(returns: readonly number[]): number[] {
  const out: number[] = [];
  let value = 1;
  let peak = 1;
  for (const r of returns) {
    value *= 1 + r;
    if (value > peak) peak = value;
    const dd = peak > 0 ? value / peak - 1 : 0;
    out.push(dd < -UNDERWATER_TOLERANCE ? dd : 0);
  }
  return out;
}

/** Every drawdown period, in order. `days[i]` is the trading day of `returns[i]`. */
export function drawdownPeriods(days: readonly string[], returns: readonly number[]): DrawdownPeriod[] {
  const periods: DrawdownPeriod[] = [];
  let value = 1;
  let peak = 1;
  let peakIndex = -1;
  let open: { start: number; trough: number; depth: number; peakIndex: number } | undefined;
  const close = (endIndex: number, recoveryIndex: number | null) => {
    if (!open) return;
    periods.push({
      peakDay: open.peakIndex >= 0 ? days[open.peakIndex]! : null,
      startDay: days[open.start]!,
      endDay: days[endIndex]!,
      troughDay: days[open.trough]!,
      recoveryDay: recoveryIndex === null ? null : days[recoveryIndex]!,
      depth: open.depth,
      calendarDays: calendarDaysBetween(days[open.start]!, days[endIndex]!) + 1,
      tradingDays: endIndex - open.start + 1,
    });
    open = undefined;
  };
  for (let i = 0; i < returns.length; i++) {
    value *= 1 + returns[i]!;
    if (value >= peak * (1 - UNDERWATER_TOLERANCE)) {
      close(i - 1, i);
      if (value >= peak) {
        peak = value;
        peakIndex = i;
      }
      continue;
    }
    const depth = peak > 0 ? value / peak - 1 : 0;
    if (!open) open = { start: i, trough: i, depth, peakIndex };
    else if (depth < open.depth) {
      open.trough = i;
      open.depth = depth;
    }
  }
  close(returns.length - 1, null);
  return periods;
}

export function drawdownSummary(days: readonly string[], returns: readonly number[]): DrawdownSummary {
  if (returns.length === 0) {
    return {
      maxDrawdown: null, peakDay: null, troughDay: null, recoveryDay: null, recovered: null, maxDrawdownCalendarDays: null,
      maxDrawdownTradingDays: null, longestDrawdownCalendarDays: null, currentDrawdown: null, drawdownPeriods: 0,
    };
  }
  const periods = drawdownPeriods(days, returns);
  const series = drawdownSeries(returns);
  const currentDrawdown = series[series.length - 1]!;
  if (periods.length === 0) {
    return {
      maxDrawdown: 0, peakDay: null, troughDay: null, recoveryDay: null, recovered: null, maxDrawdownCalendarDays: null,
      maxDrawdownTradingDays: null, longestDrawdownCalendarDays: null, currentDrawdown, drawdownPeriods: 0,
    };
  }
  let deepest = periods[0]!;
  let longest = periods[0]!.calendarDays;
  for (const p of periods) {
    if (p.depth < deepest.depth) deepest = p;
    if (p.calendarDays > longest) longest = p.calendarDays;
  }
  return {
    maxDrawdown: deepest.depth,
    peakDay: deepest.peakDay,
    troughDay: deepest.troughDay,
    recoveryDay: deepest.recoveryDay,
    recovered: deepest.recoveryDay !== null,
    maxDrawdownCalendarDays: deepest.calendarDays,
    maxDrawdownTradingDays: deepest.tradingDays,
    longestDrawdownCalendarDays: longest,
    currentDrawdown,
    drawdownPeriods: periods.length,
  };
}
