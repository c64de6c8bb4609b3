import type Database from 'better-sqlite3';
import { parseJsonObject } from '../types';
import type { AuditEvent } from './events-repository';

type EventRow = Omit<AuditEvent, 'data'> & { data: string };
const toEvent = (row: EventRow): AuditEvent => ({ ...row, data: parseJsonObject(row.data) });

/**
 * Reads of `events` for readers that follow the audit trail by id (the dashboard's Server-Sent Events use
 * the row id as the SSE id: a browser that reconnects with Last-Event-ID gets the rows after it).
 */
export class AuditFeedRepository {
  private readonly afterStmt: Database.Statement<[number, number]>;
  private readonly recentStmt: Database.Statement<[number]>;
  private readonly recentLevelsStmt: Database.Statement<[number]>;
  private readonly countByNameStmt: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.afterStmt = db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?');
    this.recentStmt = db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?');
    this.recentLevelsStmt = db.prepare("SELECT * FROM events WHERE level IN ('warn', 'error') ORDER BY id DESC LIMIT ?");
    this.countByNameStmt = db.prepare('SELECT data FROM events WHERE event = ?').pluck();
  }

  /** Rows with id > afterId, oldest first, at most `limit`. */
  after(afterId: number, limit: number): AuditEvent[] {
    return (this.afterStmt.all(afterId, limit) as EventRow[]).map(toEvent);
  }

  /** The newest rows, newest first; `problemsOnly` keeps warnings and errors. */
  recent(limit: number, problemsOnly = false): AuditEvent[] {
    return ((problemsOnly ? this.recentLevelsStmt : this.recentStmt).all(limit) as EventRow[]).map(toEvent);
  }

  /** How many rows of an event name there are, grouped by one field of their data (e.g. bot_restarted by target). */
  countByField(event: string, field: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const data of this.countByNameStmt.all(event) as string[]) {
      const value = String(parseJsonObject(data)[field] ?? 'unknown');
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    return counts;
  }
}
