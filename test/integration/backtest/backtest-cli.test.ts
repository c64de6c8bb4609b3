import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createSyntheticMarket } from '../../../apps/sim-gateway/market';
import { barsToCsv } from '../../../shared/bars/csv';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { distFile, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';

/**
 * npm run backtest and npm run bars as a user runs them: the compiled CLIs in their own processes, on real
 * SQLite files, with their exit codes, their JSON and the files they write.
 */
interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const temp = makeTempDir('backtest-cli');
afterAll(() => temp.cleanup());
const env = testEnv({
  DB_PATH: path.join(temp.dir, 'trading.db'), REPORTS_DIR: path.join(temp.dir, 'reports'), BARS_DB_PATH: path.join(temp.dir, 'bars.db'),
  BACKTEST_BARS_CACHE: path.join(temp.dir, 'cache'), LOG_CONSOLE: 'false',
});

function cli(script: 'backtest' | 'bars', args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [distFile(`scripts/${script}.ts`), ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = <T = Record<string, unknown>>(r: CliResult): T => {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
};

const SYNTHETIC = ['--bars', 'synthetic:7:30', '--from', '2026-11-16', '--to', '2026-11-24'];

describe('npm run backtest', () => {
  jest.setTimeout(240_000);

  it('runs a backtest, writes the tear sheet and the CSV/JSON files, stores the run, and is byte-for-byte repeatable', async () => {
    const first = json<{ runId: number; resultSha256: string; files: string[]; stats: { bars: number; tradingDays: number }; metrics: { trades: number } }>(await cli('backtest', ['run', ...SYNTHETIC, '--json', '--quiet']));
    const second = json<typeof first>(await cli('backtest', ['run', ...SYNTHETIC, '--json', '--quiet']));
    expect(first.stats).toMatchObject({ tradingDays: 7, bars: 30 * 7 * 960 });
    expect(second.resultSha256).toBe(first.resultSha256);
    expect(fs.readFileSync(first.files.find((f) => f.endsWith('result.json'))!, 'utf8')).toBe(fs.readFileSync(second.files.find((f) => f.endsWith('result.json'))!, 'utf8'));
    const sheet = fs.readFileSync(first.files.find((f) => f.endsWith('tear-sheet.html'))!, 'utf8');
    for (const part of ['Monthly returns', 'Drawdown', 'Trade P&amp;L distribution', 'By strategy', 'aria-label="Equity curve"']) expect(sheet).toContain(part);
    const listed = json<Array<{ id: number; kind: string; resultSha256: string }>>(await cli('backtest', ['list', '--json']));
    expect(listed.slice(0, 2).map((r) => [r.id, r.kind, r.resultSha256])).toEqual([[second.runId, 'run', first.resultSha256], [first.runId, 'run', first.resultSha256]]);
    const shown = json<{ trades: unknown[]; equity: unknown[] }>(await cli('backtest', ['show', String(first.runId), '--json']));
    expect(shown.trades).toHaveLength(first.metrics.trades);
    expect(shown.equity).toHaveLength(7);
  });

  it('says what is wrong with bad input, with an exit code per kind', async () => {
    const unknown = await cli('backtest', ['run', ...SYNTHETIC, '--symbols', 'ZZZZ,QQQQ', '--quiet']);
    expect(unknown).toMatchObject({ code: 65, stderr: expect.stringMatching(/unknown symbols ZZZZ, QQQQ: the bar store .* has no bars for them/) });
    const empty = await cli('backtest', ['run', '--bars', 'synthetic:7:30', '--from', '2026-11-26', '--to', '2026-11-26', '--quiet']);
    expect(empty).toMatchObject({ code: 65, stderr: expect.stringMatching(/no bars between 2026-11-26 and 2026-11-26: the store holds 2026-10-/) });
    const badDay = await cli('backtest', ['run', '--bars', 'synthetic', '--from', '2026-13-01', '--to', '2026-12-01']);
    expect(badDay).toMatchObject({ code: 78, stderr: expect.stringMatching(/--from must be a date YYYY-MM-DD, got "2026-13-01"/) });
    const badParams = await cli('backtest', ['run', ...SYNTHETIC, '--params', '{"gap-momentum":{"minScore":500}}']);
    expect(badParams).toMatchObject({ code: 78, stderr: expect.stringMatching(/strategies\.params\.gap-momentum\.minScore\) = 500/) });
    // Every problem at once, found before any bars are read or generated.
    const many = await cli('backtest', ['run', '--bars', 'synthetic', '--from', '2026-12-01', '--to', '2026-11-01', '--participation', '2', '--set', 'risk.maxOpenPosition=2', '--params', '{"gap-momentum":{"minScore":500}}']);
    expect(many).toMatchObject({ code: 78, stderr: expect.stringMatching(/4 problems[^]*--from 2026-12-01 is after --to 2026-11-01[^]*--participation[^]*risk\.maxOpenPosition: the configuration has no such value[^]*minScore\) = 500/) });
    const noCommand = await cli('backtest', ['fly']);
    expect(noCommand.code).toBe(78);
    const help = await cli('backtest', ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'optimize', 'walk-forward', 'parity', 'list', 'show', 'strategies']) expect(help.stdout).toContain(command);
    expect((await cli('backtest', ['run', '--help'])).stdout).toMatch(/--participation/);
  });

  it('backtests CSV bars in the shared schema, and names the file and line of a broken one', async () => {
    const model = createSyntheticMarket({ seed: 3, universeSize: 30 });
    const dir = path.join(temp.dir, 'csv');
    fs.mkdirSync(dir);
    const days = ['2026-11-19', '2026-11-20', '2026-11-23', '2026-11-24'];
    for (const info of model.universe.slice(0, 8)) {
      const bars = days.flatMap((d) => model.minuteBars(info.symbol, d).filter((b) => b.startMs >= newYorkTime(d, '09:30') && b.startMs < newYorkTime(d, '16:00')));
      fs.writeFileSync(path.join(dir, `${info.symbol}.csv`), barsToCsv(bars));
    }
    const run = json<{ stats: { tradingDays: number; symbols: number } }>(await cli('backtest', ['run', '--bars', dir, '--from', '2026-11-20', '--to', '2026-11-24', '--json', '--quiet', '--strategies', 'opening-range-breakout']));
    expect(run.stats).toMatchObject({ tradingDays: 3, symbols: 8 });
    const broken = path.join(temp.dir, 'broken');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'ABC.csv'), 'time,open,high,low,close,volume\n2026-11-24T09:30:00-05:00,10,10.5,9.9,10.2,100\n2026-11-24T09:31:00-05:00,10,9.5,9.9,10.2,100\n');
    expect(await cli('backtest', ['run', '--bars', broken, '--quiet'])).toMatchObject({ code: 65, stderr: expect.stringMatching(/ABC\.csv:3: OHLC is inconsistent \(open 10, high 9\.5, low 9\.9, close 10\.2\)/) });
  });

  it('optimises a grid on worker threads, ranks by the objective with a minimum of trades, and draws a heatmap', async () => {
    const result = json<{ points: number; workers: number; top: Array<{ point: Record<string, number>; objective: number | null }>; heatmap: { xs: number[]; ys: number[]; values: unknown[][] }; files: string[]; best: unknown }>(
      await cli('backtest', ['optimize', ...SYNTHETIC, '--param', 'minScore=40,55', '--param', 'stopLossPct=0.5,1', '--objective', 'net-pnl', '--min-trades', '1', '--workers', '2', '--json', '--quiet']));
    expect(result.points).toBe(4);
    expect(result.workers).toBe(2);
    expect(result.heatmap).toMatchObject({ xs: [40, 55], ys: [0.5, 1] });
    const ranked = result.top.filter((t) => t.objective !== null).map((t) => t.objective!);
    expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
    expect(fs.readFileSync(result.files.find((f) => f.endsWith('heatmap.html'))!, 'utf8')).toContain('<svg');
    // The same point through `run` gives the same figure (one code path, whatever the thread).
    const best = result.top[0]!;
    const single = json<{ metrics: { netPnl: number } }>(await cli('backtest', ['run', ...SYNTHETIC, '--params', JSON.stringify({ 'gap-momentum': best.point }), '--json', '--quiet', '--no-save']));
    expect(single.metrics.netPnl).toBeCloseTo(best.objective!, 6);
    // Stored with its strategies like a run, so `list` shows it (it once stored the configuration's object and list failed).
    const stored = json<Array<{ kind: string; strategies: Array<{ agent: string; params: Record<string, unknown> }> }>>(await cli('backtest', ['list', '--json']));
    expect(stored.find((r) => r.kind === 'optimize')!.strategies).toEqual([expect.objectContaining({ agent: 'gap-momentum', params: expect.objectContaining({ minScore: 55 }) })]);
    const listed = await cli('backtest', ['list']);
    expect(listed).toMatchObject({ code: 0, stdout: expect.stringMatching(/optimize .* gap-momentum/) });
    const random = await cli('backtest', ['optimize', ...SYNTHETIC, '--param', 'minScore=40:70', '--random', '3', '--seed', '99', '--min-trades', '0', '--workers', '1', '--json', '--quiet', '--no-save']);
    expect(random.stderr).toMatch(/random search: 3 points, seed 99/);
    const again = await cli('backtest', ['optimize', ...SYNTHETIC, '--param', 'minScore=40:70', '--random', '3', '--seed', '99', '--min-trades', '0', '--workers', '2', '--json', '--quiet', '--no-save']);
    expect(json<{ top: unknown[] }>(again).top).toEqual(json<{ top: unknown[] }>(random).top);
  });

  it('walks forward: in-sample optimisation, out-of-sample tests, stitched equity and parameter stability', async () => {
    const result = json<{ windows: Array<{ inSample: string[]; outOfSample: string[]; chosen: Record<string, number> }>; stability: Array<{ parameter: string; values: unknown[] }>; outOfSample: { trades: number }; files: string[] }>(
      await cli('backtest', ['walk-forward', '--bars', 'synthetic:7:30', '--from', '2026-11-09', '--to', '2026-11-24', '--in-sample', '4', '--out-of-sample', '3',
        '--param', 'minScore=40,60', '--objective', 'net-pnl', '--min-trades', '0', '--workers', '2', '--json', '--quiet']));
    // 11 trading days: windows at 0, 3 and 6; each test follows its own in-sample days without overlap.
    expect(result.windows.map((w) => [w.inSample, w.outOfSample])).toEqual([
      [['2026-11-09', '2026-11-12'], ['2026-11-13', '2026-11-17']],
      [['2026-11-12', '2026-11-17'], ['2026-11-18', '2026-11-20']],
      [['2026-11-17', '2026-11-20'], ['2026-11-23', '2026-11-24']],
    ]);
    expect(result.stability).toEqual([expect.objectContaining({ parameter: 'minScore', values: result.windows.map((w) => w.chosen.minScore) })]);
    const equity = fs.readFileSync(result.files.find((f) => f.endsWith('oos-equity.csv'))!, 'utf8').trim().split('\n').slice(1);
    expect(equity.map((l) => l.split(',')[0])).toEqual(['2026-11-13', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-23', '2026-11-24']);
    // Stitched: each window starts with the equity the one before ended with.
    const rows = equity.map((l) => l.split(',').map(Number));
    for (let i = 1; i < rows.length; i++) expect(rows[i]![1]).toBeCloseTo(rows[i - 1]![2]!, 6);
  });

  it('lists the strategies with their parameters', async () => {
    const list = json<Array<{ name: string; defaults: Record<string, unknown> }>>(await cli('backtest', ['strategies', '--json']));
    expect(list.map((s) => s.name)).toEqual(['gap-momentum', 'opening-range-breakout']);
    expect(list[1]!.defaults).toMatchObject({ rangeMinutes: 15, rewardRisk: 2 });
  });
});

describe('npm run bars', () => {
  jest.setTimeout(120_000);

  it('imports the synthetic market and CSV files, lists them, and refuses bad ranges and symbols', async () => {
    const imported = json<{ written: number }>(await cli('bars', ['import', '--synthetic', '--seed', '5', '--universe', '30', '--from', '2026-11-23', '--to', '2026-11-27', '--json', '--quiet']));
    expect(imported.written).toBe(30 * 4); // Thanksgiving (26th) has no bars
    const listed = json<{ symbols: Array<{ days: number; bars: number }> }>(await cli('bars', ['list', '--json']));
    expect(listed.symbols).toHaveLength(30);
    expect(listed.symbols[0]).toMatchObject({ days: 4, bars: 3 * 960 + 780 }); // the 27th closes at 13:00 (after-hours to 17:00)
    expect(await cli('bars', ['import', '--synthetic', '--from', '2026-11-26', '--to', '2026-11-26'])).toMatchObject({ code: 65, stderr: expect.stringMatching(/no NYSE trading day between 2026-11-26 and 2026-11-26/) });
    expect(await cli('bars', ['import', '--synthetic', '--from', '2026-11-23', '--to', '2026-11-24', '--symbols', 'NOPE'])).toMatchObject({ code: 65, stderr: expect.stringMatching(/unknown symbol NOPE/) });
    expect(await cli('bars', ['import'])).toMatchObject({ code: 78, stderr: expect.stringMatching(/say what to import/) });
    // Every flag problem at once, before anything is generated.
    const flags = await cli('bars', ['import', '--synthetic', '--from', '2026-11-27', '--to', '2026-11-23', '--universe', '5']);
    expect(flags).toMatchObject({ code: 78, stderr: expect.stringMatching(/2 problems[^]*--from 2026-11-27 is after --to 2026-11-23[^]*--universe must be a whole number of at least 30/) });
    const download = await cli('bars', ['download', '--symbols', 'AAPL,B@D', '--from', '2026-11-2', '--max-requests', '0']);
    expect(download).toMatchObject({ code: 78, stderr: expect.stringMatching(/not a ticker: B@D[^]*--from must be a date[^]*--from and --to are required[^]*--max-requests must be at least 1/) });
    // A store that does not exist yet is empty, not an error.
    expect(json<{ symbols: unknown[] }>(await cli('bars', ['list', '--json', '--store', path.join(temp.dir, 'not-yet.db')])).symbols).toEqual([]);
  });
});
