import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { isoTime } from '../types';

export interface SignalRecord {
  pipelineRunId: number | null;
  symbol: string;
  tradingDay: TradingDay;
  score: number;
  price?: number | null;
  rsi?: number | null;
  atrPct?: number | null;
  gapPct?: number | null;
  relativeVolume?: number | null;
  spreadPct?: number | null;
  decision: 'TAKEN' | 'REJECTED';
  reason: string;
  positionId?: string | null;
}

export interface PipelineRunRow {
  id: number; agent_name: string; trading_day: string; trigger: string; started_at: string; finished_at: string | null;
  status: 'RUNNING' | 'COMPLETED' | 'FAILED'; candidates: number; taken: number; error: string | null; detail: string;
}

/** `pipeline_runs` and `signals`: every scan, and every scored candidate with why it was or was not taken. */
export class PipelineRepository {
  private readonly startStmt: Database.Statement;
  private readonly finishStmt: Database.Statement;
  private readonly signalStmt: Database.Statement;
  private readonly recentRunsStmt: Database.Statement<[number]>;
  private readonly signalsForRunStmt: Database.Statement<[number]>;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.startStmt = db.prepare(`INSERT INTO pipeline_runs (agent_name, trading_day, trigger, started_at, status)
      VALUES (?, ?, ?, ?, 'RUNNING')`);
    this.finishStmt = db.prepare(`UPDATE pipeline_runs SET finished_at = @now, status = @status, candidates = @candidates,
      taken = @taken, error = @error, detail = @detail WHERE id = @id`);
    this.signalStmt = db.prepare(`INSERT INTO signals (pipeline_run_id, symbol, trading_day, score, price, rsi, atr_pct, gap_pct,
      relative_volume, spread_pct, decision, reason, position_id, created_at)
      VALUES (@pipelineRunId, @symbol, @tradingDay, @score, @price, @rsi, @atrPct, @gapPct, @relativeVolume, @spreadPct,
      @decision, @reason, @positionId, @now)`);
    this.recentRunsStmt = db.prepare('SELECT * FROM pipeline_runs ORDER BY id DESC LIMIT ?');
    this.signalsForRunStmt = db.prepare('SELECT * FROM signals WHERE pipeline_run_id = ? ORDER BY score DESC');
  }

  startRun(agentName: string, tradingDay: TradingDay, trigger: string): number {
    return Number(this.startStmt.run(agentName, tradingDay, trigger, isoTime(this.clock.now())).lastInsertRowid);
  }

  finishRun(id: number, result: { status: 'COMPLETED' | 'FAILED'; candidates: number; taken: number; error?: string; detail?: Record<string, unknown> }): void {
    this.finishStmt.run({
      id, now: isoTime(this.clock.now()), status: result.status, candidates: result.candidates, taken: result.taken,
      error: result.error ?? null, detail: JSON.stringify(result.detail ?? {}),
    });
  }

  recordSignal(signal: SignalRecord): void {
    this.signalStmt.run({
      price: null, rsi: null, atrPct: null, gapPct: null, relativeVolume: null, spreadPct: null, positionId: null,
      ...signal,
      now: isoTime(this.clock.now()),
    });
  }

  recentRuns(limit = 10): PipelineRunRow[] {
    return this.recentRunsStmt.all(limit) as PipelineRunRow[];
  }

  signalsForRun(runId: number): Array<Record<string, unknown>> {
    return this.signalsForRunStmt.all(runId) as Array<Record<string, unknown>>;
  }
}
