import type { BreakdownRow } from '../trade-stats';
import { duration, money, num, pct } from './format';
import type { ReportData } from './report-model';

/** The per-strategy table every format shows: one row per agent_name that closed a trade in the period. */
export const AGENT_COLUMNS = ['Agent', 'Trades', 'Won', 'Lost', 'Win rate', 'Net P&L', 'Profit factor', 'Avg win', 'Avg loss', 'Avg held'] as const;
export const AGENT_ALIGN: Array<'l' | 'r'> = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
/** Column of AGENT_COLUMNS holding the net P&L (coloured by sign in HTML). */
export const AGENT_NET_PNL_COLUMN = 5;

/** With one agent the table would repeat the summary (and the trades table names the agent already). */
export function showsAgentTable(data: ReportData): boolean {
  return data.byAgent.length > 1;
}

export function agentCells(row: BreakdownRow): string[] {
  return [
    row.key, String(row.trades), String(row.wins), String(row.losses), pct(row.winRate), money(row.netProfit),
    row.losses === 0 ? 'n/a (no losers)' : num(row.profitFactor), money(row.averageWin), money(row.averageLoss), duration(row.averageHoldingMinutes),
  ];
}
