import type { ActivePosition, ClosedPosition } from '../db/types';
import type { AlertDraft, AlertThresholds, Severity } from './alert-types';

/**
 * Which alerts a fact produces (pure). Each function returns the drafts the writer enqueues in the same
 * transaction as the fact; the dedupe keys make a fact seen twice (a replayed fill, a reconciler and a bot
 * booking the same thing) one alert.
 */

/** Exit reasons that are not the plan working as intended. */
const WARNING_EXIT_REASONS = new Set(['STOP_LOSS', 'RECONCILED_FLAT', 'MANUAL', 'EMERGENCY_LIQUIDATION', 'EOD_LIQUIDATION_UNTRACKED']);

const REASON_WORDS: Record<string, string> = {
  STOP_LOSS: 'stop-loss hit',
  PROFIT_TARGET: 'take-profit hit',
  TRAILING_STOP: 'trailing stop hit',
  TIME_EXIT: 'time exit',
  EOD_LIQUIDATION: 'flattened before the close',
  EOD_LIQUIDATION_UNTRACKED: 'flattened before the close (untracked)',
  RECONCILED_FLAT: 'found flat at the broker (closed outside the bots)',
  EMERGENCY_LIQUIDATION: 'emergency liquidation',
  MANUAL: 'sold by hand',
};

export function exitReasonWords(reason: string): string {
  return REASON_WORDS[reason] ?? reason.toLowerCase().replace(/_/g, ' ');
}

/** The entry is complete: every share the broker reported is booked and the order no longer works. */
export function entryComplete(position: ActivePosition): boolean {
  return position.entryBooked > 0 && !position.entryWorking && position.entryBooked >= position.entryReported;
}

export function entryFilledAlert(position: ActivePosition): AlertDraft {
  const shares = position.entryBooked;
  return {
    kind: 'entry_filled', severity: 'info', dedupeKey: `entry_filled:${position.id}`, symbol: position.symbol, tradingDay: position.tradingDay,
    title: `Entry filled: ${position.symbol} ${shares} @ ${money(position.entryPrice)}`,
    data: {
      positionId: position.id, symbol: position.symbol, quantity: shares, requestedQuantity: position.requestedQuantity, entryPrice: position.entryPrice,
      stopLossPrice: position.stopLossPrice, profitTargetPrice: position.profitTargetPrice, agent: position.agentName, entryTime: position.entryTimestamp,
    },
  };
}

export type ClosedFact = Omit<ClosedPosition, 'id'>;

/**
 * The close itself (with its reason), a large win or loss above the configured amounts, and each P&L
 * milestone of the day's realized P&L that this close crossed (`dayBefore` → `dayAfter`).
 */
export function positionClosedAlerts(closed: ClosedFact, dayBefore: number, dayAfter: number, thresholds: AlertThresholds): AlertDraft[] {
  const pnl = closed.realizedPnl;
  const base = {
    positionId: closed.positionId, symbol: closed.symbol, quantity: closed.quantity, entryPrice: closed.entryPrice, exitPrice: closed.exitPrice,
    exitReason: closed.exitReason, realizedPnl: pnl, profitLossPct: closed.profitLossPct, closedAt: closed.timestamp, dayRealizedPnl: round2(dayAfter),
  };
  const drafts: AlertDraft[] = [{
    kind: 'position_closed', severity: WARNING_EXIT_REASONS.has(closed.exitReason) ? 'warning' : 'info',
    dedupeKey: `position_closed:${closed.positionId}`, symbol: closed.symbol, tradingDay: closed.closeDate,
    title: `${closed.symbol} closed, ${exitReasonWords(closed.exitReason)}: ${signedMoney(pnl)}`,
    data: base,
  }];
  if (thresholds.largeWinAmount > 0 && pnl >= thresholds.largeWinAmount) {
    drafts.push({
      kind: 'large_win', severity: 'info', dedupeKey: `large_win:${closed.positionId}`, symbol: closed.symbol, tradingDay: closed.closeDate,
      title: `Large win: ${closed.symbol} ${signedMoney(pnl)} (threshold ${money(thresholds.largeWinAmount)})`, data: { ...base, threshold: thresholds.largeWinAmount },
    });
  }
  if (thresholds.largeLossAmount > 0 && pnl <= -thresholds.largeLossAmount) {
    drafts.push({
      kind: 'large_loss', severity: 'warning', dedupeKey: `large_loss:${closed.positionId}`, symbol: closed.symbol, tradingDay: closed.closeDate,
      title: `Large loss: ${closed.symbol} ${signedMoney(pnl)} (threshold ${money(thresholds.largeLossAmount)})`, data: { ...base, threshold: thresholds.largeLossAmount },
    });
  }
  for (const milestone of [...new Set(thresholds.pnlMilestones)].filter((m) => m > 0).sort((a, b) => a - b)) {
    for (const sign of [1, -1] as const) {
      const level = sign * milestone;
      const crossed = sign > 0 ? dayBefore < level && dayAfter >= level : dayBefore > level && dayAfter <= level;
      if (!crossed) continue;
      drafts.push({
        kind: 'pnl_milestone', severity: sign > 0 ? 'info' : 'warning', dedupeKey: `pnl_milestone:${closed.closeDate}:${sign > 0 ? '+' : '-'}${milestone}`,
        tradingDay: closed.closeDate, title: `Day P&L ${sign > 0 ? 'reached' : 'fell to'} ${signedMoney(level)} (realized ${signedMoney(dayAfter)})`,
        data: { tradingDay: closed.closeDate, milestone: level, dayRealizedPnl: round2(dayAfter), lastClose: { symbol: closed.symbol, realizedPnl: pnl, exitReason: closed.exitReason } },
      });
    }
  }
  return drafts;
}

export function exitOverfillAlert(position: ActivePosition, remaining: number): AlertDraft {
  return {
    kind: 'exit_overfill', severity: 'critical', dedupeKey: `exit_overfill:${position.id}`, symbol: position.symbol, tradingDay: position.tradingDay,
    title: `More ${position.symbol} sold than held: the account is now ${remaining > 0 ? 'long' : 'short'} ${Math.abs(remaining)}`,
    data: { positionId: position.id, symbol: position.symbol, remaining, what: 'check the position in TWS; the reconciler reports it' },
  };
}

/** A reconciliation symbol report, as the reconciler stores it in `reconciliation_log.details`. */
export interface ReconciliationDetail {
  symbol: string;
  status: string;
  action: string;
  flagged: boolean;
  dbQuantity?: number | null;
  brokerQuantity?: number;
  positionId?: string | null;
}

/** Statuses that are not a mismatch (the foreign-position policy decides FOREIGN, not the reconciler). */
const NOT_A_MISMATCH = new Set(['OK', 'FOREIGN']);
/** The reconciler's word for a symbol it judges at the next run (a fill of ours may not show yet). */
const DEFERRED_PREFIX = 'deferred:';

export function isReconciliationDetail(value: unknown): value is ReconciliationDetail {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.symbol === 'string' && typeof v.status === 'string' && typeof v.action === 'string' && typeof v.flagged === 'boolean';
}

/**
 * One alert per mismatched symbol of a run (DISCREPANCY, MISSING_IN_DB, MISSING_AT_BROKER): critical when
 * flagged (nobody could explain it), a warning when the reconciler repaired it. The condition key is the
 * symbol, so a mismatch that stays is told again only after the repeat interval.
 */
export function reconciliationAlerts(run: { id: number; tradingDay: string; trigger: string; status: string }, details: readonly unknown[]): AlertDraft[] {
  if (run.status !== 'FLAGGED' && run.status !== 'REPAIRED') return [];
  const drafts: AlertDraft[] = [];
  for (const detail of details) {
    if (!isReconciliationDetail(detail) || NOT_A_MISMATCH.has(detail.status) || detail.action.startsWith(DEFERRED_PREFIX) || detail.action === 'none') continue;
    const severity: Severity = detail.flagged ? 'critical' : 'warning';
    drafts.push({
      kind: 'reconciliation_mismatch', severity, dedupeKey: `reconciliation:${run.id}:${detail.symbol}:${detail.positionId ?? ''}`,
      conditionKey: `reconciliation:${detail.symbol}`, symbol: detail.symbol, tradingDay: run.tradingDay,
      title: `Reconciliation ${detail.flagged ? 'MISMATCH' : 'repaired'}: ${detail.symbol} ${detail.status} (DB ${detail.dbQuantity ?? '—'}, broker ${detail.brokerQuantity ?? '—'})`,
      data: { runId: run.id, trigger: run.trigger, ...detail },
    });
  }
  return drafts;
}

export function protectionGaveUpAlert(args: { positionId: string; symbol: string; refusals: number; last: string; tradingDay: string }): AlertDraft {
  return {
    kind: 'protection_gave_up', severity: 'critical', dedupeKey: `protection_gave_up:${args.positionId}:${args.refusals}`, conditionKey: `protection:${args.positionId}`,
    symbol: args.symbol, tradingDay: args.tradingDay,
    title: `${args.symbol} may be UNPROTECTED: the broker refused its protection ${args.refusals} times`,
    data: { ...args, what: 'check the orders in TWS, or flatten with npm run liquidate -- --yes' },
  };
}

/**
 * Shares held without a working stop for longer than the configured time (not refused: missing — a link
 * down, a halt, a stop cancelled by hand, no price to set it at). One alert per episode.
 */
export function protectionMissingAlert(args: { positionId: string; symbol: string; held: number; covered: number; sinceMs: number; seconds: number; why: string; tradingDay: string }): AlertDraft {
  return {
    kind: 'protection_missing', severity: 'critical', dedupeKey: `protection_missing:${args.positionId}:${args.sinceMs}`, conditionKey: `protection:${args.positionId}`,
    symbol: args.symbol, tradingDay: args.tradingDay,
    title: `${args.symbol} UNPROTECTED for ${args.seconds} s: ${args.held - args.covered} of ${args.held} shares have no working stop`,
    data: { ...args, what: 'check the exit manager (npm run status) and the orders in TWS; flatten with npm run liquidate -- --yes if in doubt' },
  };
}

/**
 * A process that ended without a clean shutdown and came back (killed, crashed, hung and killed). Keyed by
 * the pid that died, so the supervisor (which killed it) and the restarted process (which finds its
 * predecessor's heartbeat not stopped) say it once between them.
 */
export function processRestartedAlert(args: { app: string; previousPid: number | null; reason: string; by: string; tradingDay: string; atMs: number; kind?: 'process_restarted' | 'process_crashed' }): AlertDraft {
  const kind = args.kind ?? 'process_restarted';
  return {
    kind, severity: 'warning',
    dedupeKey: `process_restarted:${args.app}:${args.previousPid ?? `none-${args.atMs}`}:${args.tradingDay}`,
    conditionKey: `process_restarted:${args.app}`, tradingDay: args.tradingDay,
    title: kind === 'process_crashed' ? `${args.app} crashed: ${args.reason}` : `${args.app} restarted: ${args.reason}`,
    data: { app: args.app, previousPid: args.previousPid, reason: args.reason, by: args.by },
  };
}

/** The gateway link of a bot down longer than BROKER_DOWN_ALERT_S in market hours: once per outage. */
export function brokerDownAlert(args: { app: string; downSinceMs: number; downSeconds: number; tradingDay: string }): AlertDraft {
  return {
    kind: 'broker_down', severity: 'critical', dedupeKey: `broker_down:${args.app}:${args.downSinceMs}`, conditionKey: 'broker_down', tradingDay: args.tradingDay,
    title: `Gateway link of ${args.app} down for ${args.downSeconds} s during the session`,
    data: { ...args, what: 'check IB Gateway/TWS (logged in, API enabled, port); positions stay protected by their broker-side orders' },
  };
}

export function tradingHaltAlert(halt: { id: number; reason: string; setBy: string; setAt: string; detail: Record<string, unknown> }, tradingDay: string): AlertDraft {
  return {
    kind: 'trading_halt', severity: 'critical', dedupeKey: `trading_halt:${halt.id}`, tradingDay,
    title: `TRADING HALTED by ${halt.setBy}: ${halt.reason}`,
    data: { haltId: halt.id, reason: halt.reason, setBy: halt.setBy, setAt: halt.setAt, detail: halt.detail, lift: 'npm run liquidate -- --resume' },
  };
}

export function tradingResumedAlert(halt: { id: number; reason: string; setBy: string }, liftedBy: string, tradingDay: string): AlertDraft {
  return {
    kind: 'trading_resumed', severity: 'info', dedupeKey: `trading_resumed:${halt.id}`, tradingDay,
    title: `Trading halt lifted by ${liftedBy}: the bots trade again`, data: { haltId: halt.id, reason: halt.reason, setBy: halt.setBy, liftedBy },
  };
}

/** Near: the day's loss passed dailyLossNearPct of the limit; reached: entries stop for the day. */
export function dailyLossAlert(args: { tradingDay: string; dayPnl: number; limit: number; level: 'near' | 'reached'; nearPct: number }): AlertDraft {
  const reached = args.level === 'reached';
  return {
    kind: 'daily_loss_limit', severity: reached ? 'critical' : 'warning', dedupeKey: `daily_loss_limit:${args.tradingDay}:${args.level}`,
    conditionKey: `daily_loss_limit:${args.tradingDay}`, tradingDay: args.tradingDay,
    title: reached
      ? `Daily loss limit reached: ${signedMoney(args.dayPnl)} (limit -${money(args.limit)}): no more entries today`
      : `Daily loss near its limit: ${signedMoney(args.dayPnl)} (${args.nearPct}% of -${money(args.limit)})`,
    data: { tradingDay: args.tradingDay, dayPnl: round2(args.dayPnl), limit: round2(args.limit), level: args.level },
  };
}

export interface DaySummaryFigures {
  tradingDay: string;
  trades: number;
  wins: number;
  losses: number;
  realizedPnl: number;
  largestWin: number | null;
  largestLoss: number | null;
  bySymbol: Array<{ symbol: string; realizedPnl: number; exitReason: string | null }>;
  reportFiles: string[];
}

export function dailySummaryAlert(figures: DaySummaryFigures): AlertDraft {
  const winRate = figures.trades > 0 ? Math.round((figures.wins / figures.trades) * 1000) / 10 : null;
  return {
    kind: 'daily_summary', severity: 'info', dedupeKey: `daily_summary:${figures.tradingDay}`, tradingDay: figures.tradingDay,
    title: `Daily summary ${figures.tradingDay}: ${figures.trades} trade${figures.trades === 1 ? '' : 's'}, ${signedMoney(figures.realizedPnl)}`,
    data: { ...figures, realizedPnl: round2(figures.realizedPnl), winRatePct: winRate },
  };
}

/**
 * One formatter for every amount (toLocaleString with options builds a new one per call: ~10 % of a recordExit),
 * made at the first amount, not at load: a process's first Intl formatter costs about 10 ms, and every bot loads
 * this module on its restart path (the exit manager's time without protection).
 */
let moneyFormat: Intl.NumberFormat | undefined;

export function money(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  moneyFormat ??= new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return moneyFormat.format(value);
}

export function signedMoney(value: number): string {
  return `${value >= 0 ? '+' : '-'}${money(Math.abs(value))}`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
