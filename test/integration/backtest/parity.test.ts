import { spawn } from 'node:child_process';
import path from 'node:path';
import { distFile, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';

/**
 * A short parity run: the whole system under a private PM2 (sim-gateway on the ideal profile, exit-manager,
 * day-trader, reconciler, supervisor, dashboard, notifier; scripts/harness/system-harness.ts) plays one
 * simulated session, then the backtest runs on the same bars with the same configuration, and the trades are
 * compared. The session is the early close after Thanksgiving (13:00), flattened two hours before it, at 20x:
 * about five real minutes. The README shows the figures of the last `npm run backtest -- parity` run.
 */
describe('npm run backtest -- parity (one short session)', () => {
  jest.setTimeout(20 * 60_000);
  const temp = makeTempDir('parity');
  afterAll(() => temp.cleanup());

  it('takes the same trades live and in the backtest, and explains any difference', async () => {
    const args = [
      'parity', '--days', '1', '--speed', '20', '--start-day', '2026-11-27', '--day-end', '11:05', '--scan-times', '09:35,10:00,10:20',
      '--set', 'EOD_FLATTEN_MINUTES=120', '--set', 'ENTRY_CUTOFF_MINUTES=150', '--dir', path.join(temp.dir, 'system'), '--no-save', '--json', '--quiet',
    ];
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [distFile('scripts/backtest.ts'), ...args], { env: testEnv({ DB_PATH: path.join(temp.dir, 'caller.db'), LOG_CONSOLE: 'false' }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    if (result.code !== 0 && result.code !== 1) throw new Error(`parity failed to run (${result.code}):\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as {
      passed: boolean; liveTrades: number; backtestTrades: number; matched: number; matchedShare: number; livePnl: number; backtestPnl: number; pnlDifferenceShare: number | null;
      unmatched: Array<{ side: string; why: string; trade: { symbol: string }; counterpart?: { symbol: string } }>; pairs: Array<{ live: { entryPrice: number }; backtest: { entryPrice: number } }>;
    };
    process.stderr.write(`parity (one short session): ${report.matched} of ${report.liveTrades} live / ${report.backtestTrades} backtest trades matched, P&L ${report.livePnl} live vs ${report.backtestPnl} backtest\n`
      + report.unmatched.map((u) => `  unmatched ${u.side} ${u.trade.symbol}: ${u.why}\n`).join(''));
    expect(report.liveTrades).toBeGreaterThan(0);
    expect(report.backtestTrades).toBeGreaterThan(0);
    // Both sides pick from the same candidates with the same rules: they trade stocks in common, even when a
    // late live scan on a busy machine puts an entry in another minute (then the pair is unmatched, and says so).
    // (An unmatched live trade's `counterpart` is the backtest's trade of the same stock that day.)
    expect(report.matched > 0 || report.unmatched.some((u) => u.side === 'live_only' && u.counterpart !== undefined)).toBe(true);
    // Every trade without a twin says why (the other side's signal, or what differed).
    for (const u of report.unmatched) expect(u.why.length).toBeGreaterThan(10);
    // Matched trades were bought within the same minute: their prices differ by cents at most.
    for (const p of report.pairs) expect(Math.abs(p.live.entryPrice - p.backtest.entryPrice) / p.live.entryPrice).toBeLessThan(0.01);
    // How many of the few trades of one short session match depends on the compressed clock on a shared
    // machine (an entry a few market seconds later takes another price or misses the scan's minute); the
    // share and the P&L difference are figures of the full `npm run backtest -- parity` runs in the README,
    // not of this test, which proves the machinery: both sides trade, pair up, and explain every difference.
  });
});
