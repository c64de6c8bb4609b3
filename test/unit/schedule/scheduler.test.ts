import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from '../../../shared/db';
import { EventsRepository } from '../../../shared/db/repositories/events-repository';
import { TradeHistoryRepository } from '../../../shared/history';
import { memoryLogger } from '../../../shared/log/logger';
import { Scheduler, ScheduleRepository } from '../../../shared/schedule';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

const SCHEDULE = { scanTimes: ['09:35', '12:00'], reconcileAfterCloseMinutes: 5, reportAfterCloseMinutes: 10 };

describe('Scheduler', () => {
  const temp = makeTempDir('scheduler');
  let db: Db;
  let clock: ManualClock;
  let reportsDir: string;
  let n = 0;

  beforeEach(() => {
    const dir = path.join(temp.dir, `case-${n++}`);
    db = openDatabase(path.join(dir, 'trading.db'));
    reportsDir = path.join(dir, 'reports');
    clock = new ManualClock(newYorkTime('2026-11-27', '08:00'));
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  const scheduler = (log = memoryLogger()) => ({ log, scheduler: new Scheduler({ db, clock, config: { schedule: SCHEDULE, paths: { reports: reportsDir } }, log, reportFormats: ['md', 'html'] }) });

  it('fires each trigger once at its time, logs it as an event and writes the reports itself', () => {
    const history = new TradeHistoryRepository(db, clock);
    history.recordTrade({ positionId: 'P-1', symbol: 'AAPL', agentName: 'gap-momentum', quantity: 10, entryPrice: 100, entryTimeMs: newYorkTime('2026-11-27', '09:40') });
    history.closeTrade('P-1', { exitPrice: 103, exitTimeMs: newYorkTime('2026-11-27', '10:40'), exitReason: 'PROFIT_TARGET' });
    const { log, scheduler: s } = scheduler();
    expect(s.tick()).toEqual([]);
    clock.set(newYorkTime('2026-11-27', '09:35'));
    expect(s.tick().map((t) => t.key)).toEqual(['2026-11-27:scan:09:35']);
    expect(s.tick()).toEqual([]); // a second tick in the same second fires nothing
    clock.set(newYorkTime('2026-11-27', '12:00'));
    expect(s.tick().map((t) => t.key)).toEqual(['2026-11-27:scan:12:00']);
    // Early close (day after Thanksgiving): reconcile 13:05, reports 13:10, and it is the last day of the week
    clock.set(newYorkTime('2026-11-27', '13:05'));
    expect(s.tick().map((t) => t.kind)).toEqual(['RECONCILE_AFTER_CLOSE']);
    clock.set(newYorkTime('2026-11-27', '13:10'));
    expect(s.tick().map((t) => t.kind)).toEqual(['DAILY_REPORT', 'WEEKLY_REPORT']);

    const daily = fs.readFileSync(path.join(reportsDir, 'daily', '2026-11-27.md'), 'utf8');
    expect(daily).toContain('# Daily report: Friday 2026-11-27');
    expect(daily).toMatch(/\| Net P&L \| \+30\.00 \|/); // (103 - 100) × 10
    expect(fs.existsSync(path.join(reportsDir, 'daily', '2026-11-27.html'))).toBe(true);
    expect(fs.readFileSync(path.join(reportsDir, 'weekly', '2026-W48.md'), 'utf8')).toContain('# Weekly report: 2026-W48');

    const repo = new ScheduleRepository(db, clock);
    expect(repo.get('2026-11-27:daily-report')).toMatchObject({ status: 'DONE', detail: { consumedBy: 'supervisor' } });
    expect((repo.get('2026-11-27:weekly-report')!.detail.files as string[]).map((f) => path.basename(f))).toEqual(['2026-W48.md', '2026-W48.html']);
    expect(repo.pending('SCAN', '2026-11-27').map((t) => t.key)).toEqual(['2026-11-27:scan:09:35', '2026-11-27:scan:12:00']);
    const events = new EventsRepository(db, clock).byName('schedule_triggered', 20).map((e) => e.data.key).reverse();
    expect(events).toEqual(['2026-11-27:scan:09:35', '2026-11-27:scan:12:00', '2026-11-27:reconcile-after-close', '2026-11-27:daily-report', '2026-11-27:weekly-report']);
    expect(log.lines.filter((l) => l.event === 'schedule_triggered')).toHaveLength(5);
    expect(log.lines.filter((l) => l.event === 'report_written')).toHaveLength(2);
    expect(repo.recent(3).map((t) => t.kind).sort()).toEqual(['DAILY_REPORT', 'RECONCILE_AFTER_CLOSE', 'WEEKLY_REPORT']);
  });

  it('after a restart fires the missed triggers of today once (late) and nothing twice', () => {
    clock.set(newYorkTime('2026-11-27', '09:40'));
    scheduler().scheduler.tick();
    // the supervisor was down from 09:40 to 13:30
    clock.set(newYorkTime('2026-11-27', '13:30'));
    const { log, scheduler: restarted } = scheduler();
    expect(restarted.tick().map((t) => t.key)).toEqual([
      '2026-11-27:scan:12:00', '2026-11-27:reconcile-after-close', '2026-11-27:daily-report', '2026-11-27:weekly-report',
    ]);
    expect(log.lines.find((l) => l.event === 'schedule_triggered')!.fields).toMatchObject({ late: true, lateMs: 90 * 60_000 });
    expect(fs.existsSync(path.join(reportsDir, 'daily', '2026-11-27.md'))).toBe(true);
    expect(scheduler().scheduler.tick()).toEqual([]);
  });

  it('does not fire the previous day late, and expires its unconsumed triggers', () => {
    clock.set(newYorkTime('2026-11-25', '09:36'));
    scheduler().scheduler.tick(); // 11-25 scan fired, never consumed
    // down until Friday 08:00 (Thanksgiving in between): nothing of 11-25 fires, the old scan expires
    clock.set(newYorkTime('2026-11-27', '08:00'));
    const { log, scheduler: s } = scheduler();
    expect(s.tick()).toEqual([]);
    const repo = new ScheduleRepository(db, clock);
    expect(repo.get('2026-11-25:scan:09:35')!.status).toBe('EXPIRED');
    expect(repo.get('2026-11-25:daily-report')).toBeUndefined();
    expect(log.lines.find((l) => l.event === 'schedule_triggers_expired')!.fields).toMatchObject({ expired: 1 });
  });

  it('marks a report trigger FAILED and logs it when the report cannot be written', () => {
    fs.mkdirSync(path.dirname(reportsDir), { recursive: true });
    fs.writeFileSync(reportsDir, 'a file where the reports folder should be');
    clock.set(newYorkTime('2026-11-23', '16:10'));
    const { log, scheduler: s } = scheduler();
    s.tick();
    const repo = new ScheduleRepository(db, clock);
    expect(repo.get('2026-11-23:daily-report')).toMatchObject({ status: 'FAILED' });
    expect(String(repo.get('2026-11-23:daily-report')!.detail.error)).toMatch(/EEXIST|ENOTDIR/);
    expect(log.lines.find((l) => l.event === 'report_failed')).toBeDefined();
  });
});
