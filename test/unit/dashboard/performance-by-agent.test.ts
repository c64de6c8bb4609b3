import type { ReadRepos } from '../../../apps/dashboard/data/db-source';
import { performancePage } from '../../../apps/dashboard/html/history-pages';
import type { DashboardServices } from '../../../apps/dashboard/services';
import { PerformanceView, type PerformanceQueryParams } from '../../../apps/dashboard/views/performance';
import { buildDailyEquity, computePerformance, sliceDailyEquity, tradingDayOfTime, type ClosedTradeInput } from '../../../shared/analytics';
import type { TradeFilter } from '../../../shared/history/types';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const GAP = 'gap-momentum';
const ORB = 'opening-range-breakout';

function trade(agentName: string, symbol: string, day: string, exitHhmm: string, pnl: number): ClosedTradeInput {
  const exitTimeMs = newYorkTime(day, exitHhmm);
  return { symbol, agentName, realizedPnl: pnl, entryTimeMs: exitTimeMs - 30 * 60_000, exitTimeMs, commission: 0 };
}

// Two strategies sharing one account in November 2026 (Thanksgiving, 11-26, closed).
const HISTORY: ClosedTradeInput[] = [
  trade(GAP, 'AAPL', '2026-11-23', '10:10', 200),
  trade(ORB, 'MSFT', '2026-11-23', '11:00', -100),
  trade(GAP, 'AAPL', '2026-11-24', '10:45', -300),
  trade(ORB, 'NVDA', '2026-11-25', '13:00', 500),
  trade(GAP, 'AAPL', '2026-11-30', '10:20', 50),
];

/**
 * The DB side of the performance view, as the repositories answer it (closed trades by exit day, agent and
 * symbol filters), recording what the view asked for.
 */
function services(): { s: DashboardServices; historyRequests: TradeFilter[] } {
  const historyRequests: TradeFilter[] = [];
  const closed = (f: TradeFilter) => HISTORY.filter((t) => {
    const day = tradingDayOfTime(t.exitTimeMs);
    return (!f.from || day >= f.from) && (!f.to || day <= f.to) && (!f.symbol || t.symbol === f.symbol) && (!f.agentName || t.agentName === f.agentName);
  });
  const repos = {
    performance: {
      performance: (q: { from?: string; to?: string; symbol?: string; agentName?: string }) => {
        const trades = closed(q);
        const all = closed({ ...q, from: undefined });
        const daily = sliceDailyEquity(buildDailyEquity(all.map((t) => ({ tradingDay: tradingDayOfTime(t.exitTimeMs), realizedPnl: t.realizedPnl, trades: 1 }))), q.from, q.to);
        return { metrics: computePerformance({ daily, trades }), daily, trades };
      },
      trades: {
        closedForAnalytics: (f: TradeFilter) => {
          historyRequests.push(f);
          return closed(f);
        },
      },
    },
    snapshots: undefined,
  } as unknown as ReadRepos;
  const s = {
    clock: new ManualClock(newYorkTime('2026-11-30', '18:00')),
    db: { read: <T>(fn: (r: ReadRepos) => T) => ({ ok: true as const, value: fn(repos) }) },
  } as unknown as DashboardServices;
  return { s, historyRequests };
}

function build(query: PerformanceQueryParams) {
  const { s, historyRequests } = services();
  const result = new PerformanceView(s).build(query, 'v1');
  if (!result.ok) throw new Error(result.problem.message);
  return { data: result.data, historyRequests };
}

/** The cells of one row of the "By strategy" table, tags stripped. */
function agentRow(page: string, agent: string): string[] {
  const table = page.match(/<table class="data" id="agents-table">[\s\S]*?<\/table>/)![0];
  const row = table.match(new RegExp(`<tr><td><a [^>]*>${agent}</a>[\\s\\S]*?</tr>`))![0];
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
}

describe('the performance page by strategy', () => {
  it('gives each agent the figures of npm run stats, in the JSON and in a table, computed by hand', () => {
    const { data, historyRequests } = build({});
    expect(historyRequests).toEqual([]); // all history: the period's trades are the history
    // opening-range-breakout: -100 +500; gap-momentum: +200 -300 +50; best net P&L first
    expect(data.byAgent.map((a) => a.agent)).toEqual([ORB, GAP]);
    const [orb, gap] = data.byAgent;
    expect(orb).toMatchObject({ trades: 2, wins: 1, losses: 1, winRate: 0.5, netProfit: 400, profitFactor: 5, averageWin: 500, averageLoss: -100 });
    expect(orb!.maxDrawdown).toBeCloseTo(-0.001, 12); // its own equity: 100,000 → 99,900 (11-23) → 100,400 (11-25)
    expect(gap).toMatchObject({ trades: 3, wins: 2, losses: 1, netProfit: -50, averageWin: 125, averageLoss: -300 });
    expect(gap!.winRate).toBeCloseTo(2 / 3, 12);
    expect(gap!.profitFactor).toBeCloseTo(250 / 300, 12);
    expect(gap!.maxDrawdown).toBeCloseTo(-300 / 100_200, 12); // 100,200 (11-23) → 99,900 (11-24)
    expect(orb!.netProfit + gap!.netProfit).toBe(data.metrics.trades.netProfit);
    // The JSON rows carry the field names of `npm run stats -- --json`'s byAgent.
    const json = JSON.parse(JSON.stringify(data)) as { byAgent: Array<Record<string, unknown>> };
    for (const key of ['agent', 'trades', 'wins', 'losses', 'winRate', 'netProfit', 'profitFactor', 'averageWin', 'averageLoss', 'maxDrawdown']) {
      expect(Object.keys(json.byAgent[0]!)).toContain(key);
    }

    const page = performancePage(data);
    expect(page).toContain('<h2>By strategy</h2>');
    expect(page.indexOf(`>${ORB}</a>`)).toBeLessThan(page.indexOf(`>${GAP}</a>`));
    expect(agentRow(page, ORB)).toEqual([ORB, '2', '1', '1', '50.00 %', '+400.00', '5.00', '500.00', '-100.00', '-0.10 %']);
    expect(agentRow(page, GAP)).toEqual([GAP, '3', '2', '1', '66.67 %', '-50.00', '0.83', '125.00', '-300.00', '-0.30 %']);
    expect(page).toContain(`<a href="/performance?agent=${GAP}">`); // each name opens the page for that agent
  });

  it('measures a range\'s drawdown from the equity each agent built before it', () => {
    const { data, historyRequests } = build({ from: '2026-11-24', to: '2026-11-30' });
    expect(historyRequests).toEqual([{ to: '2026-11-30', symbol: undefined, agentName: undefined }]);
    const gap = data.byAgent.find((a) => a.agent === GAP)!;
    const orb = data.byAgent.find((a) => a.agent === ORB)!;
    expect(gap).toMatchObject({ trades: 2, netProfit: -250 }); // -300 +50: only the range's trades count
    // 11-24 starts at 100,200 (not 100,000, which would say -0.30 % flat): -300 / 100,200
    expect(gap.maxDrawdown).toBeCloseTo(-300 / 100_200, 12);
    expect(orb).toMatchObject({ trades: 1, netProfit: 500, maxDrawdown: 0 });
    const page = performancePage(data);
    expect(page).toContain(`<a href="/performance?from=2026-11-24&amp;to=2026-11-30&amp;agent=${ORB}">`);
  });

  it('shows no table when one agent traded, as the reports, but keeps its row in the JSON', () => {
    for (const query of [{ agent: GAP }, { symbol: 'NVDA' }]) {
      const { data } = build(query);
      expect(data.byAgent).toHaveLength(1);
      expect(performancePage(data)).not.toContain('By strategy');
    }
    const nvda = build({ symbol: 'NVDA' }).data.byAgent[0]!;
    expect(nvda).toMatchObject({ agent: ORB, trades: 1, netProfit: 500, profitFactor: null, maxDrawdown: 0 });
    expect(performancePage(build({}).data)).toContain('By strategy');
  });
});
