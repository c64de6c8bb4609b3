import { DateTime } from 'luxon';
import type { AlertsConfig } from '../config/alerts-schema';
import { atLeast, type ChannelName, type StoredAlert } from './alert-types';

export interface QuietHours {
  start: string;
  end: string;
  /** IANA zone; undefined: this machine's. */
  timeZone?: string;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/**
 * When the quiet hours that hold `nowMs` end (real time, epoch ms), or undefined outside them. A window that
 * crosses midnight (22:00-07:00) is quiet from its start to the next day's end.
 */
export function quietHoursEndMs(quiet: QuietHours, nowMs: number): number | undefined {
  const now = DateTime.fromMillis(nowMs, { zone: quiet.timeZone ?? 'system' });
  const minute = now.hour * 60 + now.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return undefined;
  let endAt = now.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  if (endAt.toMillis() <= nowMs) endAt = endAt.plus({ days: 1 });
  return endAt.toMillis();
}

/** The configured routing of one channel: kinds (all when empty) and the lowest severity. */
export function channelWants(routing: { minSeverity: AlertsConfig['email']['minSeverity']; kinds: readonly string[] }, alert: Pick<StoredAlert, 'kind' | 'severity'>): boolean {
  if (alert.kind === 'test') return true;
  if (routing.kinds.length > 0 && !routing.kinds.includes(alert.kind)) return false;
  return atLeast(alert.severity, routing.minSeverity);
}

/**
 * Where an alert goes and from when (pure): every configured channel whose routing wants it; during quiet
 * hours alerts below the quiet hours' severity wait for their end (nothing is dropped).
 */
export function routeAlert(alert: Pick<StoredAlert, 'kind' | 'severity'>, channels: readonly ChannelName[], alerts: AlertsConfig, nowMs: number): Array<{ channel: ChannelName; notBeforeMs: number }> {
  const { quietHours } = alerts;
  const quietEnd = quietHours.start && quietHours.end && !atLeast(alert.severity, quietHours.minSeverity)
    ? quietHoursEndMs({ start: quietHours.start, end: quietHours.end, timeZone: quietHours.timeZone }, nowMs)
    : undefined;
  return channels.filter((channel) => channelWants(alerts[channel], alert)).map((channel) => ({ channel, notBeforeMs: quietEnd ?? nowMs }));
}
