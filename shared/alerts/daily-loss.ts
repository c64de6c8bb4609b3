import type { AlertsOutboxRepository } from '../db/repositories/alerts-outbox-repository';
import { errorMessage } from '../errors/errors';
import type { Logger } from '../log/logger';
import { dailyLossAlert } from './fact-alerts';

export interface DailyLossInput {
  tradingDay: string;
  realizedToday: number;
  /** Undefined when IB gave no P&L: nothing can be said. */
  unrealizedPnl: number | undefined;
  netLiquidation: number;
  /** DAILY_LOSS_LIMIT_PCT. */
  limitPct: number;
  /** ALERT_DAILY_LOSS_NEAR_PCT: share of the limit that counts as near. */
  nearPct: number;
}

/** Where the day's P&L stands against the daily loss limit (pure). */
export function dailyLossLevel(dayPnl: number, limit: number, nearPct: number): 'near' | 'reached' | undefined {
  if (!(limit > 0)) return undefined;
  if (dayPnl <= -limit) return 'reached';
  if (dayPnl <= -limit * (nearPct / 100)) return 'near';
  return undefined;
}

/**
 * The day-trader's loss-limit check (realized + IB's unrealized, at each scan) as a fact: the first time a
 * day is near or past its limit, an `events` row and its alert in one transaction; later scans of the same
 * day add nothing. A DB it cannot write costs the alert (logged), never the scan.
 */
export function noteDailyLoss(alerts: AlertsOutboxRepository, input: DailyLossInput, log: Logger): 'near' | 'reached' | undefined {
  if (input.unrealizedPnl === undefined || !(input.netLiquidation > 0)) return undefined;
  const dayPnl = input.realizedToday + input.unrealizedPnl;
  const limit = (input.netLiquidation * input.limitPct) / 100;
  const level = dailyLossLevel(dayPnl, limit, input.nearPct);
  if (!level) return undefined;
  try {
    const alert = dailyLossAlert({ tradingDay: input.tradingDay, dayPnl, limit, level, nearPct: input.nearPct });
    if (alerts.has(alert.dedupeKey)) return level;
    alerts.recordEventWithAlert({ event: `daily_loss_limit_${level}`, data: { dayPnl: Math.round(dayPnl * 100) / 100, limit: Math.round(limit * 100) / 100 }, level: level === 'reached' ? 'error' : 'warn' }, alert, { onlyIfNew: true });
  } catch (error) {
    log.warn('daily_loss_alert_not_recorded', { level, error: errorMessage(error) });
  }
  return level;
}
