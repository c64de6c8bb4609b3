import type Database from 'better-sqlite3';
import { parseJsonObject } from '../types';

export type HeartbeatState = 'starting' | 'ready' | 'degraded' | 'stopping' | 'stopped';

export interface Heartbeat {
  app: string;
  pid: number;
  state: HeartbeatState;
  beatAtMs: number;
  startedAtMs: number;
  readyAtMs: number | null;
  progressAtMs: number | null;
  loopLagMs: number;
  brokerConnected: boolean | null;
  brokerDownSinceMs: number | null;
  detail: Record<string, unknown>;
}

interface HeartbeatRow {
  app: string; pid: number; state: HeartbeatState; beat_at_ms: number; started_at_ms: number; ready_at_ms: number | null;
  progress_at_ms: number | null; loop_lag_ms: number; broker_connected: number | null; broker_down_since_ms: number | null; detail: string;
}

function toHeartbeat(r: HeartbeatRow): Heartbeat {
  return {
    app: r.app, pid: r.pid, state: r.state, beatAtMs: r.beat_at_ms, startedAtMs: r.started_at_ms, readyAtMs: r.ready_at_ms,
    progressAtMs: r.progress_at_ms, loopLagMs: r.loop_lag_ms,
    brokerConnected: r.broker_connected === null ? null : r.broker_connected === 1,
    brokerDownSinceMs: r.broker_down_since_ms, detail: parseJsonObject(r.detail),
  };
}

/** `heartbeats`: one row per app, rewritten every second with REAL time (the supervisor compares real ages). */
export class HeartbeatsRepository {
  private readonly upsertStmt: Database.Statement;
  private readonly getStmt: Database.Statement<[string]>;
  private readonly allStmt: Database.Statement<[]>;

  constructor(db: Database.Database) {
    this.upsertStmt = db.prepare(`
      INSERT INTO heartbeats (app, pid, state, beat_at_ms, started_at_ms, ready_at_ms, progress_at_ms, loop_lag_ms,
        broker_connected, broker_down_since_ms, detail)
      VALUES (@app, @pid, @state, @beatAtMs, @startedAtMs, @readyAtMs, @progressAtMs, @loopLagMs, @brokerConnected,
        @brokerDownSinceMs, @detail)
      ON CONFLICT (app) DO UPDATE SET pid = excluded.pid, state = excluded.state, beat_at_ms = excluded.beat_at_ms,
        started_at_ms = excluded.started_at_ms, ready_at_ms = excluded.ready_at_ms, progress_at_ms = excluded.progress_at_ms,
        loop_lag_ms = excluded.loop_lag_ms, broker_connected = excluded.broker_connected,
        broker_down_since_ms = excluded.broker_down_since_ms, detail = excluded.detail`);
    this.getStmt = db.prepare('SELECT * FROM heartbeats WHERE app = ?');
    this.allStmt = db.prepare('SELECT * FROM heartbeats ORDER BY app');
  }

  beat(heartbeat: Heartbeat): void {
    this.upsertStmt.run({
      ...heartbeat,
      brokerConnected: heartbeat.brokerConnected === null ? null : heartbeat.brokerConnected ? 1 : 0,
      detail: JSON.stringify(heartbeat.detail),
    });
  }

  get(app: string): Heartbeat | undefined {
    const row = this.getStmt.get(app) as HeartbeatRow | undefined;
    return row ? toHeartbeat(row) : undefined;
  }

  getAll(): Heartbeat[] {
    return (this.allStmt.all() as HeartbeatRow[]).map(toHeartbeat);
  }
}
