import fs from 'node:fs';
import { createRepositories, openDatabase, type Db } from '../../shared/db';
import { ScheduleRepository } from '../../shared/schedule/schedule-repository';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
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
    const repos = createRepositories(db, clock, 'status');
    const schedule = new ScheduleRepository(db, clock);
    const connection = db;
    const read = db.transaction((): DbSnapshot => ({
      usable: true,
      path: dbPath,
      heartbeats: repos.heartbeats.getAll(),
      activePositions: repos.positions.getActivePositions(),
      closedToday: repos.closed.getClosedToday(tradingDayOf(clock.now())),
      reconciliation: repos.reconciliation.latest(),
      recentTriggers: schedule.recent(RECENT_TRIGGERS),
      problemEvents: recentProblemEvents(connection, RECENT_PROBLEM_EVENTS),
    }));
    return read();
  } catch (error) {
    return { usable: false, path: dbPath, problem: dbProblemFrom(error, dbPath, busyTimeoutMs) };
  } finally {
    db?.close();
  }
}
