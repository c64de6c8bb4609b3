/**
 * What an alert is: a kind, a severity, a dedupe key (one alert per fact, and the idempotency key receivers
 * see), an optional condition key (repeats of one unresolved condition are throttled), a title and the data
 * a message is rendered from. Pure types and constants, shared by the writers (bots, tools) and the notifier.
 */

export const ALERT_KINDS = [
  'entry_filled',
  'position_closed',
  'large_win',
  'large_loss',
  'pnl_milestone',
  'daily_loss_limit',
  'protection_gave_up',
  'protection_missing',
  'exit_overfill',
  'order_rejection_contradicted',
  'reconciliation_mismatch',
  'process_restarted',
  'process_crashed',
  'broker_down',
  'trading_halt',
  'trading_resumed',
  'daily_summary',
  // Operations (the supervisor's host checks and the daily backup: shared/alerts/ops-alerts.ts).
  'disk_space_low',
  'clock_drift',
  'gateway_not_back',
  'backup_failed',
  'test',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, minimum: Severity): boolean {
  return severityRank(severity) >= severityRank(minimum);
}

/** An alert as a writer describes it, before it is stored. */
export interface AlertDraft {
  kind: AlertKind;
  severity: Severity;
  /** Unique per fact: a second enqueue of the same fact is a no-op. */
  dedupeKey: string;
  /** Alerts about one unresolved condition (a mismatch that stays, a gateway that stays down) share it. */
  conditionKey?: string | null;
  title: string;
  symbol?: string | null;
  data?: Record<string, unknown>;
  /** Defaults to the trading day of the writer's clock. */
  tradingDay?: string;
}

/** An alert as stored in `alerts_outbox`. */
export interface StoredAlert {
  id: number;
  kind: AlertKind;
  severity: Severity;
  dedupeKey: string;
  conditionKey: string | null;
  title: string;
  symbol: string | null;
  data: Record<string, unknown>;
  app: string;
  tradingDay: string;
  createdAt: string;
  createdAtMs: number;
  routedAtMs: number | null;
}

/** Money thresholds that turn a closed position or a day's P&L into an alert (config `alerts.thresholds`). */
export interface AlertThresholds {
  /** A closed position that made at least this much (after commissions) is a large win; 0 = off. */
  largeWinAmount: number;
  /** A closed position that lost at least this much is a large loss; 0 = off. */
  largeLossAmount: number;
  /** The day's realized P&L crossing +m or -m (each m once a day). */
  pnlMilestones: readonly number[];
  /** The day's loss past this share (%) of the daily loss limit is "near" it. */
  dailyLossNearPct: number;
}

/** The schema defaults, for writers that run without the resolved config (tests, tools). */
export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  largeWinAmount: 1_000,
  largeLossAmount: 1_000,
  pnlMilestones: [1_000, 2_500, 5_000],
  dailyLossNearPct: 80,
};

export const CHANNEL_NAMES = ['webhook', 'slack', 'email'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];
