import type Database from 'better-sqlite3';

/**
 * Tells whether ANOTHER connection committed since the last look (SQLite `PRAGMA data_version`: it changes
 * on every commit by any other connection, reads only shared memory, costs microseconds). A process that
 * must react to other processes' rows at once (the exit manager to a new fill) polls this every few ms
 * instead of re-reading its tables.
 */
export class DbChangeProbe {
  private last: number;
  /** Prepared once: the exit manager looks every millisecond (2 µs a look instead of 6 through db.pragma). */
  private readonly versionStmt: Database.Statement<[]>;

  constructor(db: Database.Database) {
    this.versionStmt = db.prepare('PRAGMA data_version').pluck();
    this.last = this.version();
  }

  changedSinceLastLook(): boolean {
    const now = this.version();
    const changed = now !== this.last;
    this.last = now;
    return changed;
  }

  private version(): number {
    return this.versionStmt.get() as number;
  }
}
