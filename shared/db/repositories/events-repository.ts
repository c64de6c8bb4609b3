import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import { isoTime, parseJsonObject } from '../types';

export interface AuditEvent {
  id: number;
  at: string;
  app: string;
  event: string;
  level: string;
  symbol: string | null;
  data: Record<string, unknown>;
}

/** `events`: the audit trail of decisions (claims, protections, restarts, repairs) that operators read. */
export class EventsRepository {
  private readonly insertStmt: Database.Statement;
  private readonly recentStmt: Database.Statement<[number]>;
  private readonly byNameStmt: Database.Statement<[string, number]>;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.insertStmt = db.prepare('INSERT INTO events (at, app, event, level, symbol, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.recentStmt = db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?');
    this.byNameStmt = db.prepare('SELECT * FROM events WHERE event = ? ORDER BY id DESC LIMIT ?');
  }

  record(app: string, event: string, data: Record<string, unknown> = {}, symbol?: string | null, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.insertStmt.run(isoTime(this.clock.now()), app, event, level, symbol ?? null, JSON.stringify(data));
  }

  recent(limit = 50): AuditEvent[] {
    return (this.recentStmt.all(limit) as Array<Omit<AuditEvent, 'data'> & { data: string }>).map((r) => ({ ...r, data: parseJsonObject(r.data) }));
  }

  byName(event: string, limit = 50): AuditEvent[] {
    return (this.byNameStmt.all(event, limit) as Array<Omit<AuditEvent, 'data'> & { data: string }>).map((r) => ({ ...r, data: parseJsonObject(r.data) }));
  }
}
