import type { StoredAlert } from './alert-types';
import { exitReasonWords, money, signedMoney } from './fact-alerts';

/** The body of a single alert's message: the facts an operator needs, in plain lines (pure). */
export function alertLines(alert: StoredAlert): string[] {
  const d = alert.data;
  const lines: string[] = [];
  const when = `${alert.createdAt} (market time, trading day ${alert.tradingDay}), recorded by ${alert.app}`;
  switch (alert.kind) {
    case 'entry_filled':
      lines.push(`Bought ${num(d.quantity)} ${alert.symbol} at ${money(num(d.entryPrice))}${d.requestedQuantity && d.requestedQuantity !== d.quantity ? ` (of ${num(d.requestedQuantity)} asked)` : ''}.`);
      lines.push(`Stop ${money(num(d.stopLossPrice))}, target ${money(num(d.profitTargetPrice))}; position ${str(d.positionId)}.`);
      break;
    case 'position_closed':
    case 'large_win':
    case 'large_loss':
      lines.push(`${alert.symbol}: ${num(d.quantity)} shares, entry ${money(num(d.entryPrice))}, exit ${money(num(d.exitPrice))} (${exitReasonWords(str(d.exitReason))}).`);
      lines.push(`Realized ${signedMoney(num(d.realizedPnl) ?? 0)}${d.profitLossPct !== null && d.profitLossPct !== undefined ? ` (${(num(d.profitLossPct) ?? 0).toFixed(2)} %)` : ''}; day realized ${signedMoney(num(d.dayRealizedPnl) ?? 0)}.`);
      break;
    case 'pnl_milestone':
      lines.push(`Realized P&L of ${str(d.tradingDay)}: ${signedMoney(num(d.dayRealizedPnl) ?? 0)} (milestone ${signedMoney(num(d.milestone) ?? 0)}).`);
      break;
    case 'daily_summary': {
      lines.push(`${num(d.trades)} trades: ${num(d.wins)} won, ${num(d.losses)} lost${d.winRatePct !== null ? ` (win rate ${num(d.winRatePct)} %)` : ''}.`);
      lines.push(`Realized ${signedMoney(num(d.realizedPnl) ?? 0)}; largest win ${money(num(d.largestWin))}, largest loss ${money(num(d.largestLoss))}.`);
      const bySymbol = Array.isArray(d.bySymbol) ? (d.bySymbol as Array<{ symbol: string; realizedPnl: number; exitReason: string | null }>) : [];
      for (const row of bySymbol.slice(0, 20)) lines.push(`  ${row.symbol} ${signedMoney(row.realizedPnl)}${row.exitReason ? ` (${exitReasonWords(row.exitReason)})` : ''}`);
      if (Array.isArray(d.reportFiles) && d.reportFiles.length > 0) lines.push(`Report: ${(d.reportFiles as string[]).join(', ')}`);
      break;
    }
    case 'reconciliation_mismatch':
      lines.push(`${alert.symbol}: ${str(d.status)}; DB ${d.dbQuantity ?? '—'}, broker ${d.brokerQuantity ?? '—'}.`);
      lines.push(`Reconciler: ${str(d.action)}`);
      break;
    default:
      for (const [key, value] of Object.entries(d)) lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  lines.push(when);
  return lines;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string {
  return value === null || value === undefined ? '—' : String(value);
}
