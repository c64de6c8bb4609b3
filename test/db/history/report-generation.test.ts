import fs from 'node:fs';
import path from 'node:path';
import { parseCsv, parseCsvRecords } from '../../../shared/analytics/report';
import { openDatabase, type Db } from '../../../shared/db';
import { PipelineRepository } from '../../../shared/db/repositories/pipeline-repository';
import { DailySummaryRepository, TradeHistoryRepository, generateReport, loadReportData } from '../../../shared/history';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

describe('report generation from the DB', () => {
  const temp = makeTempDir('reports');
  let db: Db;
  let clock: ManualClock;
  let reportsDir: string;
  let n = 0;

  beforeEach(() => {
    const dir = path.join(temp.dir, `case-${n++}`);
    db = openDatabase(path.join(dir, 'trading.db'));
    reportsDir = path.join(dir, 'reports');
    clock = new ManualClock(newYorkTime('2026-11-30', '18:00'));
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  function trade(id: string, symbol: string, day: string, entry: string, exit: string, entryPrice: number, exitPrice: number, quantity = 100, agentName = 'gap-momentum') {
    const history = new TradeHistoryRepository(db, clock);
    history.recordTrade({ positionId: id, symbol, agentName, quantity, entryPrice, entryTimeMs: newYorkTime(day, entry), source: 'bot' });
    history.closeTrade(id, { exitPrice, exitTimeMs: newYorkTime(day, exit), exitReason: exitPrice > entryPrice ? 'PROFIT_TARGET' : 'STOP_LOSS' });
  }

  /**
   * November 2026 (from 100,000, no account equity): Mon 11-23 +200 (AAPL) -100 (MSFT); Tue 11-24 -300 (AAPL);
   * Wed 11-25 +500 (NVDA); Fri 11-27 nothing; Mon 11-30 +50 (AAPL).
   * Equity: 100,100 → 99,800 → 100,300 → 100,300 → 100,350.
   */
  function november() {
    trade('A1', 'AAPL', '2026-11-23', '09:40', '10:10', 100, 102);
    trade('M1', 'MSFT', '2026-11-23', '10:00', '11:00', 200, 199);
    trade('A2', 'AAPL', '2026-11-24', '09:45', '10:45', 100, 97);
    trade('N1', 'NVDA', '2026-11-25', '11:00', '13:00', 50, 55);
    trade('A3', 'AAPL', '2026-11-30', '09:50', '10:20', 100, 100.5);
    const pipeline = new PipelineRepository(db, clock);
    const run = pipeline.startRun('gap-momentum', '2026-11-23', 'SCAN');
    pipeline.finishRun(run, { status: 'COMPLETED', candidates: 12, taken: 2 });
  }

  it('writes a daily report in every format with the day figures', () => {
    november();
    const report = generateReport(db, clock, { period: 'daily', date: '2026-11-23', formats: ['md', 'csv', 'html'], reportsDir });
    expect(report.files.map((f) => path.relative(reportsDir, f)).sort()).toEqual(['daily/2026-11-23.csv', 'daily/2026-11-23.html', 'daily/2026-11-23.md', 'daily/2026-11-23.summary.csv', 'daily/2026-11-23.symbols.csv']);
    const md = fs.readFileSync(path.join(reportsDir, 'daily', '2026-11-23.md'), 'utf8');
    expect(md).toMatch(/\| Net P&L \| \+100\.00 \|/);
    expect(md).toMatch(/\| Win rate \| 50\.00% \|/);
    expect(md).toMatch(/\| Profit factor \| 2\.00 \|/); // 200 / 100
    expect(md).toMatch(/\| Start equity \| 100,000\.00 \|/);
    expect(md).toMatch(/\| End equity \| 100,100\.00 \|/);
    expect(md).toContain('1 scan run(s) (0 failed), 12 candidate(s) scored, 2 taken.');
    expect(md).toContain('initial capital 100,000.00 + cumulative realized P&L');
    const html = fs.readFileSync(path.join(reportsDir, 'daily', '2026-11-23.html'), 'utf8');
    expect(html.match(/<polyline[^>]*points="([^"]+)"/)![1]!.split(' ')).toHaveLength(3); // open + 2 exits
    const csv = parseCsvRecords(fs.readFileSync(path.join(reportsDir, 'daily', '2026-11-23.csv'), 'utf8'));
    expect(csv.map((r) => [r.position_id, Number(r.realized_pnl)])).toEqual([['A1', 200], ['M1', -100]]);
  });

  it('writes weekly and monthly reports over the right days', () => {
    november();
    const weekly = generateReport(db, clock, { period: 'weekly', date: '2026-11-25', formats: ['md', 'csv'], reportsDir });
    expect(weekly.data.period.key).toBe('2026-W48');
    // The week: 11-23 .. 11-27 (Thanksgiving closed), net 200 - 100 - 300 + 500 = +300; 11-27 is a 0-P&L day
    expect(weekly.data.metrics.tradingDays).toBe(4);
    expect(weekly.data.metrics.trades).toMatchObject({ trades: 4, wins: 2, losses: 2, netProfit: 300 });
    const summary = Object.fromEntries(parseCsv(fs.readFileSync(path.join(reportsDir, 'weekly', '2026-W48.summary.csv'), 'utf8')).slice(1));
    expect(Number(summary.period_return)).toBeCloseTo(100_300 / 100_000 - 1, 12);
    // Max drawdown: peak 100,100 (Mon) → 99,800 (Tue) = -0.2997 %
    expect(Number(summary.max_drawdown)).toBeCloseTo(99_800 / 100_100 - 1, 12);
    expect(Number(summary.best_day)).toBeCloseTo(500 / 99_800, 12);
    expect(weekly.data.curve.map((p) => p.equity)).toEqual([100_000, 100_100, 99_800, 100_300, 100_300]);

    const monthly = generateReport(db, clock, { period: 'monthly', date: '2026-11-02', formats: ['html'], reportsDir });
    expect(monthly.files).toEqual([path.join(reportsDir, 'monthly', '2026-11.html')]);
    expect(monthly.data.metrics.trades.trades).toBe(5);
    // the month's figures start with the first day of history (11-23) and end at the clock's day
    expect(monthly.data.metrics.firstDay).toBe('2026-11-23');
    expect(monthly.data.metrics.lastDay).toBe('2026-11-30');
    const html = fs.readFileSync(monthly.files[0]!, 'utf8');
    expect(html).toContain('Monthly report: November 2026');
    expect(html).toContain('+350.00');
    expect(html).toMatch(/<td>NVDA<\/td>/);
  });

  it('uses the account equity the reconciler recorded, and rerunning overwrites the same files', () => {
    november();
    const summaries = new DailySummaryRepository(db, clock);
    summaries.recomputeDay('2026-11-23', { startEquity: 250_000, endEquity: 250_150 });
    const first = generateReport(db, clock, { period: 'daily', date: '2026-11-23', formats: ['md'], reportsDir });
    expect(first.data.equitySource).toBe('account');
    expect(first.data.metrics.totalReturn).toBeCloseTo(150 / 250_000, 12);
    const again = generateReport(db, clock, { period: 'daily', date: '2026-11-23', formats: ['md'], reportsDir });
    expect(again.files).toEqual(first.files);
    expect(fs.readdirSync(path.join(reportsDir, 'daily'))).toEqual(['2026-11-23.md']); // no temp files left
  });

  it('gives each agent its figures and its own max drawdown, from the equity it built before the period', () => {
    // November with two strategies: gap-momentum +200 (11-23) -300 (11-24) +50 (11-30); opening-range-breakout -100 (11-23) +500 (11-25)
    const ORB = 'opening-range-breakout';
    trade('A1', 'AAPL', '2026-11-23', '09:40', '10:10', 100, 102);
    trade('M1', 'MSFT', '2026-11-23', '10:00', '11:00', 200, 199, 100, ORB);
    trade('A2', 'AAPL', '2026-11-24', '09:45', '10:45', 100, 97);
    trade('N1', 'NVDA', '2026-11-25', '11:00', '13:00', 50, 55, 100, ORB);
    trade('A3', 'AAPL', '2026-11-30', '09:50', '10:20', 100, 100.5);

    const weekly = generateReport(db, clock, { period: 'weekly', date: '2026-11-25', formats: ['md'], reportsDir });
    const [orb, gap] = weekly.data.byAgent;
    // Best net P&L first; the field names of before (key, not agent), plus maxDrawdown
    expect(orb).toMatchObject({ key: ORB, trades: 2, wins: 1, losses: 1, winRate: 0.5, netProfit: 400, profitFactor: 5, averageWin: 500, averageLoss: -100, averageHoldingMinutes: 90 });
    expect(orb!.maxDrawdown).toBeCloseTo(-0.001, 12); // 100,000 → 99,900 (11-23) → 100,400 (11-25)
    expect(gap).toMatchObject({ key: 'gap-momentum', trades: 2, wins: 1, losses: 1, netProfit: -100, averageWin: 200, averageLoss: -300, averageHoldingMinutes: 45 });
    expect(gap!.profitFactor).toBeCloseTo(200 / 300, 12);
    expect(gap!.maxDrawdown).toBeCloseTo(-300 / 100_200, 12); // 100,200 (11-23) → 99,900 (11-24)
    const md = Object.values(weekly.contents)[0]!;
    expect(md).toMatch(/\| opening-range-breakout \| 2 \| 1 \| 1 \| 50\.00% \| \+400\.00 \| 5\.00 \| \+500\.00 \| -100\.00 \| 1h 30m \| -0\.10% \|/);
    expect(md).toMatch(/\| gap-momentum \| 2 \| 1 \| 1 \| 50\.00% \| -100\.00 \| 0\.67 \| \+200\.00 \| -300\.00 \| 45m \| -0\.30% \|/);

    // A day of one agent: its drawdown starts from the 100,200 it had built on 11-23, not from 100,000 (-0.30 %)
    const tuesday = loadReportData(db, clock, { period: 'daily', date: '2026-11-24' });
    expect(tuesday.byAgent).toHaveLength(1);
    expect(tuesday.byAgent[0]).toMatchObject({ key: 'gap-momentum', trades: 1, netProfit: -300 });
    expect(tuesday.byAgent[0]!.maxDrawdown).toBeCloseTo(-300 / 100_200, 12);
    // The week after: gap-momentum's equity only rises within it (99,900 → 99,950 on 11-30), so no drawdown in the period
    const next = loadReportData(db, clock, { period: 'weekly', date: '2026-11-30' });
    expect(next.byAgent.map((a) => [a.key, a.netProfit, a.maxDrawdown])).toEqual([['gap-momentum', 50, 0]]);
  });

  it('gives sensible reports for an empty history, a day without trades and an all-losers day', () => {
    const empty = generateReport(db, clock, { period: 'monthly', date: '2026-11-30', formats: ['md', 'csv', 'html'], reportsDir });
    for (const content of Object.values(empty.contents)) expect(content).not.toMatch(/NaN|Infinity|undefined/);
    expect(empty.contents[path.join(reportsDir, 'monthly', '2026-11.md')]).toContain('No closed trades in this period.');

    trade('L1', 'AAPL', '2026-11-24', '10:00', '10:30', 100, 99);
    trade('L2', 'MSFT', '2026-11-24', '11:00', '11:30', 100, 98);
    const losers = loadReportData(db, clock, { period: 'daily', date: '2026-11-24' });
    expect(losers.metrics.trades).toMatchObject({ trades: 2, wins: 0, profitFactor: 0, winRate: 0, largestWin: null });
    expect(losers.metrics.maxDrawdown).toBeCloseTo(-300 / 100_000, 12);
    const quiet = generateReport(db, clock, { period: 'daily', date: '2026-11-25', formats: ['md'], reportsDir });
    expect(quiet.data.trades).toEqual([]);
    expect(quiet.data.metrics).toMatchObject({ tradingDays: 1, totalReturn: 0 });
    expect(Object.values(quiet.contents)[0]).toContain('No closed trades in this period.');
  });
});
