/**
 * The soak run's figures (pure): one row per simulated trading day, and the trends across days that say
 * whether anything grows that should not (memory) and whether what should grow does so with the trades
 * (the DB and the logs).
 */

export interface ProcessDayFigures {
  /** RSS at the day's end (after the close and its reconciliation), MB. */
  rssEndMb: number | null;
  /** Largest RSS sampled during the day, MB. */
  rssMaxMb: number | null;
  /** p99 and max of the event-loop delay the heartbeats carried (each beat: the largest delay since the last), ms. */
  loopDelayP99Ms: number | null;
  loopDelayMaxMs: number | null;
  /** PM2 restarts of the process during the day. */
  restarts: number;
}

export interface SoakDay {
  index: number;
  tradingDay: string;
  /** Early close, holiday skipped before it, DST change before it. */
  notes: string[];
  realSeconds: number;
  violations: number;
  violationSamples: string[];
  entries: number;
  closed: number;
  /** Cumulative rows in `trades` at the day's end. */
  tradesTotal: number;
  dbBytes: number;
  logBytes: number;
  backups: number;
  backupOk: boolean | null;
  reportsWritten: number;
  processes: Record<string, ProcessDayFigures>;
}

/** Least-squares slope of y over x (per unit of x), null with fewer than two points. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (sxx === 0) return null;
  return points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** Pearson correlation, null when undefined. */
export function correlation(points: ReadonlyArray<{ x: number; y: number }>): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const syy = points.reduce((s, p) => s + (p.y - my) ** 2, 0);
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface MemoryTrend {
  app: string;
  /** MB per trading day, least squares over the end-of-day RSS of every day after the first `warmupDays`. */
  slopeMbPerDay: number | null;
  firstMb: number | null;
  lastMb: number | null;
  minMb: number | null;
  maxMb: number | null;
}

/** End-of-day RSS trend per process; the first days (heap warming up, caches filling) are left out of the slope. */
export function memoryTrends(days: readonly SoakDay[], warmupDays = 3): MemoryTrend[] {
  const apps = [...new Set(days.flatMap((d) => Object.keys(d.processes)))].sort();
  return apps.map((app) => {
    const series = days.map((d) => ({ x: d.index, y: d.processes[app]?.rssEndMb ?? null })).filter((p): p is { x: number; y: number } => p.y !== null);
    const steady = series.filter((p) => p.x > warmupDays);
    const values = series.map((p) => p.y);
    return {
      app, slopeMbPerDay: round(slope(steady.length >= 2 ? steady : series), 3), firstMb: values[0] ?? null, lastMb: values[values.length - 1] ?? null,
      minMb: values.length ? Math.min(...values) : null, maxMb: values.length ? Math.max(...values) : null,
    };
  });
}

export interface GrowthTrend {
  /** Bytes per trade (least squares of size over the cumulative trades count) and how linear it is. */
  dbBytesPerTrade: number | null;
  dbCorrelation: number | null;
  dbBytesPerDay: number | null;
  logBytesPerDay: number | null;
  logCorrelationWithTrades: number | null;
}

export function growthTrend(days: readonly SoakDay[]): GrowthTrend {
  const dbByTrades = days.map((d) => ({ x: d.tradesTotal, y: d.dbBytes }));
  const logByTrades = days.map((d) => ({ x: d.tradesTotal, y: d.logBytes }));
  return {
    dbBytesPerTrade: round(slope(dbByTrades), 0), dbCorrelation: round(correlation(dbByTrades), 4),
    dbBytesPerDay: round(slope(days.map((d) => ({ x: d.index, y: d.dbBytes }))), 0),
    logBytesPerDay: round(slope(days.map((d) => ({ x: d.index, y: d.logBytes }))), 0),
    logCorrelationWithTrades: round(correlation(logByTrades), 4),
  };
}

function round(value: number | null, digits: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
