import path from 'node:path';
import Database from 'better-sqlite3';
import { FakeBroker } from '../../shared/broker/fake/fake-broker';
import { createRepositories, openDatabase, PortfolioSnapshotsRepository, type Db } from '../../shared/db';
import { migration001 } from '../../shared/db/migrations/001-initial-schema';
import { migration002 } from '../../shared/db/migrations/002-realistic-broker';
import { PerformanceLoader } from '../../shared/history/performance-loader';
import { loadReportData } from '../../shared/history/report-data';
import { memoryLogger } from '../../shared/log/logger';
import { PortfolioSnapshotTaker, type QuoteSource } from '../../shared/portfolio/snapshot-taker';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime, nextTradingDay } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';

const DAY = '2026-11-23';

/** The reconciler's quote book in miniature: the broker's quotes, followed for the symbols asked. */
class Quotes implements QuoteSource {
  readonly prices = new Map<string, number>();
  private readonly subscriptions = new Map<string, () => void>();
  followed: string[] = [];
  constructor(private readonly broker: FakeBroker) {}
  followQuotes(symbols: string[]): void {
    this.followed = symbols;
    for (const symbol of symbols) {
      if (!this.subscriptions.has(symbol)) this.subscriptions.set(symbol, this.broker.subscribeQuotes(symbol, (q) => q.last && this.prices.set(symbol, q.last)));
    }
  }
  lastPrice(symbol: string): number | undefined {
    return this.prices.get(symbol);
  }
}

describe('portfolio snapshots on a real SQLite file', () => {
  const temp = makeTempDir('snapshots');
  let n = 0;
  afterAll(() => temp.cleanup());

  async function system(file = path.join(temp.dir, `snap-${n++}.db`)) {
    const db = openDatabase(file);
    const clock = new ManualClock(newYorkTime(DAY, '10:00'));
    const repos = createRepositories(db, clock, 'reconciler');
    const broker = new FakeBroker(clock, { cash: 100_000 });
    await broker.connect();
    const quotes = new Quotes(broker);
    const log = memoryLogger();
    const taker = new PortfolioSnapshotTaker({ broker, db, clock, log, positions: repos.positions, closed: repos.closed, quotes, account: undefined, answerTimeoutMs: 500, intradayRetentionDays: 2 });
    return { db, clock, repos, broker, quotes, taker, log, file };
  }

  /** A bot position: claimed, filled, so the DB and the broker both hold it. */
  function holdPosition(s: Awaited<ReturnType<typeof system>>, symbol: string, quantity: number, price: number): string {
    const claim = s.repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap', maxOpenPositions: 5, requestedQuantity: quantity });
    if (!claim.ok) throw new Error(claim.reason);
    s.repos.ledger.recordEntryFill(claim.position.id, { execId: `e-${symbol}`, symbol, side: 'BUY', quantity, price, commission: 1, executedAtMs: s.clock.now() });
    s.broker.setPosition(symbol, quantity, price);
    return claim.position.id;
  }

  it('takes a snapshot from the broker and the DB: IB\'s figures, ours, the differences, every instrument', async () => {
    const s = await system();
    holdPosition(s, 'NOVA', 100, 50);
    s.broker.setPosition('LRKS', 10, 40); // not the bots'
    s.broker.setPrice('NOVA', 51);
    s.broker.setPrice('LRKS', 42);
    await s.taker.take('interval'); // the first one subscribes the quotes (a price can only come after)
    s.broker.setPrice('NOVA', 52);
    s.broker.setPrice('LRKS', 42);
    const snapshot = (await s.taker.take('interval'))!;
    expect(s.quotes.followed.sort()).toEqual(['LRKS', 'NOVA']);
    expect(snapshot).toMatchObject({ navSource: 'ib', positions: 2, ourPositions: 1, ourUnrealizedPnl: 200, ourRealizedPnl: 0, account: 'DU0000001' });
    expect(snapshot.ibNetLiquidation).toBe(snapshot.nav);
    expect(snapshot.navDifference).not.toBeNull();
    const stored = new PortfolioSnapshotsRepository(s.db, s.clock);
    expect(stored.latest()).toMatchObject({ id: snapshot.id, nav: snapshot.nav, peakNav: snapshot.peakNav });
    const positions = stored.positionsOf(snapshot.id);
    expect(positions.map((p) => [p.symbol, p.ours, p.quantity, p.price])).toEqual([['NOVA', true, 100, 52], ['LRKS', false, 10, 42]]);
    s.db.close();
  });

  it('keeps the drawdown high-water mark in the DB: a restart never resets it', async () => {
    const s = await system();
    holdPosition(s, 'NOVA', 1_000, 50);
    s.broker.setPrice('NOVA', 50);
    await s.taker.take('interval');
    s.broker.setPrice('NOVA', 60); // NAV up 10,000: a new peak
    const peak = (await s.taker.take('interval'))!;
    s.db.close();

    // A new process (the reconciler restarted): the mark is read back, and a lower NAV is a drawdown from it.
    const again = await system(s.file);
    const quotes = again.quotes;
    quotes.followQuotes(['NOVA']);
    again.broker.setPosition('NOVA', 1_000, 50);
    again.broker.setPrice('NOVA', 55);
    const after = (await again.taker.take('interval'))!;
    expect(after.peakNav).toBe(peak.peakNav);
    expect(after.nav).toBeLessThan(peak.nav);
    expect(after.drawdown).toBeCloseTo(after.nav - peak.peakNav, 2);
    expect(new PortfolioSnapshotsRepository(again.db, again.clock).highWater('DU0000001')).toMatchObject({ peakNav: peak.peakNav, peakAt: peak.takenAt });
    again.db.close();
  });

  it('records what IB did not answer and goes on with the rest', async () => {
    const s = await system();
    holdPosition(s, 'NOVA', 100, 50);
    s.broker.failNextSnapshot('positions');
    const snapshot = (await s.taker.take('interval'))!;
    expect(snapshot.detail.ibPositions).toMatch(/no answer/);
    expect(snapshot.navSource).toBe('ib');
    s.db.close();
  });

  it('prunes intraday snapshots past the retention after the close, keeping each day\'s last', async () => {
    const s = await system();
    const repo = new PortfolioSnapshotsRepository(s.db, s.clock);
    let day = DAY;
    for (let d = 0; d < 4; d++) {
      for (const time of ['10:00', '12:00', '16:05']) {
        s.clock.set(newYorkTime(day, time));
        await s.taker.take(time === '16:05' ? 'close' : 'interval');
      }
      if (d < 3) day = nextTradingDay(day);
    }
    // Retention 2 trading days: the two oldest days keep one snapshot each (their close), the last two all three.
    const days = repo.days();
    expect(days.map((x) => x.snapshots)).toEqual([1, 1, 3, 3]);
    expect(days.map((x) => x.closeKind)).toEqual(['close', 'close', 'close', 'close']);
    expect(s.db.prepare('SELECT COUNT(*) FROM position_snapshots WHERE snapshot_id NOT IN (SELECT id FROM portfolio_snapshots)').pluck().get()).toBe(0);
    s.db.close();
  });

  it('gives the analytics their equity from the snapshots where the daily summary has none, and the daily report an intraday curve', async () => {
    const s = await system();
    const id = holdPosition(s, 'NOVA', 100, 50);
    s.quotes.followQuotes(['NOVA']);
    for (const [time, price] of [['10:00', 50], ['11:00', 53], ['12:00', 49]] as const) {
      s.clock.set(newYorkTime(DAY, time));
      s.broker.setPrice('NOVA', price);
      await s.taker.take('interval');
    }
    s.repos.ledger.recordExit(id, { execId: 'x-NOVA', symbol: 'NOVA', side: 'SELL', quantity: 100, price: 49, commission: 1, executedAtMs: s.clock.now() }, 'STOP_LOSS');
    s.broker.setPosition('NOVA', 0, 0);
    s.clock.set(newYorkTime(DAY, '16:05'));
    const close = (await s.taker.take('close'))!;
    const loader = new PerformanceLoader(s.db, s.clock);
    const [day] = loader.dailyEquity();
    expect(day).toMatchObject({ tradingDay: DAY, endEquity: close.nav, endSource: 'account' });
    const report = loadReportData(s.db, s.clock, { period: 'daily', date: DAY });
    expect(report.curve.map((p) => p.label)).toEqual(['open', '10:00', '11:00', '12:00', '16:05']);
    expect(report.curve[2]!.equity).toBeGreaterThan(report.curve[1]!.equity); // marked to market: NOVA at 53
    s.db.close();
  });

  it('arrives by migration 3 on a DB of schema 2, leaving its rows alone', () => {
    const file = path.join(temp.dir, 'schema2.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    old.exec(migration001.sql);
    old.exec(migration002.sql);
    migration002.up(old);
    old.prepare('INSERT INTO schema_migrations VALUES (1, ?, ?), (2, ?, ?)').run('initial-schema', 'x', 'realistic-broker', 'x');
    old.prepare("INSERT INTO events (at, app, event) VALUES ('2026-11-20T15:00:00Z', 'test', 'kept')").run();
    old.close();
    const db: Db = openDatabase(file);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['portfolio_snapshots', 'position_snapshots', 'nav_high_water']));
    expect(db.prepare('SELECT event FROM events').pluck().all()).toEqual(['kept']);
    expect(db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBeGreaterThanOrEqual(3);
    db.close();
  });
});
