import type Database from 'better-sqlite3';
import type { TradingDay } from '../time/trading-calendar';

export interface PipelineActivity {
  runs: number;
  failedRuns: number;
  candidates: number;
  taken: number;
  signals: number;
  signalsTaken: number;
}

/** Read side of `pipeline_runs` and `signals` for reports (PipelineRepository writes them). */
export class PipelineHistoryRepository {
  private readonly runsStmt: Database.Statement;
  private readonly signalsStmt: Database.Statement;

  constructor(db: Database.Database) {
    this.runsStmt = db.prepare(`SELECT COUNT(*) AS runs, COALESCE(SUM(status = 'FAILED'), 0) AS failedRuns,
      COALESCE(SUM(candidates), 0) AS candidates, COALESCE(SUM(taken), 0) AS taken
      FROM pipeline_runs WHERE trading_day >= @from AND trading_day <= @to`);
    this.signalsStmt = db.prepare(`SELECT COUNT(*) AS signals, COALESCE(SUM(decision = 'TAKEN'), 0) AS signalsTaken
      FROM signals WHERE trading_day >= @from AND trading_day <= @to`);
  }

  /** Scans and scored candidates of the trading days from `from` to `to` inclusive. */
  activity(from: TradingDay, to: TradingDay): PipelineActivity {
    const runs = this.runsStmt.get({ from, to }) as Omit<PipelineActivity, 'signals' | 'signalsTaken'>;
    const signals = this.signalsStmt.get({ from, to }) as Pick<PipelineActivity, 'signals' | 'signalsTaken'>;
    return { ...runs, ...signals };
  }
}
