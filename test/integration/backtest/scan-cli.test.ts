import { spawn } from 'node:child_process';
import path from 'node:path';
import { createSyntheticMarket } from '../../../apps/sim-gateway/market';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { distFile, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';

/**
 * `npm run scan`: one scan through a real sim-gateway with the day-trader's own measuring code: candidates,
 * metrics, scores and what would be entered, for each configured strategy, and nothing placed.
 */
describe('npm run scan against the simulator', () => {
  jest.setTimeout(120_000);
  const temp = makeTempDir('scan-cli');
  let sim: SimGatewayProcess;

  beforeAll(async () => {
    sim = await startSimGateway({ dir: temp.dir, speed: 60, startDay: '2026-11-24', dayStart: '10:30', extraEnv: { SIM_PROFILE: 'ideal' } });
  });
  afterAll(async () => {
    await sim.stop();
    temp.cleanup();
  });

  const scan = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [distFile('scripts/scan.ts'), ...args], {
      env: testEnv({ ...sim.env, IB_PORT: String(sim.port), DB_PATH: path.join(temp.dir, 'none.db'), STRATEGIES: 'gap-momentum,opening-range-breakout', LOG_CONSOLE: 'false' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

  it('scores the scanners\' candidates with every strategy and says what it would enter, placing nothing', async () => {
    const result = await scan(['--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { scans: Array<{ agent: string; candidates: number; guards: string[]; rows: Array<{ symbol: string; score: number; verdict: string; reason: string; metrics: Record<string, unknown>; order?: { quantity: number; stopLossPrice: number } }> }> };
    expect(report.scans.map((s) => s.agent)).toEqual(['gap-momentum', 'opening-range-breakout']);
    const gm = report.scans[0]!;
    expect(gm.candidates).toBeGreaterThan(10);
    // Measured by the day-trader's code on the gateway's data: RSI, ATR, gap, relative volume, spread.
    expect(gm.rows.filter((r) => typeof r.metrics.rsi === 'number' && typeof r.metrics.spreadPct === 'number').length).toBeGreaterThan(5);
    expect(gm.rows.map((r) => r.score)).toEqual([...gm.rows.map((r) => r.score)].sort((a, b) => b - a));
    for (const row of gm.rows) expect(row.verdict === 'ENTER' ? row.order!.quantity > 0 : row.reason.length > 0).toBe(true);
    // No bots run: the live guards say so.
    expect(gm.guards).toContain('exit_manager_never_started');
    const state = await sim.admin<{ orders: unknown[] }>('GET /state');
    expect(state.orders).toEqual([]);
  });

  it('measures given symbols with one named strategy, as a table', async () => {
    const state = await sim.admin<{ positions: unknown[] }>('GET /state');
    expect(state.positions).toEqual([]);
    const [first, second] = createSyntheticMarket({ seed: 7, universeSize: 40 }).universe.map((u) => u.symbol);
    const result = await scan(['--strategy', 'gap-momentum', '--symbols', `${first},${second}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/gap-momentum \(gap-momentum\) at 2026-11-24/);
    expect(result.stdout).toContain(first);
    expect(result.stdout).toMatch(/2 candidates/);
    expect(result.stdout).toMatch(/Nothing was placed/);
    expect(result.stdout).not.toMatch(/opening-range-breakout/);
  });

  it('refuses bad flags and an unknown strategy together, before asking the gateway', async () => {
    const result = await scan(['--strategy', 'no-such-strategy', '--symbols', 'AAPL,B@D']);
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/2 problems[^]*--symbols: not a ticker: B@D[^]*no strategy "no-such-strategy"/);
    expect(result.stdout).toBe('');
  });
});
