import { isBusyError, openDatabase, type Db } from '../../shared/db';

/**
 * "Is the DB's write lock held by someone right now?", asked without waiting: its own connection with a busy
 * timeout of 0 tries BEGIN IMMEDIATE and rolls back at once. The supervisor asks only about a bot whose beat
 * is late, so a lock can excuse the lateness only while the lock really exists (the bot's own "waiting for
 * the DB lock" may be the last thing it said before it hung).
 */
export class DbWriteLockProbe {
  private readonly db: Db;

  constructor(dbPath: string, openBusyTimeoutMs: number) {
    // Opening may wait (another process migrating); asking never does.
    this.db = openDatabase(dbPath, { busyTimeoutMs: 0, openBusyTimeoutMs });
  }

  /** True while another connection holds the write lock. Holds the lock itself for the instant of the probe. */
  heldElsewhere(): boolean {
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if (isBusyError(error)) return true;
      throw error;
    }
    this.db.exec('ROLLBACK');
    return false;
  }

  close(): void {
    this.db.close();
  }
}
