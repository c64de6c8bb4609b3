import type Database from 'better-sqlite3';

/**
 * Tells whether ANOTHER connection committed since the last look (SQLite `PRAGMA data_version`: it changes
 * on every commit by any other connection, reads only shared memory, costs microseconds). A process that
 * must react to other processes' rows at once (the exit manager to a new fill) polls this every few ms
 * instead of re-reading its tables.
 */
export class DbChangeProbe {
  private last: number;

  constructor(private readonly db: Database.Database) {
    this.last = this.version();
  }

  changedSinceLastLook(): boolean {
    const now = this.version();
    const changed = now !== this.last;
    this.last = now;
    return changed;
  }

  private version(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }
}
