import { DEFAULT_INITIAL_CAPITAL } from './conventions';
import { tradingDaysBetween } from './trading-days';

/**
 * The daily equity series every return metric starts from.
 *
 * The DB knows each trading day's realized P&L (round trips closed that day) and, once the reconciler has
 * run after the close, the account's net liquidation (daily_summary.start_equity / end_equity). Either may
 * be missing, so each day is resolved like this:
 *   start_t = the day's recorded start equity, else the previous day's end, else `initialCapital`
 *   end_t   = the day's recorded end equity,   else start_t + realized P&L_t
 *   r_t     = end_t / start_t - 1
 * With no account equity at all this is "equity = initial capital + cumulative realized P&L". Using the
 * account's own start of day keeps overnight deposits and withdrawals out of the returns.
 */
export interface DailyRecord {
  tradingDay: string;
  realizedPnl: number;
  trades?: number;
  startEquity?: number | null;
  endEquity?: number | null;
}

export interface DailyEquity {
  tradingDay: string;
  startEquity: number;
  endEquity: number;
  /** Realized P&L of the day (money). */
  pnl: number;
  trades: number;
  return: number;
  /** 'account' when end equity came from the broker, 'derived' when it is start + realized P&L. */
  endSource: 'account' | 'derived';
}

export interface BuildEquityOptions {
  /** Equity before the first day when the DB has none (default 100,000). */
  initialCapital?: number;
  /** Add 0-P&L days for every NYSE trading day from `fillFrom` (default: first record) to `fillTo` (default: last). */
  fillTradingDays?: boolean;
  fillFrom?: string;
  fillTo?: string;
}

export function buildDailyEquity(records: readonly DailyRecord[], options: BuildEquityOptions = {}): DailyEquity[] {
  const initialCapital = options.initialCapital ?? DEFAULT_INITIAL_CAPITAL;
  const byDay = new Map<string, DailyRecord>();
  // Records merged here are our own copies, so a day with many records (one per trade) is copied once, not once per record.
  const merged = new Set<DailyRecord>();
  let inOrder = true;
  let previousDay = '';
  for (const r of records) {
    const existing = byDay.get(r.tradingDay);
    if (!existing) {
      byDay.set(r.tradingDay, r);
      if (r.tradingDay < previousDay) inOrder = false;
      previousDay = r.tradingDay;
    } else if (merged.has(existing)) {
      existing.realizedPnl = existing.realizedPnl + r.realizedPnl;
      existing.trades = (existing.trades ?? 0) + (r.trades ?? 0);
    } else {
      const copy = { ...existing, realizedPnl: existing.realizedPnl + r.realizedPnl, trades: (existing.trades ?? 0) + (r.trades ?? 0) };
      merged.add(copy);
      byDay.set(r.tradingDay, copy);
    }
  }
  let days = [...byDay.keys()];
  if (!inOrder) days.sort();
  if (options.fillTradingDays !== false && (days.length > 0 || (options.fillFrom && options.fillTo))) {
    const from = [options.fillFrom, days[0]].filter((d): d is string => !!d).sort()[0]!;
    const to = [options.fillTo, days[days.length - 1]].filter((d): d is string => !!d).sort().reverse()[0]!;
    days = mergeSortedDays(tradingDaysBetween(from, to), days);
  }
  const out: DailyEquity[] = [];
  let previousEnd = initialCapital;
  for (const day of days) {
    const r = byDay.get(day);
    const pnl = Number.isFinite(r?.realizedPnl) ? r!.realizedPnl : 0;
    const start = isUsable(r?.startEquity) ? r!.startEquity! : previousEnd;
    const hasAccountEnd = isUsable(r?.endEquity);
    const end = hasAccountEnd ? r!.endEquity! : start + pnl;
    out.push({
      tradingDay: day,
      startEquity: start,
      endEquity: end,
      pnl,
      trades: r?.trades ?? 0,
      return: start > 0 ? end / start - 1 : 0,
      endSource: hasAccountEnd ? 'account' : 'derived',
    });
    previousEnd = end;
  }
  return out;
}

/** The union of two ascending lists of days, ascending, each day once (what sorting a Set of both gives). */
function mergeSortedDays(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    let next: string;
    if (y === undefined || (x !== undefined && x < y)) next = a[i++]!;
    else if (x === undefined || y < x) next = b[j++]!;
    else {
      next = x;
      i++;
      j++;
    }
    if (out.length === 0 || out[out.length - 1]! < next) out.push(next);
  }
  return out;
}

function isUsable(value: number | null | undefined): value is number {
  return value !== null && value !== undefined && Number.isFinite(value);
}

/** Days of an equity series within [from, to] (inclusive, either bound optional). */
export function sliceDailyEquity(series: readonly DailyEquity[], from?: string, to?: string): DailyEquity[] {
  return series.filter((d) => (!from || d.tradingDay >= from) && (!to || d.tradingDay <= to));
}

export interface EquityCurvePoint {
  /** null for the opening point (equity before the first day). */
  label: string | null;
  equity: number;
}

/** The opening equity followed by each day's end equity: n days give n + 1 points. */
export function equityCurve(series: readonly DailyEquity[]): EquityCurvePoint[] {
  if (series.length === 0) return [];
  return [{ label: null, equity: series[0]!.startEquity }, ...series.map((d) => ({ label: d.tradingDay, equity: d.endEquity }))];
}
