import type Database from 'better-sqlite3';
import type { TradingDay } from '../../time/trading-calendar';

/**
 * What changed in the DB since the last look, by area, for readers that push updates (the dashboard).
 *
 * `PRAGMA data_version` (DbChangeProbe) says THAT another connection committed: with the exit manager's
 * heartbeat every 250 ms it changes several times a second. This says WHAT: each part is a handful of
 * O(1) lookups (MAX of an integer primary key, the newest row of a small table), so a commit that only
 * moved a heartbeat does not rebuild the positions. Tables a DB from an older schema lacks read as ''.
 */
export interface ChangeFingerprint {
  /** Positions, fills, closed rows, halts, the broker's positions as the reconciler saw them. */
  trading: string;
  /** The newest `events` id (the audit trail). */
  eventsMaxId: number;
  snapshots: string;
  signals: string;
  reconciliation: string;
  schedule: string;
  heartbeats: string;
}

const PARTS: Record<keyof Omit<ChangeFingerprint, 'eventsMaxId'>, Array<{ table: string; sql: string }>> = {
  trading: [
    { table: 'trades', sql: "(SELECT COALESCE(MAX(id), 0) || ':' || COALESCE((SELECT commission FROM trades ORDER BY id DESC LIMIT 1), '') FROM trades)" },
    { table: 'active_positions', sql: "(SELECT COUNT(*) || ':' || COALESCE(MAX(last_updated), '') FROM active_positions)" },
    { table: 'closed_positions_today', sql: "(SELECT COALESCE(MAX(id), 0) || ':' || COUNT(*) FROM closed_positions_today)" },
    { table: 'trading_halts', sql: "(SELECT COUNT(*) || ':' || COALESCE(MAX(lifted_at), '') FROM trading_halts)" },
    { table: 'broker_positions', sql: "(SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), '') FROM broker_positions)" },
    { table: 'orders', sql: "(SELECT COALESCE(MAX(rowid), 0) FROM orders)" },
  ],
  snapshots: [{ table: 'portfolio_snapshots', sql: "(SELECT COALESCE(MAX(id), 0) FROM portfolio_snapshots)" }],
  signals: [
    { table: 'pipeline_runs', sql: "(SELECT COALESCE(id || ':' || status, '') FROM pipeline_runs ORDER BY id DESC LIMIT 1)" },
    { table: 'signals', sql: "(SELECT COALESCE(MAX(id), 0) FROM signals)" },
  ],
  reconciliation: [{ table: 'reconciliation_log', sql: "(SELECT COALESCE(MAX(id), 0) FROM reconciliation_log)" }],
  schedule: [{ table: 'scheduled_triggers', sql: "(SELECT COUNT(*) || ':' || COALESCE(group_concat(status), '') FROM scheduled_triggers WHERE trading_day = @tradingDay)" }],
  heartbeats: [{ table: 'heartbeats', sql: "(SELECT COALESCE(MAX(beat_at_ms), 0) || ':' || COUNT(*) FROM heartbeats)" }],
};

export class ChangeFingerprintReader {
  private readonly statement: Database.Statement;
  private readonly lastFillStmt: Database.Statement<[]> | undefined;

  constructor(db: Database.Database) {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]));
    const columns: string[] = [];
    for (const [part, lookups] of Object.entries(PARTS)) {
      const present = lookups.filter((l) => tables.has(l.table)).map((l) => l.sql);
      columns.push(`${present.length ? present.join(" || '|' || ") : "''"} AS ${part}`);
    }
    columns.push(tables.has('events') ? '(SELECT COALESCE(MAX(id), 0) FROM events) AS eventsMaxId' : '0 AS eventsMaxId');
    this.statement = db.prepare(`SELECT ${columns.join(', ')}`);
    this.lastFillStmt = tables.has('trades') ? db.prepare('SELECT recorded_at FROM trades ORDER BY id DESC LIMIT 1').pluck() : undefined;
  }

  /** When (market time, ISO) the newest fill was booked; undefined without fills. */
  lastFillRecordedAt(): string | undefined {
    return (this.lastFillStmt?.get() as string | undefined) ?? undefined;
  }

  read(tradingDay: TradingDay): ChangeFingerprint {
    const row = this.statement.get({ tradingDay }) as Record<string, string | number | null>;
    const text = (key: string) => String(row[key] ?? '');
    return {
      trading: text('trading'), eventsMaxId: Number(row.eventsMaxId ?? 0), snapshots: text('snapshots'), signals: text('signals'),
      reconciliation: text('reconciliation'), schedule: text('schedule'), heartbeats: text('heartbeats'),
    };
  }
}

/** Which parts differ between two fingerprints (all of them against none). */
export function changedParts(before: ChangeFingerprint | undefined, after: ChangeFingerprint): Array<keyof ChangeFingerprint> {
  const keys = Object.keys(after) as Array<keyof ChangeFingerprint>;
  return before ? keys.filter((k) => before[k] !== after[k]) : keys;
}
