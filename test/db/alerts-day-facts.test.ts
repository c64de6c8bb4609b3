import path from 'node:path';
import { noteDailyLoss } from '../../shared/alerts/daily-loss';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../shared/db';
import { TradeHistoryRepository } from '../../shared/history';
import { memoryLogger, silentLogger } from '../../shared/log/logger';
import { Scheduler } from '../../shared/schedule';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';

const DAY = '2026-11-23';

/** The day's facts that are not a single booking: the loss limit near or reached, the daily summary after the close. */
describe('alerts of the day', () => {
  const temp = makeTempDir('alerts-day-facts');
  let n = 0;
  let db: Db;
  let clock: ManualClock;
  let repos: Repositories;
  const outbox = () => db.prepare('SELECT kind, severity, dedupe_key AS dedupeKey, app, created_at AS createdAt, data FROM alerts_outbox ORDER BY id').all() as Array<{ kind: string; severity: string; dedupeKey: string; app: string; createdAt: string; data: string }>;

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `day-${n++}`, 'trading.db'));
    clock = new ManualClock(newYorkTime(DAY, '11:00'));
    repos = createRepositories(db, clock, 'day-trader');
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  it('the daily loss limit near, then reached: each once a day, with its event', () => {
    const input = { tradingDay: DAY, realizedToday: -1_000, netLiquidation: 100_000, limitPct: 2, nearPct: 80 };
    expect(noteDailyLoss(repos.alerts, { ...input, unrealizedPnl: undefined }, silentLogger())).toBeUndefined();
    expect(noteDailyLoss(repos.alerts, { ...input, unrealizedPnl: -200 }, silentLogger())).toBeUndefined();
    expect(noteDailyLoss(repos.alerts, { ...input, unrealizedPnl: -700 }, silentLogger())).toBe('near');
    expect(noteDailyLoss(repos.alerts, { ...input, unrealizedPnl: -750 }, silentLogger())).toBe('near');
    expect(noteDailyLoss(repos.alerts, { ...input, unrealizedPnl: -1_100 }, silentLogger())).toBe('reached');
    expect(noteDailyLoss(repos.alerts, { ...input, unrealizedPnl: -1_200 }, silentLogger())).toBe('reached');
    expect(outbox().map((a) => [a.kind, a.severity, a.dedupeKey])).toEqual([
      ['daily_loss_limit', 'warning', `daily_loss_limit:${DAY}:near`], ['daily_loss_limit', 'critical', `daily_loss_limit:${DAY}:reached`],
    ]);
    expect(repos.events.byName('daily_loss_limit_near')).toHaveLength(1);
    expect(repos.events.byName('daily_loss_limit_reached')).toHaveLength(1);
  });

  it('the daily report after the close writes the daily summary alert with its trigger\'s completion', () => {
    const history = new TradeHistoryRepository(db, clock);
    history.recordTrade({ positionId: 'P-1', symbol: 'AAPL', agentName: 'gap-momentum', quantity: 10, entryPrice: 100, entryTimeMs: newYorkTime(DAY, '09:40') });
    history.closeTrade('P-1', { exitPrice: 103, exitTimeMs: newYorkTime(DAY, '10:40'), exitReason: 'PROFIT_TARGET' });
    history.recordTrade({ positionId: 'P-2', symbol: 'MSFT', agentName: 'gap-momentum', quantity: 10, entryPrice: 50, entryTimeMs: newYorkTime(DAY, '09:45') });
    history.closeTrade('P-2', { exitPrice: 49, exitTimeMs: newYorkTime(DAY, '11:40'), exitReason: 'STOP_LOSS' });
    const scheduler = new Scheduler({ db, clock, config: { schedule: { scanTimes: [], reconcileAfterCloseMinutes: 5, reportAfterCloseMinutes: 10 }, paths: { reports: path.join(temp.dir, `reports-${n}`) } }, log: memoryLogger(), reportFormats: ['md'] });
    clock.set(newYorkTime(DAY, '16:09'));
    scheduler.tick();
    expect(outbox()).toEqual([]);
    clock.set(newYorkTime(DAY, '16:10'));
    scheduler.tick();
    scheduler.tick();
    const [summary] = outbox();
    expect(outbox()).toHaveLength(1);
    expect(summary).toMatchObject({ kind: 'daily_summary', severity: 'info', dedupeKey: `daily_summary:${DAY}`, app: 'supervisor', createdAt: new Date(newYorkTime(DAY, '16:10')).toISOString() });
    expect(JSON.parse(summary!.data)).toMatchObject({ tradingDay: DAY, trades: 2, wins: 1, losses: 1, realizedPnl: 20, largestWin: 30, largestLoss: -10, winRatePct: 50 });
  });
});
