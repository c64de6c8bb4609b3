import type { AgentPerformance } from '../agent-breakdown';
import { duration, money, num, pct } from './format';
import type { AgentReportRow } from './report-model';

/** The per-strategy table every format shows: one row per agent_name that closed a trade in the period. */
export const AGENT_COLUMNS = ['Agent', 'Trades', 'Won', 'Lost', 'Win rate', 'Net P&L', 'Profit factor', 'Avg win', 'Avg loss', 'Avg held', 'Max drawdown'] as const;
export const AGENT_ALIGN: Array<'l' | 'r'> = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
/** Column of AGENT_COLUMNS holding the net P&L (coloured by sign in HTML). */
export const AGENT_NET_PNL_COLUMN = 5;

/**
 * With one agent the table would repeat the summary (and the trades table names the agent already). Any data
 * with per-agent rows: a report, the dashboard's performance page.
 */
export function showsAgentTable(data: { readonly byAgent: readonly unknown[] }): boolean {
  return data.byAgent.length > 1;
}

/** An agent's figures (agentBreakdown) under the names a report's breakdown rows have always had. */
export function agentReportRow(a: AgentPerformance): AgentReportRow {
  return {
    key: a.agent, trades: a.trades, wins: a.wins, losses: a.losses, winRate: a.winRate, netProfit: a.netProfit, grossProfit: a.grossProfit,
    grossLoss: a.grossLoss, profitFactor: a.profitFactor, averageTrade: a.averageTrade, averageWin: a.averageWin, averageLoss: a.averageLoss,
    averageHoldingMinutes: a.averageHoldingMinutes, maxDrawdown: a.maxDrawdown,
  };
}

export function agentCells(row: AgentReportRow): string[] {
  return [
    row.key, String(row.trades), String(row.wins), String(row.losses), pct(row.winRate), money(row.netProfit),
    row.losses === 0 ? 'n/a (no losers)' : num(row.profitFactor), money(row.averageWin), money(row.averageLoss), duration(row.averageHoldingMinutes),
    pct(row.maxDrawdown),
  ];
}
