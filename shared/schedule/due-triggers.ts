import { nextTradingDay, newYorkTime, sessionHours, tradingDayOf, type TradingDay } from '../time/trading-calendar';
import { isoWeekKey } from '../analytics/trading-days';

/**
 * The daily schedule as a pure function of a timestamp (America/New_York, NYSE calendar):
 *
 * - SCAN at each `schedule.scanTimes` entry (default 09:35 and 12:00 New York time); a scan time outside the
 *   regular session of that day (before 09:30, or at/after a 13:00 early close) is skipped.
 * - RECONCILE_AFTER_CLOSE at the real close + `reconcileAfterCloseMinutes` (16:05, or 13:05 on early closes).
 * - DAILY_REPORT at the close + `reportAfterCloseMinutes` (16:10 / 13:10).
 * - BACKUP at the close + `backupAfterCloseMinutes` (16:12 / 13:12 by default): the daily DB copy.
 * - WEEKLY_REPORT with the daily report on the last trading day of the ISO week (Friday, or Thursday when
 *   Friday is a holiday), MONTHLY_REPORT on the last trading day of the month.
 *
 * Only trading days have triggers (holidays and weekends none). Wall-clock times are converted per day with
 * the zone rules, so 09:35 is 13:35 UTC in summer and 14:35 UTC in winter, including on DST-change weeks.
 *
 * Catch-up rule: a trigger is due from its time until the end of ITS trading day (tradingDayOf), so a
 * supervisor restarted at 15:00 still fires the 09:35 and 12:00 scans once; triggers of earlier trading days
 * never fire late (after midnight New York the day's missed triggers are gone). Each key fires once.
 */
export const TRIGGER_KINDS = ['SCAN', 'RECONCILE_AFTER_CLOSE', 'DAILY_REPORT', 'WEEKLY_REPORT', 'MONTHLY_REPORT', 'BACKUP'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export const REPORT_TRIGGER_KINDS: readonly TriggerKind[] = ['DAILY_REPORT', 'WEEKLY_REPORT', 'MONTHLY_REPORT'];

export interface Trigger {
  /** Unique per day and job: '2026-11-23:scan:09:35', '2026-11-23:daily-report', ... */
  key: string;
  kind: TriggerKind;
  tradingDay: TradingDay;
  dueAtMs: number;
  /** The configured 'HH:MM' of a SCAN. */
  scanTime?: string;
}

export interface ScheduleConfig {
  scanTimes: readonly string[];
  reconcileAfterCloseMinutes: number;
  reportAfterCloseMinutes: number;
  /** The daily DB backup at the close + this (absent: no backup trigger). */
  backupAfterCloseMinutes?: number;
}

export function isLastTradingDayOfWeek(day: TradingDay): boolean {
  return isoWeekKey(nextTradingDay(day)) !== isoWeekKey(day);
}

export function isLastTradingDayOfMonth(day: TradingDay): boolean {
  return nextTradingDay(day).slice(0, 7) !== day.slice(0, 7);
}

const KIND_ORDER = new Map(TRIGGER_KINDS.map((k, i) => [k, i]));

/** Every trigger of a day, in firing order (none on a closed day). */
export function triggersForDay(day: TradingDay, config: ScheduleConfig): Trigger[] {
  const hours = sessionHours(day);
  if (!hours) return [];
  const triggers: Trigger[] = [];
  for (const scanTime of [...new Set(config.scanTimes)].sort()) {
    const dueAtMs = newYorkTime(day, scanTime);
    if (dueAtMs >= hours.openMs && dueAtMs < hours.closeMs) triggers.push({ key: `${day}:scan:${scanTime}`, kind: 'SCAN', tradingDay: day, dueAtMs, scanTime });
  }
  triggers.push({ key: `${day}:reconcile-after-close`, kind: 'RECONCILE_AFTER_CLOSE', tradingDay: day, dueAtMs: hours.closeMs + config.reconcileAfterCloseMinutes * 60_000 });
  const reportAtMs = hours.closeMs + config.reportAfterCloseMinutes * 60_000;
  triggers.push({ key: `${day}:daily-report`, kind: 'DAILY_REPORT', tradingDay: day, dueAtMs: reportAtMs });
  if (isLastTradingDayOfWeek(day)) triggers.push({ key: `${day}:weekly-report`, kind: 'WEEKLY_REPORT', tradingDay: day, dueAtMs: reportAtMs });
  if (isLastTradingDayOfMonth(day)) triggers.push({ key: `${day}:monthly-report`, kind: 'MONTHLY_REPORT', tradingDay: day, dueAtMs: reportAtMs });
  if (config.backupAfterCloseMinutes !== undefined) {
    triggers.push({ key: `${day}:backup`, kind: 'BACKUP', tradingDay: day, dueAtMs: hours.closeMs + config.backupAfterCloseMinutes * 60_000 });
  }
  return triggers.sort((a, b) => a.dueAtMs - b.dueAtMs || KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)!);
}

/** The triggers of the current trading day that are due at `nowMs` and have not fired yet, in firing order. */
export function dueTriggers(nowMs: number, config: ScheduleConfig, alreadyFired: ReadonlySet<string>): Trigger[] {
  return triggersForDay(tradingDayOf(nowMs), config).filter((t) => t.dueAtMs <= nowMs && !alreadyFired.has(t.key));
}

/** The next trigger after `nowMs` (for status lines: "next: 12:00 scan"), looking up to two weeks ahead. */
export function nextTrigger(nowMs: number, config: ScheduleConfig): Trigger | undefined {
  let day = tradingDayOf(nowMs);
  for (let i = 0; i < 15; i++) {
    const next = triggersForDay(day, config).find((t) => t.dueAtMs > nowMs);
    if (next) return next;
    day = nextTradingDay(day);
  }
  return undefined;
}
