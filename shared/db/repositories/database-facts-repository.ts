import type Database from 'better-sqlite3';

export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: string;
}

/**
 * What an operator tool asks of a whole DB file (backup verification, restore checks, upgrade-check): its
 * tables and their row counts, the migrations applied, the heartbeats that say whether anything runs on it.
 * Read-only queries, all here so no tool writes SQL of its own.
 */
export class DatabaseFactsRepository {
  constructor(private readonly db: Database.Database) {}

  /** Our tables (not SQLite's own), sorted by name. */
  tables(): string[] {
    return this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  }

  /** Row count of every table, read in one transaction so the counts describe one moment. */
  rowCounts(): Record<string, number> {
    const read = this.db.transaction(() => {
      const counts: Record<string, number> = {};
      // Table names come from sqlite_master (never from input), quoted as identifiers.
      for (const table of this.tables()) counts[table] = this.db.prepare(`SELECT COUNT(*) FROM "${table.replace(/"/g, '""')}"`).pluck().get() as number;
      return counts;
    });
    return read.deferred();
  }

  /** The migrations recorded in `schema_migrations` (empty for a DB that has none). */
  appliedMigrations(): AppliedMigration[] {
    if (!this.tables().includes('schema_migrations')) return [];
    return (this.db.prepare('SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version').all() as AppliedMigration[]);
  }

  /** Beats of processes that say they run (not 'stopped'), newer than `sinceMs` (real epoch ms). */
  liveHeartbeats(sinceMs: number): Array<{ app: string; pid: number; state: string; beatAtMs: number }> {
    if (!this.tables().includes('heartbeats')) return [];
    return this.db.prepare("SELECT app, pid, state, beat_at_ms AS beatAtMs FROM heartbeats WHERE beat_at_ms >= ? AND state <> 'stopped' ORDER BY app").all(sinceMs) as Array<{ app: string; pid: number; state: string; beatAtMs: number }>;
  }

  /** Switches a standalone copy to a rollback journal, so it is one self-contained file (no -wal beside it). */
  makeSelfContained(): void {
    this.db.pragma('journal_mode = DELETE');
  }

  /** Folds the WAL into the main file (a DB nobody else has open becomes one file). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
