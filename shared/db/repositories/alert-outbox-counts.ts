import type Database from 'better-sqlite3';

export interface ChannelHealth {
  channel: string;
  state: 'ok' | 'failing' | 'rate_limited';
  consecutiveFailures: number;
  failingSinceMs: number | null;
  lastError: string | null;
  lastAttemptAtMs: number | null;
  lastSuccessAtMs: number | null;
  retryAtMs: number | null;
}

export interface ChannelCounts {
  channel: string;
  pending: number;
  sending: number;
  delivered: number;
  failed: number;
  throttled: number;
  dropped: number;
  /** Real time the oldest alert still waiting on this channel was recorded. */
  oldestPendingAtMs: number | null;
  health: ChannelHealth | null;
}

export interface OutboxCounts {
  /** Alerts the notifier has not routed yet. */
  unrouted: number;
  oldestUnroutedAtMs: number | null;
  channels: ChannelCounts[];
}

export interface HealthRow {
  channel: string; state: ChannelHealth['state']; consecutive_failures: number; failing_since_ms: number | null; last_error: string | null;
  last_attempt_at_ms: number | null; last_success_at_ms: number | null; retry_at_ms: number | null;
}

export function toHealth(row: HealthRow): ChannelHealth {
  return {
    channel: row.channel, state: row.state, consecutiveFailures: row.consecutive_failures, failingSinceMs: row.failing_since_ms, lastError: row.last_error,
    lastAttemptAtMs: row.last_attempt_at_ms, lastSuccessAtMs: row.last_success_at_ms, retryAtMs: row.retry_at_ms,
  };
}

const STATUSES = ['pending', 'sending', 'delivered', 'failed', 'throttled', 'dropped'] as const;

/**
 * The outbox as the status console and the dashboard show it: per channel, deliveries by state and the
 * channel's health. Reads only (fine on a read-only connection).
 */
export class AlertOutboxCounts {
  private readonly countsStmt: Database.Statement<[]>;
  private readonly oldestPendingStmt: Database.Statement<[]>;
  private readonly unroutedCountStmt: Database.Statement<[]>;
  private readonly healthAllStmt: Database.Statement<[]>;

  constructor(db: Database.Database) {
    this.countsStmt = db.prepare('SELECT channel, status, COUNT(*) AS n FROM alert_deliveries GROUP BY channel, status');
    this.oldestPendingStmt = db.prepare(`SELECT d.channel, MIN(a.created_at_ms) AS oldest FROM alert_deliveries d JOIN alerts_outbox a ON a.id = d.alert_id
      WHERE d.status IN ('pending','sending') GROUP BY d.channel`);
    this.unroutedCountStmt = db.prepare('SELECT COUNT(*) AS n, MIN(created_at_ms) AS oldest FROM alerts_outbox WHERE routed_at_ms IS NULL');
    this.healthAllStmt = db.prepare('SELECT * FROM alert_channels ORDER BY channel');
  }

  read(): OutboxCounts {
    const byChannel = new Map<string, ChannelCounts>();
    const entry = (channel: string) => {
      let e = byChannel.get(channel);
      if (!e) {
        e = { channel, pending: 0, sending: 0, delivered: 0, failed: 0, throttled: 0, dropped: 0, oldestPendingAtMs: null, health: null };
        byChannel.set(channel, e);
      }
      return e;
    };
    for (const row of this.countsStmt.all() as Array<{ channel: string; status: string; n: number }>) {
      if ((STATUSES as readonly string[]).includes(row.status)) entry(row.channel)[row.status as (typeof STATUSES)[number]] = row.n;
    }
    for (const row of this.oldestPendingStmt.all() as Array<{ channel: string; oldest: number }>) entry(row.channel).oldestPendingAtMs = row.oldest;
    for (const row of this.healthAllStmt.all() as HealthRow[]) entry(row.channel).health = toHealth(row);
    const unrouted = this.unroutedCountStmt.get() as { n: number; oldest: number | null };
    return { unrouted: unrouted.n, oldestUnroutedAtMs: unrouted.oldest, channels: [...byChannel.values()].sort((a, b) => a.channel.localeCompare(b.channel)) };
  }
}
