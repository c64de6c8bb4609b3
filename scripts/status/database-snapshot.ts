import fs from 'node:fs';
import { ActivePositionsRepository, ClosedPositionsRepository, HeartbeatsRepository, openDatabase, ReconciliationLogRepository, TradingHaltsRepository, type Db } from '../../shared/db';
import { AlertOutboxCounts } from '../../shared/db/repositories/alert-outbox-counts';
import { ScheduleRepository } from '../../shared/schedule/schedule-repository';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { readBrokerPositions, tableExists } from './broker-positions-view';
import { dbProblemFrom, missingDbProblem } from './database-problem';
import { recentProblemEvents } from './recent-problem-events';
import type { DbSnapshot } from './status-model';

const RECENT_TRIGGERS = 10;
const RECENT_PROBLEM_EVENTS = 10;

/**
 * Everything the console reads from the shared DB, in one read transaction (a consistent picture), on a
 * READ-ONLY connection that never creates or migrates the file. Any failure becomes a DbProblem; the
 * console goes on with PM2 and broker data.
 */
export function readDatabaseSnapshot(dbPath: string, clock: Clock, busyTimeoutMs: number): DbSnapshot {
  if (!fs.existsSync(dbPath)) return { usable: false, path: dbPath, problem: missingDbProblem(dbPath) };
  let db: Db | undefined;
  try {
    db = openDatabase(dbPath, { readonly: true, busyTimeoutMs });
    return readDatabaseSnapshotFrom(db, dbPath, clock);
  } catch (error) {
    return { usable: false, path: dbPath, problem: dbProblemFrom(error, dbPath, busyTimeoutMs) };
  } finally {
    db?.close();
  }
}

/**
 * The same picture from a connection the caller keeps open (the dashboard's read-only one), in one read
 * transaction. Throws what the DB throws; the caller turns it into a DbProblem.
 */
export function readDatabaseSnapshotFrom(db: Db, dbPath: string, clock: Clock): DbSnapshot {
  // Only the repositories it reads, so a DB one migration behind (never migrated by a read-only console)
  // still shows everything it has; the halt and broker_positions are read when their tables exist.
  const halts = tableExists(db, 'trading_halts') ? new TradingHaltsRepository(db, clock) : undefined;
  const schedule = new ScheduleRepository(db, clock);
  const read = db.transaction((): DbSnapshot => ({
    usable: true,
    path: dbPath,
    heartbeats: new HeartbeatsRepository(db).getAll(),
    activePositions: new ActivePositionsRepository(db, clock).getActivePositions(),
    closedToday: new ClosedPositionsRepository(db, clock).getClosedToday(tradingDayOf(clock.now())),
    reconciliation: new ReconciliationLogRepository(db, clock).latest(),
    recentTriggers: schedule.recent(RECENT_TRIGGERS),
    problemEvents: recentProblemEvents(db, RECENT_PROBLEM_EVENTS),
    halt: halts?.active(),
    brokerPositions: readBrokerPositions(db),
    alertsOutbox: tableExists(db, 'alert_deliveries') ? new AlertOutboxCounts(db).read() : undefined,
  }));
  return read();
}
