import type { Heartbeat } from '../db/repositories/heartbeats-repository';
import { marketPhase, minutesToClose } from '../time/trading-calendar';

export interface GuardInput {
  /** Market time. */
  nowMs: number;
  /** Real time, for heartbeat ages. */
  realNowMs: number;
  exitManager: Heartbeat | undefined;
  brokerConnected: boolean;
  realizedPnlToday: number;
  /** Undefined when IB did not say (reqPnL failed): the loss limit cannot be checked, so nothing is entered. */
  unrealizedPnl: number | undefined;
  netLiquidation: number;
  /** An active trading halt (the emergency liquidation set it): nothing is entered until it is lifted. */
  halt?: { reason: string; setBy: string } | undefined;
  /** What market data the account gives now. */
  marketData?: 'unknown' | 'live' | 'delayed' | 'unavailable';
}

/** The configuration the guards read (a ResolvedConfig fits). */
export interface GuardConfig {
  strategy: { entryCutoffMinutesBeforeClose: number };
  supervisor: { exitManagerHeartbeatStaleMs: number };
  risk: { dailyLossLimitPct: number };
}

/**
 * Reasons not to open anything now (empty = entries allowed). The exit manager must be alive, ready, linked
 * to the broker and protecting: an entry without it could stay unprotected.
 */
export function entryBlockers(input: GuardInput, config: GuardConfig): string[] {
  const blockers: string[] = [];
  if (input.halt) blockers.push(`trading_halted (${input.halt.reason}, by ${input.halt.setBy})`);
  if (input.marketData === 'unavailable') blockers.push('no_market_data');
  if (marketPhase(input.nowMs) !== 'REGULAR') blockers.push('market_not_open');
  const toClose = minutesToClose(input.nowMs);
  if (toClose !== undefined && toClose <= config.strategy.entryCutoffMinutesBeforeClose) blockers.push('entry_cutoff');
  const em = input.exitManager;
  if (!em) blockers.push('exit_manager_never_started');
  else if (input.realNowMs - em.beatAtMs > config.supervisor.exitManagerHeartbeatStaleMs) blockers.push(`exit_manager_heartbeat_stale (${input.realNowMs - em.beatAtMs} ms)`);
  else if (em.state !== 'ready') blockers.push(`exit_manager_${em.state}`);
  else if (em.brokerConnected === false) blockers.push('exit_manager_broker_disconnected');
  else if (em.detail.protecting !== true) blockers.push('exit_manager_not_protecting_yet');
  if (!input.brokerConnected) blockers.push('broker_disconnected');
  if (input.unrealizedPnl === undefined) {
    blockers.push('unrealized_pnl_unknown (IB gave no P&L: the daily loss limit cannot be checked)');
  } else {
    const dayPnl = input.realizedPnlToday + input.unrealizedPnl;
    const limit = (input.netLiquidation * config.risk.dailyLossLimitPct) / 100;
    if (input.netLiquidation > 0 && dayPnl <= -limit) blockers.push(`daily_loss_limit (${dayPnl.toFixed(2)} <= -${limit.toFixed(2)})`);
  }
  return blockers;
}

/**
 * The same guards for a runner that owns the broker and the exit side itself (the backtest engine): the
 * exit manager is taken as alive and protecting and the broker as linked, everything else is checked as
 * live (halt, session, cut-off, daily loss limit).
 */
export function simulatedEntryBlockers(input: Omit<GuardInput, 'realNowMs' | 'exitManager' | 'brokerConnected'>, config: GuardConfig): string[] {
  return entryBlockers({ ...input, realNowMs: input.nowMs, exitManager: ALWAYS_PROTECTING(input.nowMs), brokerConnected: true }, config);
}

const ALWAYS_PROTECTING = (nowMs: number): Heartbeat => ({
  app: 'exit-manager', pid: 0, state: 'ready', beatAtMs: nowMs, startedAtMs: nowMs, readyAtMs: nowMs, progressAtMs: nowMs,
  loopLagMs: 0, brokerConnected: true, brokerDownSinceMs: null, detail: { protecting: true },
});
