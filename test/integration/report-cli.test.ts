import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseCsvRecords } from '../../shared/analytics/report';
import { openDatabase } from '../../shared/db';
import { DailySummaryRepository, TradeHistoryRepository } from '../../shared/history';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';

/** Runs the compiled CLIs (what `npm run report` / `npm run stats` run) against a temporary DB. */
describe('report, stats and journal command lines', () => {
  const temp = makeTempDir('report-cli');
  const dbPath = path.join(temp.dir, 'trading.db');
  const reportsDir = path.join(temp.dir, 'reports');
  const env: NodeJS.ProcessEnv = testEnv({
    DB_PATH: dbPath, REPORTS_DIR: reportsDir, SIM_CLOCK_FILE: path.join(temp.dir, 'sim-clock.json'), LOG_CONSOLE: 'false',
  });
  // Options of the report CLIs themselves (not config variables): a developer's value would change the figures.
  delete env.INITIAL_CAPITAL;
  delete env.RISK_FREE_RATE;

  const GAP = 'gap-momentum';
  const ORB = 'opening-range-breakout';
  const run = (script: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [distFile(script), ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 });

  beforeAll(() => {
    const db = openDatabase(dbPath);
    const clock = new ManualClock(newYorkTime('2026-11-30', '17:00'));
    const history = new TradeHistoryRepository(db, clock);
    // Two strategies share the account: gap-momentum (AAPL) and opening-range-breakout (MSFT, NVDA).
    const trades: Array<[string, string, string, string, string, string, number, number]> = [
      ['A1', 'AAPL', GAP, '2026-11-23', '09:40', '10:10', 100, 102], // +200
      ['M1', 'MSFT', ORB, '2026-11-23', '10:00', '11:00', 200, 199], // -100
      ['A2', 'AAPL', GAP, '2026-11-24', '09:45', '10:45', 100, 97], // -300
      ['N1', 'NVDA', ORB, '2026-11-25', '11:00', '13:00', 50, 55], // +500
      ['A3', 'AAPL', GAP, '2026-12-01', '09:50', '10:20', 100, 100.5], // +50
    ];
    for (const [id, symbol, agentName, day, entry, exit, entryPrice, exitPrice] of trades) {
      history.recordTrade({ positionId: id, symbol, agentName, quantity: 100, entryPrice, entryTimeMs: newYorkTime(day, entry), source: 'bot' });
      history.closeTrade(id, { exitPrice, exitTimeMs: newYorkTime(day, exit), exitReason: exitPrice > entryPrice ? 'PROFIT_TARGET' : 'STOP_LOSS' });
    }
    new DailySummaryRepository(db, clock).recomputeDay('2026-11-23');
    db.close();
  });
  afterAll(() => temp.cleanup());

  it.each([
    ['daily', '2026-11-23', '2026-11-23', '+100.00'],
    ['weekly', '2026-11-26', '2026-W48', '+300.00'],
    ['monthly', '2026-11-10', '2026-11', '+300.00'],
  ])('writes the %s report in md, csv and html', (period, date, key, netPnl) => {
    const result = run('scripts/report.ts', ['--period', period, '--date', date, '--format', 'md', '--format', 'csv,html']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Equity curve');
    expect(result.stdout).toContain(`${period}/${key}.md`);
    const base = path.join(reportsDir, period, key);
    const md = fs.readFileSync(`${base}.md`, 'utf8');
    expect(md).toMatch(new RegExp(`\\| Net P&L \\| \\${netPnl} \\|`));
    expect(md).not.toMatch(/NaN|Infinity/);
    const html = fs.readFileSync(`${base}.html`, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain(netPnl);
    const trades = parseCsvRecords(fs.readFileSync(`${base}.csv`, 'utf8'));
    expect(trades.reduce((sum, t) => sum + Number(t.realized_pnl), 0)).toBeCloseTo(Number(netPnl), 9);
    expect(fs.existsSync(`${base}.summary.csv`) && fs.existsSync(`${base}.symbols.csv`)).toBe(true);
  });

  it('prints the headline metrics as JSON without NaN, for all history and for a range', () => {
    const all = run('scripts/stats.ts', ['--json']);
    expect(all.status).toBe(0);
    expect(all.stdout).not.toMatch(/NaN|Infinity/);
    const { metrics } = JSON.parse(all.stdout);
    // 100,000 → +350 over 11-23 .. 12-01 (Thanksgiving closed): 6 trading days
    expect(metrics).toMatchObject({ firstDay: '2026-11-23', lastDay: '2026-12-01', tradingDays: 6 });
    expect(metrics.trades).toMatchObject({ trades: 5, wins: 3, losses: 2, netProfit: 350 });
    expect(metrics.totalReturn).toBeCloseTo(0.0035, 12);
    expect(typeof metrics.sharpeRatio).toBe('number');
    const range = JSON.parse(run('scripts/stats.ts', ['--json', '--from', '2026-11-24', '--to', '2026-11-24']).stdout);
    expect(range.metrics.trades).toMatchObject({ trades: 1, netProfit: -300, profitFactor: 0 });
    expect(range.metrics.sharpeRatio).toBeNull(); // one day
    const table = run('scripts/stats.ts', ['--symbol', 'AAPL']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/Closed trades\s+│\s+3 \(2 won, 1 lost, 0 even\)/);
  });

  it('attributes P&L to each agent in stats, as JSON and as a table', () => {
    const all = run('scripts/stats.ts', ['--json']);
    expect(all.status).toBe(0);
    const { byAgent, metrics } = JSON.parse(all.stdout);
    // gap-momentum: +200 -300 +50; opening-range-breakout: -100 +500; best net P&L first
    expect(byAgent.map((a: { agent: string }) => a.agent)).toEqual([ORB, GAP]);
    const [orb, gap] = byAgent;
    expect(orb).toMatchObject({ trades: 2, wins: 1, losses: 1, winRate: 0.5, netProfit: 400, profitFactor: 5, averageWin: 500, averageLoss: -100 });
    expect(orb.maxDrawdown).toBeCloseTo(-0.001, 12); // 100,000 → 99,900 on 11-23
    expect(gap).toMatchObject({ trades: 3, wins: 2, losses: 1, netProfit: -50, averageWin: 125, averageLoss: -300 });
    expect(gap.winRate).toBeCloseTo(2 / 3, 12);
    expect(gap.profitFactor).toBeCloseTo(250 / 300, 12);
    expect(gap.maxDrawdown).toBeCloseTo(-300 / 100_200, 12); // 100,200 on 11-23 → 99,900 on 11-24
    expect(orb.netProfit + gap.netProfit).toBe(metrics.trades.netProfit);
    // The row of an agent is what --agent says of it.
    const gapOnly = JSON.parse(run('scripts/stats.ts', ['--json', '--agent', GAP]).stdout);
    expect(gapOnly.byAgent).toEqual([gap]);
    expect(gapOnly.metrics.maxDrawdown).toBeCloseTo(gap.maxDrawdown, 12);
    expect(gapOnly.metrics.trades).toMatchObject({ trades: 3, netProfit: -50 });
    // A range keeps the equity an agent built before it: 11-24 starts at 100,200 for gap-momentum.
    const range = JSON.parse(run('scripts/stats.ts', ['--json', '--from', '2026-11-24', '--to', '2026-11-24']).stdout);
    expect(range.byAgent).toHaveLength(1);
    expect(range.byAgent[0]).toMatchObject({ agent: GAP, trades: 1, netProfit: -300 });
    expect(range.byAgent[0].maxDrawdown).toBeCloseTo(-300 / 100_200, 12);

    const table = run('scripts/stats.ts', []);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain('By agent');
    expect(table.stdout).toMatch(/opening-range-breakout\s+│\s+2\s+│\s+1\s+│\s+1\s+│\s+50\.00%\s+│\s+\+400\.00\s+│\s+5\.00\s+│\s+\+500\.00\s+│\s+-100\.00\s+│\s+-0\.10%/);
    expect(table.stdout).toMatch(/gap-momentum\s+│\s+3\s+│\s+2\s+│\s+1\s+│\s+66\.67%\s+│\s+-50\.00\s+│\s+0\.83\s+│\s+\+125\.00\s+│\s+-300\.00\s+│\s+-0\.30%/);
    expect(run('scripts/stats.ts', ['--symbol', 'NVDA']).stdout).toContain('All 1 closed trade(s) by agent opening-range-breakout.');
  });

  it('attributes P&L to each agent in the markdown, HTML and terminal reports', () => {
    const result = run('scripts/report.ts', ['--period', 'weekly', '--date', '2026-11-24', '--format', 'md,html,csv']);
    expect(result.status).toBe(0);
    // Week 48: gap-momentum +200 -300 = -100 (1 of 2 won), opening-range-breakout -100 +500 = +400 (1 of 2 won)
    expect(result.stdout).toContain('By agent');
    expect(result.stdout).toMatch(/opening-range-breakout\s+│\s+2\s+│\s+1\s+│\s+1\s+│\s+50\.00%\s+│\s+\+400\.00\s+│\s+5\.00/);
    expect(result.stdout).toMatch(/gap-momentum\s+│\s+2\s+│\s+1\s+│\s+1\s+│\s+50\.00%\s+│\s+-100\.00\s+│\s+0\.67/);
    const base = path.join(reportsDir, 'weekly', '2026-W48');
    const md = fs.readFileSync(`${base}.md`, 'utf8');
    expect(md).toMatch(/\| opening-range-breakout \| 2 \| 1 \| 1 \| 50\.00% \| \+400\.00 \| 5\.00 \| \+500\.00 \| -100\.00 \|/);
    expect(md).toMatch(/\| gap-momentum \| 2 \| 1 \| 1 \| 50\.00% \| -100\.00 \| 0\.67 \| \+200\.00 \| -300\.00 \|/);
    const html = fs.readFileSync(`${base}.html`, 'utf8');
    expect(html).toContain('<h2>By agent</h2>');
    expect(html).toMatch(/<td>opening-range-breakout<\/td><td class="n">2<\/td>.*<td class="n pos">\+400\.00<\/td>/);
    expect(html).toMatch(/<td>gap-momentum<\/td><td class="n">2<\/td>.*<td class="n neg">-100\.00<\/td>/);
    // Every trade row carries its agent, so a spreadsheet can total them the same way.
    const byAgent = new Map<string, number>();
    for (const t of parseCsvRecords(fs.readFileSync(`${base}.csv`, 'utf8'))) byAgent.set(t.agent_name!, (byAgent.get(t.agent_name!) ?? 0) + Number(t.realized_pnl));
    expect(Object.fromEntries(byAgent)).toEqual({ [GAP]: -100, [ORB]: 400 });
  });

  it('explains a missing database instead of printing a stack trace', () => {
    for (const script of ['scripts/report.ts', 'scripts/stats.ts']) {
      const result = run(script, [], { DB_PATH: path.join(temp.dir, 'nowhere', 'missing.db') });
      expect(result.status).toBe(78);
      expect(result.stderr).toMatch(/no database at .*missing\.db/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(path.join(temp.dir, 'nowhere'))).toBe(false);
    }
  });

  it('rejects bad flags with a message', () => {
    const badFormat = run('scripts/report.ts', ['--format', 'pdf']);
    expect(badFormat.status).not.toBe(0);
    expect(badFormat.stderr).toMatch(/--format must be md, csv, html or all/);
    const badDate = run('scripts/stats.ts', ['--from', '2026-1-1']);
    expect(badDate.status).toBe(78);
    expect(badDate.stderr).toMatch(/--from must be a date YYYY-MM-DD/);
  });

  it('imports a journal and exports the history through the journal command', () => {
    const journalDb = path.join(temp.dir, 'journal.db');
    const file = path.join(temp.dir, 'journal.json');
    fs.writeFileSync(file, JSON.stringify({ trades: [{ symbol: 'IBM', side: 'LONG', quantity: 10, entryPrice: 100, entryTime: '2026-11-23T10:00:00-05:00', exitPrice: 101, exitTime: '2026-11-23T11:00:00-05:00' }] }));
    const first = run('scripts/report/journal.ts', ['import', file], { DB_PATH: journalDb });
    expect(first.stdout).toContain('imported 1 new trade(s)');
    expect(run('scripts/report/journal.ts', ['import', file], { DB_PATH: journalDb }).stdout).toContain('imported 0 new trade(s), closed 0, 1 already present');
    const csv = run('scripts/report/journal.ts', ['export', '--format', 'csv'], { DB_PATH: journalDb });
    expect(parseCsvRecords(csv.stdout).map((r) => [r.symbol, r.realized_pnl, r.source])).toEqual([['IBM', '10', 'import']]);
    fs.writeFileSync(file, JSON.stringify({ trades: [{ symbol: 'IBM', side: 'LONG', quantity: -1 }] }));
    const bad = run('scripts/report/journal.ts', ['import', file], { DB_PATH: journalDb });
    expect(bad.status).toBe(78);
    expect(bad.stderr).toMatch(/trades\[0\]\.quantity/);
    expect(bad.stderr).toMatch(/trades\[0\]\.entryPrice/);
  });
});
