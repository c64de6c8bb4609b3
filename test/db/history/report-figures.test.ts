import path from 'node:path';
import { agentBreakdown, computePerformance, equityCurve, sliceDailyEquity, tradingDaysBetween, type ClosedTradeInput } from '../../../shared/analytics';
import { agentReportRow } from '../../../shared/analytics/report/by-agent';
import { reportPeriod } from '../../../shared/analytics/report/period';
import type { ReportPeriodKind } from '../../../shared/analytics/report/report-model';
import { openDatabase, type Db } from '../../../shared/db';
import { DailySummaryRepository, PerformanceLoader, TradeHistoryRepository, loadReportData } from '../../../shared/history';
import { mulberry32 } from '../../../shared/random/mulberry32';
import { ManualClock } from '../../../shared/time/clock';
import { calendarDayInNewYork, newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

/**
 * A report reads only its period plus aggregates of the history (the account equity from the last recorded
 * day before the period, each agent's opening equity summed inside SQLite). Its figures must be, to the last
 * bit, those of the straightforward computation it replaced: the whole equity series and every closed trade of
 * the history loaded, as below. toEqual compares numbers with Object.is.
 */

const SEED = Number(process.env.REPORT_SEED ?? Date.now() % 1_000_000);
// Printed so a failure can be replayed: REPORT_SEED=<seed> npx jest test/db/history/report-figures
console.log(`report-figures seed ${SEED}`);

const AGENTS = ['gap-momentum', 'mean-revert', 'opening-range-breakout'];
const INITIAL_CAPITAL = 100_000;

describe('report figures from period reads equal the ones from the whole history', () => {
  const temp = makeTempDir('report-figures');
  let db: Db;
  let clock: ManualClock;
  let n = 0;

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `figures-${n++}.db`));
    clock = new ManualClock(newYorkTime('2026-04-01', '18:00'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    db.close();
  });
  afterAll(() => temp.cleanup());

  /** Closed trades from October 2025 to March 2026, several per agent and day; account equity on some days. */
  function history(seed: number, equity: 'most-days' | 'none' | 'first-month-only'): void {
    const random = mulberry32(seed);
    const trades = new TradeHistoryRepository(db, clock);
    const summaries = new DailySummaryRepository(db, clock);
    const days = tradingDaysBetween('2025-10-01', '2026-03-31');
    db.transaction(() => {
      let account = 250_000;
      days.forEach((day, d) => {
        const count = 2 + Math.floor(random() * 8);
        let dayPnl = 0;
        for (let i = 0; i < count; i++) {
          const id = `${day}-${i}`;
          const entryTimeMs = newYorkTime(day, '09:30') + Math.floor(random() * 300) * 60_000 + Math.floor(random() * 60_000);
          const entryPrice = 20 + random() * 200;
          const quantity = 1 + Math.floor(random() * 300);
          trades.recordTrade({ positionId: id, symbol: `S${Math.floor(random() * 12)}`, agentName: AGENTS[Math.floor(random() * AGENTS.length)]!, quantity, entryPrice, entryTimeMs, commission: 1, source: 'bot' });
          const exitPrice = entryPrice * (1 + (random() - 0.48) * 0.02);
          // Exits in the same minute as others now and then: order by exit time, then id.
          const exitTimeMs = entryTimeMs + (random() < 0.2 ? 60_000 : Math.floor(random() * 90 * 60_000));
          const closed = trades.closeTrade(id, { exitPrice, exitTimeMs, exitReason: 'TARGET', exitCommission: 1 });
          if (closed.status === 'closed') dayPnl += closed.trade.realizedPnl ?? 0;
        }
        const record = equity === 'most-days' ? d % 10 !== 9 : equity === 'first-month-only' ? day < '2025-11-01' : false;
        if (record) summaries.recomputeDay(day, { startEquity: account, endEquity: account + dayPnl + (random() - 0.5) * 50 });
        account += dayPnl;
      });
      // A row recomputed on a holiday holds nothing of use; it must not become the day a series starts from.
      if (equity === 'most-days') summaries.recomputeDay('2025-12-25', { startEquity: 1, endEquity: 2 });
    })();
  }

  /** The report's figures the straightforward way: the whole equity series and the whole trade history. */
  function straightforward(kind: ReportPeriodKind, date: string) {
    const period = reportPeriod(kind, date);
    const loader = new PerformanceLoader(db, clock);
    const today = calendarDayInNewYork(clock.now());
    const elapsed = period.tradingDays.filter((d) => d <= today);
    const full = loader.dailyEquity({ initialCapital: INITIAL_CAPITAL, to: period.to, fillTo: elapsed[elapsed.length - 1] });
    const daily = sliceDailyEquity(full, period.from, period.to);
    const inputs: ClosedTradeInput[] = loader.trades.list({ status: 'CLOSED', from: period.from, to: period.to }).map((t) => ({
      symbol: t.symbol, agentName: t.agentName, realizedPnl: t.realizedPnl ?? 0, entryTimeMs: Date.parse(t.entryTime), exitTimeMs: Date.parse(t.exitTime ?? t.entryTime), commission: t.commission,
    }));
    const trades = loader.trades.list({ status: 'CLOSED', from: period.from, to: period.to }).map((t) => ({
      positionId: t.positionId, symbol: t.symbol, agentName: t.agentName, direction: t.direction, quantity: t.quantity,
      entryPrice: t.entryPrice, entryTimeMs: Date.parse(t.entryTime), exitPrice: t.exitPrice, exitTimeMs: Date.parse(t.exitTime ?? t.entryTime),
      exitReason: t.exitReason, commission: t.commission, realizedPnl: t.realizedPnl ?? 0, pnlPct: t.pnlPct, source: t.source,
    }));
    return {
      trades,
      metrics: computePerformance({ daily, trades: inputs, options: { riskFreeRate: 0.04 } }),
      byAgent: agentBreakdown({ trades: inputs, history: loader.trades.closedForAnalytics({ to: period.to }), from: period.from, to: period.to, initialCapital: INITIAL_CAPITAL }).map(agentReportRow),
      openingEquity: daily[0]?.startEquity ?? full.filter((d) => d.tradingDay < period.from).pop()?.endEquity ?? INITIAL_CAPITAL,
      curve: equityCurve(daily).map((p) => ({ label: p.label ?? 'start', equity: p.equity })),
    };
  }

  function expectSameFigures(kind: ReportPeriodKind, date: string, path: 'period' | 'whole history') {
    const readsHistory = jest.spyOn(TradeHistoryRepository.prototype, 'closedForAnalytics');
    const report = loadReportData(db, clock, { period: kind, date, initialCapital: INITIAL_CAPITAL, riskFreeRate: 0.04 });
    expect(readsHistory).toHaveBeenCalledTimes(path === 'period' ? 0 : 1);
    readsHistory.mockRestore();
    const expected = straightforward(kind, date);
    expect(report.trades).toEqual(expected.trades);
    expect(report.metrics).toEqual(expected.metrics);
    expect(report.byAgent).toEqual(expected.byAgent);
    expect(report.byAgent.length).toBeGreaterThan(0);
    if (kind === 'daily') expect(report.curve[0]).toEqual({ label: 'open', equity: expected.openingEquity });
    else expect(report.curve).toEqual(expected.curve);
  }

  const DATES: Array<[ReportPeriodKind, string]> = [
    ['monthly', '2026-03-10'], ['monthly', '2026-01-02'], ['monthly', '2025-10-15'], ['weekly', '2026-02-18'], ['weekly', '2025-12-24'],
    ['daily', '2026-03-02'], ['daily', '2025-11-28'],
  ];

  it('with the account equity recorded on most days (the series starts at the last recorded day before the period)', () => {
    history(SEED, 'most-days');
    const sinceBounds: Array<string | undefined> = [];
    const hours = TradeHistoryRepository.prototype.realizedByExitHour;
    jest.spyOn(TradeHistoryRepository.prototype, 'realizedByExitHour').mockImplementation(function (this: TradeHistoryRepository, before?: string, since?: string) {
      sinceBounds.push(since);
      return hours.call(this, before, since);
    });
    for (const [kind, date] of DATES) expectSameFigures(kind, date, 'period');
    // The reports after the first month read their hours from a recent day on, not from the first trade.
    expect(sinceBounds.filter((since) => since !== undefined && since > '2025-12-01').length).toBeGreaterThan(3);
  });

  it('without any account equity (every day derived from the first trade on)', () => {
    history(SEED + 1, 'none');
    for (const [kind, date] of DATES) expectSameFigures(kind, date, 'period');
  });

  it('with account equity only months before the period (found looking further back)', () => {
    history(SEED + 2, 'first-month-only');
    for (const [kind, date] of DATES) expectSameFigures(kind, date, 'period');
  });

  it('with stored exit times in other ISO forms: parsed one by one, or the whole history read when they sort out of day order', () => {
    history(SEED + 3, 'most-days');
    const setExit = db.prepare('UPDATE round_trips SET exit_time = ? WHERE position_id = ?');
    // Without milliseconds: the same instant, parsed on its own.
    const [row] = db.prepare("SELECT position_id AS id, exit_time AS exit FROM round_trips WHERE exit_time LIKE '2026-01-15%' LIMIT 1").all() as Array<{ id: string; exit: string }>;
    setExit.run(row!.exit.replace(/\.\d{3}Z$/, 'Z'), row!.id);
    expectSameFigures('monthly', '2026-02-10', 'period');
    // An offset form sorts as text before the period's first instant but falls on its first day: only the whole
    // history puts it where the straightforward computation does.
    const [early] = db.prepare("SELECT position_id AS id FROM round_trips WHERE exit_time < '2026-02-01' ORDER BY exit_time DESC LIMIT 1").all() as Array<{ id: string }>;
    // Saturday 31 January 04:30 in New York is trading day Monday 2 February.
    setExit.run('2026-01-31T04:30:00-05:00', early!.id);
    expectSameFigures('monthly', '2026-02-10', 'whole history');
  });

  it("reads each agent's earlier trades from migration 7's index alone, and gives the same figures without it", () => {
    history(SEED + 4, 'most-days');
    const prepare = jest.spyOn(db, 'prepare');
    expectSameFigures('monthly', '2026-03-10', 'period');
    const sql = prepare.mock.calls.map(([text]) => text).find((text) => text.includes('history_agent_opening_equity('))!;
    prepare.mockRestore();
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ fromIso: '2026-03-02T05:00:00.000Z' }) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
    expect(plan).toMatch(/COVERING INDEX idx_round_trips_closed_agent_exit/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    // A DB opened read-only before its migration has no such index: an ordered subquery sorts the rows instead.
    db.exec('DROP INDEX idx_round_trips_closed_agent_exit');
    for (const [kind, date] of DATES) expectSameFigures(kind, date, 'period');
  });
});
