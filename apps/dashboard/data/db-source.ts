import fs from 'node:fs';
import {
  ActivePositionsRepository, ClosedPositionsRepository, DbChangeProbe, HeartbeatsRepository, PipelineRepository, PortfolioSnapshotsRepository,
  ReconciliationLogRepository, TradesRepository, TradingHaltsRepository, hasPortfolioSnapshots, openDatabase, schemaVersion, type Db,
} from '../../../shared/db';
import { BacktestRunsRepository } from '../../../shared/db/repositories/backtest-runs-repository';
import { AuditFeedRepository } from '../../../shared/db/repositories/audit-feed-repository';
import { ChangeFingerprintReader } from '../../../shared/db/repositories/change-fingerprint';
import { ReconciliationHistoryRepository } from '../../../shared/db/repositories/reconciliation-history-repository';
import { errorMessage } from '../../../shared/errors/errors';
import { DailySummaryRepository } from '../../../shared/history/daily-summary-repository';
import { PerformanceLoader } from '../../../shared/history/performance-loader';
import { TradeLogRepository } from '../../../shared/history/trade-log-repository';
import type { Logger } from '../../../shared/log/logger';
import { ScheduleRepository } from '../../../shared/schedule/schedule-repository';
import type { Clock } from '../../../shared/time/clock';
import { dbProblemFrom, missingDbProblem } from '../../../scripts/status/database-problem';
import { tableExists } from '../../../scripts/status/broker-positions-view';
import type { DbProblem } from '../../../scripts/status/status-model';

/** Every reader the dashboard uses, prepared once per connection. */
export interface ReadRepos {
  db: Db;
  path: string;
  schemaVersion: number;
  heartbeats: HeartbeatsRepository;
  positions: ActivePositionsRepository;
  closed: ClosedPositionsRepository;
  trades: TradesRepository;
  reconciliation: ReconciliationLogRepository;
  reconciliationHistory: ReconciliationHistoryRepository;
  pipeline: PipelineRepository;
  schedule: ScheduleRepository;
  audit: AuditFeedRepository;
  halts: TradingHaltsRepository | undefined;
  /** Undefined until the bots migrate the DB to schema 3 (a reader never migrates). */
  snapshots: PortfolioSnapshotsRepository | undefined;
  dailySummaries: DailySummaryRepository;
  performance: PerformanceLoader;
  tradeLog: TradeLogRepository;
  fingerprint: ChangeFingerprintReader;
  /** Undefined until a backtest or the bots migrate the DB to schema 5 (a reader never migrates). */
  backtests: BacktestRunsRepository | undefined;
}

/** How often a read checks that the file is still the one opened (a stat: microseconds). */
const FILE_CHECK_EVERY_MS = 250;
const REOPEN_AFTER_FAILURE_MS = 1_000;

/** The problem of the last attempt, repeated without trying again (see REOPEN_AFTER_FAILURE_MS). */
class ReportedProblem extends Error {
  constructor(readonly problem: DbProblem) {
    super(problem.message);
  }
}

export type ReadResult<T> = { ok: true; value: T } | { ok: false; problem: DbProblem };

/**
 * The dashboard's one connection to the shared DB: READ-ONLY (SQLite opens the file read-only, and
 * `query_only` refuses any write on top), never creating or migrating it. Opened when the file exists,
 * reopened when it is replaced (a corrupt DB moved aside and a fresh one created) or its schema changes (the
 * bots migrated it), and every failure becomes a DbProblem with the fix, like in `npm run status`.
 *
 * In WAL mode a reader never waits for a writer: a process holding the write lock does not stop the
 * dashboard; what it stops is the bots' writes, which the liveness files tell (see freshness.ts).
 */
export class DbSource {
  private repos: ReadRepos | undefined;
  private probe: DbChangeProbe | undefined;
  private inode: number | undefined;
  private schemaCookie: number | undefined;
  private fileCheckedAtMs = 0;
  private openFailedAtMs: number | null = null;
  private lastProblem: DbProblem | undefined;
  /** A read reopened the file (replaced or migrated) since changed() last looked: that is a change too. */
  private reopenedSinceLook = false;
  /** Real time of the last read that worked. */
  lastGoodReadAtMs: number | null = null;

  constructor(readonly path: string, private readonly clock: Clock, private readonly log: Logger, private readonly busyTimeoutMs = 250) {}

  /** The last problem (undefined when the last read worked). */
  get problem(): DbProblem | undefined {
    return this.lastProblem;
  }

  /** Runs `fn` in one read transaction (a consistent picture); any failure comes back as a problem. */
  read<T>(fn: (repos: ReadRepos) => T): ReadResult<T> {
    try {
      const repos = this.connection();
      if (!repos) return { ok: false, problem: this.lastProblem! };
      const value = repos.db.transaction(() => fn(repos))();
      this.lastGoodReadAtMs = Date.now();
      if (this.lastProblem) this.log.info('db_readable_again', { path: this.path, after: this.lastProblem.kind });
      this.lastProblem = undefined;
      return { ok: true, value };
    } catch (error) {
      if (error instanceof ReportedProblem) return { ok: false, problem: error.problem };
      const problem = dbProblemFrom(error, this.path, this.busyTimeoutMs);
      if (problem.kind !== 'locked') this.close(); // a corrupt or replaced file: open afresh next time
      this.noteProblem(problem);
      return { ok: false, problem };
    }
  }

  /**
   * Whether another connection committed since the last call (PRAGMA data_version: shared memory, no table
   * read), or the file appeared, was replaced or changed schema. Cheap enough to ask every poll.
   */
  changed(): boolean {
    if (!this.repos) {
      const before = this.lastProblem?.kind;
      try {
        const opened = this.connection() !== undefined;
        this.reopenedSinceLook = false;
        return opened;
      } catch (error) {
        this.noteProblem(dbProblemFrom(error, this.path, this.busyTimeoutMs));
        return this.lastProblem?.kind !== before;
      }
    }
    if (this.reopenedSinceLook) {
      this.reopenedSinceLook = false;
      return true;
    }
    try {
      if (this.fileReplaced()) {
        this.close();
        return true;
      }
      const cookie = this.repos.db.pragma('schema_version', { simple: true }) as number;
      if (cookie !== this.schemaCookie) {
        this.close(); // new tables (a migration): prepare every reader again
        return true;
      }
      return this.probe!.changedSinceLastLook();
    } catch (error) {
      this.log.warn('db_probe_failed', { error: errorMessage(error) });
      this.close();
      return true;
    }
  }

  close(): void {
    const db = this.repos?.db;
    this.repos = undefined;
    this.probe = undefined;
    try {
      db?.close();
    } catch (error) {
      this.log.warn('db_close_failed', { error: errorMessage(error) });
    }
  }

  private connection(): ReadRepos | undefined {
    if (this.repos && Date.now() - this.fileCheckedAtMs > FILE_CHECK_EVERY_MS) {
      // A replaced file (a corrupt DB moved aside, a fresh one created) must not be read through the old inode;
      // a migrated one (a first `npm run backtest` adds backtest_runs) needs its readers prepared again, whether
      // or not the live feed (changed()) is polling.
      this.fileCheckedAtMs = Date.now();
      if (this.fileReplaced() || this.repos.db.pragma('schema_version', { simple: true }) !== this.schemaCookie) this.close();
    }
    if (this.repos) return this.repos;
    // A file that failed to open is tried again at most once a second, however often the page asks.
    if (this.openFailedAtMs !== null && Date.now() - this.openFailedAtMs < REOPEN_AFTER_FAILURE_MS && this.lastProblem) throw new ReportedProblem(this.lastProblem);
    if (!fs.existsSync(this.path)) {
      this.noteProblem(missingDbProblem(this.path));
      return undefined;
    }
    let db: Db;
    try {
      db = openDatabase(this.path, { readonly: true, create: false, busyTimeoutMs: this.busyTimeoutMs });
    } catch (error) {
      this.openFailedAtMs = Date.now();
      throw error;
    }
    this.openFailedAtMs = null;
    try {
      db.pragma('query_only = ON');
      const version = schemaVersion(db);
      if (version < 2) throw new Error(`the DB is at schema ${version}, older than the dashboard reads (2 or later): start the bots once (npm start) and they migrate it`);
      this.repos = prepare(db, this.path, this.clock);
      this.probe = new DbChangeProbe(db);
      this.inode = fs.statSync(this.path).ino;
      this.schemaCookie = db.pragma('schema_version', { simple: true }) as number;
      this.reopenedSinceLook = true;
      this.log.info('db_opened_read_only', { path: this.path, schemaVersion: this.repos.schemaVersion, snapshots: this.repos.snapshots !== undefined });
      return this.repos;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private fileReplaced(): boolean {
    try {
      return fs.statSync(this.path).ino !== this.inode;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    }
  }

  private noteProblem(problem: DbProblem): void {
    if (this.lastProblem?.kind !== problem.kind) this.log.warn('db_unreadable', { path: this.path, kind: problem.kind, problem: problem.message });
    this.lastProblem = problem;
  }
}

function prepare(db: Db, path: string, clock: Clock): ReadRepos {
  return {
    db,
    path,
    schemaVersion: schemaVersion(db),
    heartbeats: new HeartbeatsRepository(db),
    positions: new ActivePositionsRepository(db, clock),
    closed: new ClosedPositionsRepository(db, clock),
    trades: new TradesRepository(db),
    reconciliation: new ReconciliationLogRepository(db, clock),
    reconciliationHistory: new ReconciliationHistoryRepository(db),
    pipeline: new PipelineRepository(db, clock),
    schedule: new ScheduleRepository(db, clock),
    audit: new AuditFeedRepository(db),
    halts: tableExists(db, 'trading_halts') ? new TradingHaltsRepository(db, clock) : undefined,
    snapshots: hasPortfolioSnapshots(db) ? new PortfolioSnapshotsRepository(db, clock) : undefined,
    dailySummaries: new DailySummaryRepository(db, clock),
    performance: new PerformanceLoader(db, clock),
    tradeLog: new TradeLogRepository(db),
    fingerprint: new ChangeFingerprintReader(db),
    backtests: tableExists(db, 'backtest_runs') ? new BacktestRunsRepository(db) : undefined,
  };
}
