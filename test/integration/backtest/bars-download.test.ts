import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSyntheticMarket } from '../../../apps/sim-gateway/market';
import { BarStore } from '../../../shared/db/bar-store/bar-store-repository';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { distFile, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';
import { waitUntil } from '../../helpers/wait-until';

/**
 * `npm run bars -- download` against a real sim-gateway process on its realistic profile, which paces
 * historical data like IB (60 requests per 10 minutes, identical requests within 15 s and 6 for one contract
 * within 2 s refused with 162, in market time): the download is given a budget above IB's so the gateway
 * refuses it (a pacing violation), backs off a whole window and finishes; a second run resumes; a run killed
 * half-way is finished by the next one, which asks only for what is missing.
 */
describe('npm run bars -- download against the simulator', () => {
  jest.setTimeout(240_000);
  const temp = makeTempDir('bars-download');
  let sim: SimGatewayProcess;
  const SEED = 7;
  const model = createSyntheticMarket({ seed: SEED, universeSize: 40 });
  const symbols = model.universe.slice(0, 3).map((u) => u.symbol);

  beforeAll(async () => {
    // 60x: IB's ten-minute pacing window passes in ten real seconds; 75 requests fit easily inside one.
    sim = await startSimGateway({ dir: temp.dir, speed: 60, seed: SEED, startDay: '2026-11-23', extraEnv: { SIM_PROFILE: 'realistic' } });
  });
  afterAll(async () => {
    await sim.stop();
    temp.cleanup();
  });

  function download(store: string, args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, [distFile('scripts/bars.ts'), 'download', '--store', store, ...args], {
      env: testEnv({ ...sim.env, IB_PORT: String(sim.port), CLIENT_ID_BARS: '41', LOG_CONSOLE: 'false' }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr }))) };
  }

  const storedDays = (file: string) => {
    try {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT COUNT(*) FROM bar_days').pluck().get() as number;
      } finally {
        db.close();
      }
    } catch {
      return 0;
    }
  };

  it('stores every symbol-day exactly as the gateway has them, through a pacing violation, and resumes without asking again', async () => {
    const store = path.join(temp.dir, 'bars.db');
    // 3 symbols x 25 trading days = 75 requests: more than IB's 60 per 10 minutes.
    const args = ['--symbols', symbols.join(','), '--from', '2026-10-19', '--to', '2026-11-20', '--max-requests', '100', '--window-s', '600', '--json', '--quiet'];
    const first = await download(store, args).done;
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as { stored: number; requests: number; pacingViolations: number; failed: unknown[] };
    expect(summary).toMatchObject({ stored: 75, failed: [] });
    expect(summary.pacingViolations).toBeGreaterThanOrEqual(1);
    expect(summary.requests).toBe(75 + summary.pacingViolations);
    const bars = BarStore.open(store, { readonly: true });
    try {
      for (const symbol of symbols) {
        for (const day of ['2026-10-19', '2026-11-05', '2026-11-20']) {
          const stored = bars.getDay(symbol, day)!;
          const expected = model.minuteBars(symbol, day);
          expect(stored.length).toBe(expected.length);
          expect(Array.from(stored.close)).toEqual(expected.map((b) => b.close));
          expect(Array.from(stored.volume)).toEqual(expected.map((b) => b.volume));
          expect(Array.from(stored.startMs)).toEqual(expected.map((b) => b.startMs));
        }
      }
    } finally {
      bars.close();
    }
    const again = JSON.parse((await download(store, args).done).stdout) as { stored: number; skipped: number; requests: number };
    expect(again).toMatchObject({ stored: 0, skipped: 75, requests: 0 });
  });

  it('finishes a download that was killed half-way, asking only for the missing days', async () => {
    const store = path.join(temp.dir, 'killed.db');
    const args = ['--symbols', symbols.join(','), '--from', '2026-09-21', '--to', '2026-10-16', '--json', '--quiet'];
    const run = download(store, args);
    await waitUntil(() => storedDays(store) >= 20, 120_000, '20 symbol-days stored');
    run.child.kill('SIGKILL');
    await run.done;
    const before = storedDays(store);
    expect(before).toBeLessThan(60);
    const finish = JSON.parse((await download(store, args).done).stdout) as { stored: number; skipped: number; requests: number; failed: unknown[] };
    expect(finish.skipped).toBe(before);
    expect(finish.stored).toBe(60 - before);
    expect(finish.failed).toEqual([]);
    expect(storedDays(store)).toBe(60);
  });

  it('refuses days that are not over yet in the gateway\'s market time', async () => {
    const result = await download(path.join(temp.dir, 'future.db'), ['--symbols', symbols[0]!, '--from', '2026-11-20', '--to', '2026-12-04']).done;
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/2026-11-23 and \d+ more day\(s\) not over yet in the gateway's market time/);
  });
});
