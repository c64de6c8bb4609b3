import type { AgentPerformance } from '../agent-breakdown';
import type { PerformanceMetrics } from '../metrics';
import type { BreakdownRow } from '../trade-stats';

export const REPORT_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type ReportPeriodKind = (typeof REPORT_PERIODS)[number];

export const REPORT_FORMATS = ['md', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportPeriod {
  /** 'range': any span of days (a backtest's). */
  kind: ReportPeriodKind | 'range';
  /** File name stem: '2026-11-23' (daily), '2026-W48' (ISO week), '2026-11' (month). */
  key: string;
  /** First and last calendar day of the period. */
  from: string;
  to: string;
  /** NYSE trading days of the period. */
  tradingDays: string[];
  title: string;
}

/** One closed round trip as reports show it. */
export interface ReportTrade {
  positionId: string;
  symbol: string;
  agentName: string;
  direction: string;
  quantity: number;
  entryPrice: number;
  entryTimeMs: number;
  exitPrice: number | null;
  exitTimeMs: number;
  exitReason: string | null;
  commission: number;
  realizedPnl: number;
  pnlPct: number | null;
  source: string;
}

/** One agent's row of a report: the breakdown's fields (`key` is the agent_name) and its own max drawdown. */
export interface AgentReportRow extends BreakdownRow, Pick<AgentPerformance, 'maxDrawdown'> {}

export interface CurvePoint {
  label: string;
  equity: number;
}

export interface ReportActivity {
  runs: number;
  failedRuns: number;
  candidates: number;
  taken: number;
}

/** Everything a report shows; the renderers are pure functions of it. */
export interface ReportData {
  period: ReportPeriod;
  generatedAt: string;
  metrics: PerformanceMetrics;
  trades: ReportTrade[];
  bySymbol: BreakdownRow[];
  byAgent: AgentReportRow[];
  /** Equity after each trade (daily report) or each day (weekly, monthly), opening value first. */
  curve: CurvePoint[];
  /** 'account' when every day's end equity came from the broker, 'derived' when none did, else 'mixed'. */
  equitySource: 'account' | 'derived' | 'mixed' | 'none';
  initialCapital: number;
  openTrades: number;
  activity: ReportActivity | null;
}
