import fc from 'fast-check';
import { agentBreakdown, breakdownBy, buildDailyEquity, computePerformance, tradingDayOfTime, type ClosedTradeInput } from '../../../shared/analytics';
import {
  agentReportRow, formatCsv, parseCsv, parseCsvRecords, renderCsv, renderHtml, renderMarkdown, renderTerminal, reportPeriod, summaryRows,
  type ReportData, type ReportPeriodKind, type ReportTrade,
} from '../../../shared/analytics/report';
import { newYorkTime } from '../../../shared/time/trading-calendar';

function reportTrade(symbol: string, day: string, entry: string, exit: string, pnl: number, agentName = 'gap-momentum'): ReportTrade {
  return {
    positionId: `P-${symbol}-${day}`, symbol, agentName, direction: 'LONG', quantity: 100, entryPrice: 50, entryTimeMs: newYorkTime(day, entry),
    exitPrice: 50 + pnl / 100, exitTimeMs: newYorkTime(day, exit), exitReason: pnl > 0 ? 'PROFIT_TARGET' : 'STOP_LOSS', commission: 2,
    realizedPnl: pnl, pnlPct: (pnl / 5_000) * 100, source: 'bot',
  };
}

function reportData(kind: ReportPeriodKind, date: string, trades: ReportTrade[]): ReportData {
  const period = reportPeriod(kind, date);
  const inputs: ClosedTradeInput[] = trades.map((t) => ({ symbol: t.symbol, agentName: t.agentName, realizedPnl: t.realizedPnl, entryTimeMs: t.entryTimeMs, exitTimeMs: t.exitTimeMs, commission: t.commission }));
  const byDay = new Map<string, number>();
  for (const t of trades) byDay.set(tradingDayOfTime(t.exitTimeMs), (byDay.get(tradingDayOfTime(t.exitTimeMs)) ?? 0) + t.realizedPnl);
  const daily = buildDailyEquity([...byDay].map(([tradingDay, realizedPnl]) => ({ tradingDay, realizedPnl })), { initialCapital: 100_000 });
  let equity = 100_000;
  return {
    period,
    generatedAt: '2026-11-30T21:10:00.000Z',
    metrics: computePerformance({ daily, trades: inputs }),
    trades,
    bySymbol: breakdownBy(inputs, (t) => t.symbol),
    byAgent: agentBreakdown({ trades: inputs, initialCapital: 100_000 }).map(agentReportRow),
    curve: [{ label: 'open', equity }, ...trades.map((t) => ({ label: 'x', equity: (equity += t.realizedPnl) }))],
    equitySource: daily.length ? 'derived' : 'none',
    initialCapital: 100_000,
    openTrades: 0,
    activity: null,
  };
}

const DAY_TRADES = [
  reportTrade('AAPL', '2026-11-23', '09:41', '10:12', 180),
  reportTrade('MSFT', '2026-11-23', '10:05', '11:20', -90),
  reportTrade('AAPL', '2026-11-23', '13:00', '15:50', 60),
];

describe('report periods', () => {
  it('picks the period containing the date', () => {
    expect(reportPeriod('daily', '2026-11-23')).toMatchObject({ key: '2026-11-23', from: '2026-11-23', to: '2026-11-23', tradingDays: ['2026-11-23'] });
    // Saturday and Thanksgiving fall back to the trading day before
    expect(reportPeriod('daily', '2026-11-28').key).toBe('2026-11-27');
    expect(reportPeriod('daily', '2026-11-26').key).toBe('2026-11-25');
    const week = reportPeriod('weekly', '2026-11-26');
    expect(week).toMatchObject({ key: '2026-W48', from: '2026-11-23', to: '2026-11-29', tradingDays: ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27'] });
    const month = reportPeriod('monthly', '2026-02-14');
    expect(month).toMatchObject({ key: '2026-02', from: '2026-02-01', to: '2026-02-28', title: 'Monthly report: February 2026' });
    expect(month.tradingDays).toHaveLength(19); // 20 weekdays minus Washington's Birthday (Feb 16)
    expect(() => reportPeriod('daily', '2026-13-01')).toThrow(/invalid date/);
  });
});

describe('report renderers', () => {
  for (const kind of ['daily', 'weekly', 'monthly'] as const) {
    it(`renders a ${kind} report in every format with the right figures`, () => {
      const data = reportData(kind, '2026-11-23', DAY_TRADES);
      const md = renderMarkdown(data);
      // net 180 - 90 + 60 = +150; 2 of 3 won; PF 240 / 90 = 2.67; avg win 120, avg loss -90
      expect(md).toContain(`# ${data.period.title}`);
      expect(md).toMatch(/\| Net P&L \| \+150\.00 \|/);
      expect(md).toMatch(/\| Win rate \| 66\.67% \|/);
      expect(md).toMatch(/\| Profit factor \| 2\.67 \|/);
      expect(md).toMatch(/\| Average win \| \+120\.00 \|/);
      expect(md).toMatch(/\| Average loss \| -90\.00 \|/);
      expect(md).toMatch(/\| Largest win \| \+180\.00 \|/);
      expect(md).toMatch(/\| Average duration \| 1h 32m \|/); // (31 + 75 + 170) / 3 = 92 minutes
      expect(md).toMatch(/\| 1 \| AAPL \| gap-momentum \| LONG \| 100 \| 50\.00 \| 2026-11-23 09:41 \|/);
      expect(md).toMatch(/\| AAPL \| 2 \| 2 \| 0 \| 100\.00% \| \+240\.00 \|/);
      expect(md).toContain('```text');
      expect(md).not.toMatch(/NaN|Infinity|undefined/);

      const html = renderHtml(data);
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).toContain('<svg');
      expect((html.match(/<polyline[^>]*points="([^"]+)"/)![1]!.trim().split(' '))).toHaveLength(4); // opening + 3 trades
      expect(html).toContain('+150.00');
      expect(html).not.toMatch(/NaN|Infinity|undefined/);

      const csv = renderCsv(data);
      const trades = parseCsvRecords(csv.trades);
      expect(trades.map((t) => [t.symbol, Number(t.realized_pnl), Number(t.holding_minutes)])).toEqual([['AAPL', 180, 31], ['MSFT', -90, 75], ['AAPL', 60, 170]]);
      const summary = Object.fromEntries(parseCsv(csv.summary).slice(1));
      expect(summary).toMatchObject({ period: data.period.key, net_pnl: '150', trades: '3', wins: '2', win_rate: String(2 / 3) });
      expect(parseCsvRecords(csv.symbols).map((s) => [s.symbol, s.net_pnl])).toEqual([['AAPL', '240'], ['MSFT', '-90']]);

      const terminal = renderTerminal(data);
      expect(terminal).toContain(data.period.title);
      expect(terminal).toContain('Equity curve');
      expect(terminal).toMatch(/[┼┤╭╮╰╯─│]/);
    });
  }

  it('says so when there is nothing to show, without NaN', () => {
    const data = reportData('daily', '2026-11-23', []);
    for (const text of [renderMarkdown(data), renderHtml(data), renderTerminal(data), ...Object.values(renderCsv(data))]) {
      expect(text).not.toMatch(/NaN|Infinity|undefined/);
    }
    expect(renderMarkdown(data)).toContain('No closed trades in this period.');
    expect(renderHtml(data)).toContain('No equity change to chart');
    expect(parseCsv(renderCsv(data).trades)).toHaveLength(1); // header only
    expect(summaryRows(data).find((r) => r.key === 'win_rate')!.value).toBe('n/a');
  });

  it('attributes P&L to each agent in markdown, HTML and the terminal when several agents traded', () => {
    const data = reportData('daily', '2026-11-23', [
      ...DAY_TRADES, // gap-momentum: +180, -90, +60
      reportTrade('NVDA', '2026-11-23', '09:50', '10:20', -40, 'opening-range-breakout'),
      reportTrade('TSLA', '2026-11-23', '10:00', '11:00', 25, 'opening-range-breakout'),
    ]);
    // gap-momentum: 3 trades, 2 won, +150, PF 240 / 90 = 2.67, avg win +120, avg loss -90, avg held 92 min
    // opening-range-breakout: 2 trades, 1 won, -15, PF 25 / 40 = 0.63, avg win +25, avg loss -40, avg held 45 min
    const md = renderMarkdown(data);
    expect(md).toContain('## By agent');
    expect(md).toMatch(/\| gap-momentum \| 3 \| 2 \| 1 \| 66\.67% \| \+150\.00 \| 2\.67 \| \+120\.00 \| -90\.00 \| 1h 32m \|/);
    expect(md).toMatch(/\| opening-range-breakout \| 2 \| 1 \| 1 \| 50\.00% \| -15\.00 \| 0\.63 \| \+25\.00 \| -40\.00 \| 45m \|/);
    const html = renderHtml(data);
    expect(html).toContain('<h2>By agent</h2>');
    expect(html).toMatch(/<tr><td>gap-momentum<\/td><td class="n">3<\/td><td class="n">2<\/td><td class="n">1<\/td><td class="n">66\.67%<\/td><td class="n pos">\+150\.00<\/td><td class="n">2\.67<\/td>/);
    expect(html).toMatch(/<tr><td>opening-range-breakout<\/td><td class="n">2<\/td>.*<td class="n neg">-15\.00<\/td><td class="n">0\.63<\/td><td class="n">\+25\.00<\/td><td class="n">-40\.00<\/td>/);
    const terminal = renderTerminal(data);
    expect(terminal).toContain('By agent');
    expect(terminal).toMatch(/gap-momentum\s+│\s+3\s+│\s+2\s+│\s+1\s+│\s+66\.67%\s+│\s+\+150\.00\s+│\s+2\.67\s+│\s+\+120\.00\s+│\s+-90\.00/);
    expect(terminal).toMatch(/opening-range-breakout\s+│\s+2\s+│\s+1\s+│\s+1\s+│\s+50\.00%\s+│\s+-15\.00\s+│\s+0\.63\s+│\s+\+25\.00\s+│\s+-40\.00/);
    expect(terminal).toMatch(/NVDA\s+│\s+opening-range-breakout\s+│\s+LONG/); // the trades name their agent too

    // With one agent the table would repeat the summary: none in any format.
    const single = reportData('daily', '2026-11-23', DAY_TRADES);
    expect(renderMarkdown(single)).not.toContain('By agent');
    expect(renderHtml(single)).not.toContain('By agent');
    expect(renderTerminal(single)).not.toContain('By agent');
  });

  it('gives each agent its own max drawdown in every format', () => {
    const data = reportData('weekly', '2026-11-23', [
      reportTrade('AAPL', '2026-11-23', '09:40', '10:10', 200),
      reportTrade('MSFT', '2026-11-23', '10:00', '11:00', -100, 'opening-range-breakout'),
      reportTrade('AAPL', '2026-11-24', '09:45', '10:45', -300),
      reportTrade('NVDA', '2026-11-25', '11:00', '13:00', 500, 'opening-range-breakout'),
    ]);
    // opening-range-breakout alone: 100,000 → 99,900 (Mon) → 100,400 (Wed): -0.10 %
    // gap-momentum alone: 100,200 (Mon) → 99,900 (Tue): -300 / 100,200 = -0.2994 %
    expect(data.byAgent.map((a) => [a.key, a.netProfit])).toEqual([['opening-range-breakout', 400], ['gap-momentum', -100]]);
    expect(data.byAgent[0]!.maxDrawdown).toBeCloseTo(-0.001, 12);
    expect(data.byAgent[1]!.maxDrawdown).toBeCloseTo(-300 / 100_200, 12);
    const md = renderMarkdown(data);
    expect(md).toMatch(/\| Agent \| Trades \| Won \| Lost \| Win rate \| Net P&L \| Profit factor \| Avg win \| Avg loss \| Avg held \| Max drawdown \|/);
    expect(md).toMatch(/\| opening-range-breakout \| 2 \| 1 \| 1 \| 50\.00% \| \+400\.00 \| 5\.00 \| \+500\.00 \| -100\.00 \| 1h 30m \| -0\.10% \|/);
    expect(md).toMatch(/\| gap-momentum \| 2 \| 1 \| 1 \| 50\.00% \| -100\.00 \| 0\.67 \| \+200\.00 \| -300\.00 \| 45m \| -0\.30% \|/);
    expect(renderHtml(data)).toMatch(/<td>gap-momentum<\/td>.*<td class="n">45m<\/td><td class="n">-0\.30%<\/td><\/tr>/);
    expect(renderTerminal(data)).toMatch(/opening-range-breakout\s+│\s+2\s+│.*│\s+1h 30m\s+│\s+-0\.10%/);
  });

  it('shows "no losers" rather than an infinite profit factor, and escapes HTML', () => {
    const data = reportData('daily', '2026-11-23', [reportTrade('A&B', '2026-11-23', '10:00', '10:30', 10, '<script>x</script>')]);
    expect(renderMarkdown(data)).toMatch(/\| Profit factor \| n\/a \(no losers\) \|/);
    const html = renderHtml(data);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('A&amp;B');
  });
});

describe('CSV', () => {
  it('round-trips any table through format and parse', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string(), { minLength: 2, maxLength: 2 }), { maxLength: 20 }), (rows) => {
        expect(parseCsv(formatCsv(['a', 'b'], rows))).toEqual([['a', 'b'], ...rows]);
      }),
    );
    expect(formatCsv(['x'], [['he said "hi", then\nleft']])).toBe('x\r\n"he said ""hi"", then\nleft"\r\n');
    expect(formatCsv(['n'], [[0.1 + 0.2], [null], [Number.NaN]])).toBe('n\r\n0.30000000000000004\r\n\r\n\r\n');
  });
});
