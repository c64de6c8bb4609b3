import { severityRank, type Severity, type StoredAlert } from './alert-types';
import { alertLines } from './render-alert';

/**
 * A message as composed once and stored with it (`alert_messages.content`): a resend after a failure or a
 * crash sends exactly the same thing with the same idempotency key. Channels format it (JSON, Slack text,
 * e-mail) when they send.
 */
export interface MessageContent {
  idempotencyKey: string;
  kind: string;
  severity: Severity;
  title: string;
  /** Plain text body (lines). */
  lines: string[];
  grouped: boolean;
  count: number;
  /** Repeats of the conditions in this message that were throttled since they were last told. */
  suppressedRepeats: number;
  alerts: Array<{
    id: number; kind: string; severity: Severity; dedupeKey: string; title: string; symbol: string | null; app: string; tradingDay: string;
    createdAt: string; data: Record<string, unknown>;
  }>;
}

/** Alerts listed one by one in a grouped message's text; the JSON body carries them all. */
const LISTED_IN_TEXT = 20;

export function composeContent(alerts: readonly StoredAlert[], suppressedRepeats: number, groupKeyDigest: (keys: string[]) => string): MessageContent {
  if (alerts.length === 0) throw new Error('a message needs at least one alert');
  const first = alerts[0]!;
  const severity = alerts.reduce<Severity>((worst, a) => (severityRank(a.severity) > severityRank(worst) ? a.severity : worst), first.severity);
  const grouped = alerts.length > 1;
  const lines: string[] = [];
  if (grouped) {
    for (const alert of alerts.slice(0, LISTED_IN_TEXT)) lines.push(`• ${alert.title}`);
    if (alerts.length > LISTED_IN_TEXT) lines.push(`…and ${alerts.length - LISTED_IN_TEXT} more`);
  } else {
    lines.push(...alertLines(first));
  }
  if (suppressedRepeats > 0) lines.push(`(${suppressedRepeats} repeat${suppressedRepeats === 1 ? '' : 's'} of this condition held back since it was last told)`);
  return {
    idempotencyKey: grouped ? `group:${first.kind}:${groupKeyDigest(alerts.map((a) => a.dedupeKey))}` : first.dedupeKey,
    kind: first.kind,
    severity,
    title: grouped ? `${alerts.length} × ${kindTitle(first.kind)} (${severityLabel(severity)})` : first.title,
    lines,
    grouped,
    count: alerts.length,
    suppressedRepeats,
    alerts: alerts.map((a) => ({
      id: a.id, kind: a.kind, severity: a.severity, dedupeKey: a.dedupeKey, title: a.title, symbol: a.symbol, app: a.app, tradingDay: a.tradingDay,
      createdAt: a.createdAt, data: a.data,
    })),
  };
}

export function severityLabel(severity: Severity): string {
  return severity === 'critical' ? 'CRITICAL' : severity === 'warning' ? 'WARNING' : 'info';
}

const KIND_TITLES: Record<string, string> = {
  entry_filled: 'entries filled',
  position_closed: 'positions closed',
  large_win: 'large wins',
  large_loss: 'large losses',
  pnl_milestone: 'P&L milestones',
  daily_loss_limit: 'daily loss limit alerts',
  protection_gave_up: 'positions whose protection was given up',
  exit_overfill: 'overfilled exits',
  order_rejection_contradicted: 'orders taken as rejected that the broker then worked or filled',
  reconciliation_mismatch: 'reconciliation mismatches',
  process_restarted: 'process restarts',
  process_crashed: 'process crashes',
  broker_down: 'gateway outages',
  trading_halt: 'trading halts',
  trading_resumed: 'halts lifted',
  daily_summary: 'daily summaries',
  disk_space_low: 'disk space warnings',
  clock_drift: 'clock drift warnings',
  gateway_not_back: 'gateways not back after their restart',
  backup_failed: 'failed backups',
  test: 'test alerts',
};

export function kindTitle(kind: string): string {
  return KIND_TITLES[kind] ?? kind;
}
