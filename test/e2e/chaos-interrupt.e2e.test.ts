import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cleanEnv } from '../../scripts/harness/clean-env';
import { processesOfPm2Home } from '../../scripts/harness/pm2-home-processes';
import type { ChaosSummary } from '../../scripts/chaos/summary';
import { distFile, makeTempDir, PROJECT_ROOT } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';

interface Pm2Entry { name: string; pid: number; pm2_env: { status: string } }

/** `pm2 jlist` against one PM2_HOME (note: PM2 starts a daemon there to answer if none runs). */
function jlist(pm2Home: string): Pm2Entry[] {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'pm2', 'bin', 'pm2'), 'jlist'], { env: cleanEnv({ PM2_HOME: pm2Home }), encoding: 'utf8', timeout: 30_000 });
  // A daemon it had to start first prints "[PM2] Spawning PM2 daemon..." lines before the JSON.
  const json = result.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('[') && !l.startsWith('[PM2]'));
  if (json === undefined) throw new Error(`pm2 jlist printed no list: ${result.stdout}${result.stderr}`);
  return JSON.parse(json) as Pm2Entry[];
}

function pm2Kill(pm2Home: string): void {
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'pm2', 'bin', 'pm2'), 'kill'], { env: cleanEnv({ PM2_HOME: pm2Home }), timeout: 30_000 });
}

/** A process that still runs (a zombie has exited: it only waits to be reaped). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The chaos CLI with a tiny configuration (one day, one fault) in its own folder. */
function startChaos(dir: string): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [distFile('scripts/chaos.ts'), '--days', '1', '--faults', '1', '--seed', '5', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, stderr: () => stderr, exit };
}

/**
 * Ctrl-C (SIGINT) or SIGTERM of `npm run chaos` stops everything it started: every process of the system and
 * the private PM2 daemon, whether the system was up or still starting; it writes what it has of the summary
 * and exits non-zero.
 */
describe('chaos CLI interrupted', () => {
  const temp = makeTempDir('chaos-interrupt');
  const leftovers: string[] = [];
  afterAll(() => {
    // Whatever a failed assertion left behind, never leave a daemon running.
    for (const home of leftovers) if (fs.existsSync(path.join(home, 'pm2.pid'))) pm2Kill(home);
    temp.cleanup();
  }, 60_000);

  it('SIGINT with the system up: stops every process and the PM2 daemon, writes the summary, exits 130', async () => {
    const dir = path.join(temp.dir, 'sigint');
    const pm2Home = path.join(dir, 'pm2');
    leftovers.push(pm2Home);
    const chaos = startChaos(dir);
    const adminUrl = await waitUntil(() => /gateway admin (http:\/\/127\.0\.0\.1:\d+)/.exec(chaos.stderr())?.[1], 180_000, 'the system started by chaos', 100);
    expect(fs.existsSync(path.join(pm2Home, 'pm2.pid'))).toBe(true);
    expect(((await (await fetch(`${adminUrl}/health`)).json()) as { ok: boolean }).ok).toBe(true);
    const apps = jlist(pm2Home);
    expect(apps.map((a) => a.name)).toEqual(expect.arrayContaining(['day-trader', 'exit-manager', 'reconciler', 'sim-gateway', 'supervisor']));
    const pids = [Number(fs.readFileSync(path.join(pm2Home, 'pm2.pid'), 'utf8')), ...apps.map((a) => a.pid)];
    expect(pids.every(alive)).toBe(true);

    chaos.child.kill('SIGINT');
    expect(await chaos.exit).toBe(130);

    expect(pids.filter(alive)).toEqual([]);
    expect(processesOfPm2Home(pm2Home)).toEqual([]);
    expect(fs.existsSync(path.join(pm2Home, 'pm2.pid'))).toBe(false);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'chaos-summary.json'), 'utf8')) as ChaosSummary;
    expect(summary).toMatchObject({ ok: false, interrupted: 'SIGINT', seed: 5, reproduce: 'npm run chaos -- --seed 5 --days 1 --faults 1' });
    expect(chaos.stderr()).toMatch(/SIGINT: stopping everything this run started/);
    // PM2 itself sees nothing of the system (it starts an empty daemon to answer; stopped right after).
    expect(jlist(pm2Home)).toEqual([]);
    pm2Kill(pm2Home);
  }, 300_000);

  it('SIGTERM to `npm run chaos` (its shell dies without passing the signal on): the orphaned run stops everything and writes its summary', async () => {
    const dir = path.join(temp.dir, 'npm-shell');
    const pm2Home = path.join(dir, 'pm2');
    leftovers.push(pm2Home);
    // What npm runs: `sh -c "npm run build && node dist/scripts/chaos.js ..."`; the shell stays the parent.
    const shell = spawn('/bin/sh', ['-c', `true && "${process.execPath}" "${distFile('scripts/chaos.ts')}" --days 1 --faults 1 --seed 6 --dir "${dir}"`], { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() });
    let stderr = '';
    shell.stderr.on('data', (chunk) => (stderr += chunk));
    await waitUntil(() => /system started/.test(stderr), 180_000, 'the system started by chaos', 100);
    const seen = processesOfPm2Home(pm2Home);
    expect(seen.length).toBeGreaterThanOrEqual(6); // the daemon and (at least) the five apps
    shell.kill('SIGTERM');
    await waitUntil(() => fs.existsSync(path.join(dir, 'chaos-summary.json')) && processesOfPm2Home(pm2Home).length === 0, 60_000, 'the orphaned chaos run to stop its system', 100);
    expect(seen.filter(alive)).toEqual([]);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'chaos-summary.json'), 'utf8')) as ChaosSummary;
    expect(summary).toMatchObject({ ok: false, interrupted: 'parent exited', seed: 6 });
  }, 300_000);

  it('SIGTERM while the system is still starting: nothing of its PM2_HOME survives, exits 143', async () => {
    const dir = path.join(temp.dir, 'sigterm');
    const pm2Home = path.join(dir, 'pm2');
    leftovers.push(pm2Home);
    const chaos = startChaos(dir);
    // The PM2 daemon exists, the start has not finished (no "system started" line yet).
    await waitUntil(() => fs.existsSync(path.join(pm2Home, 'pm2.pid')) && processesOfPm2Home(pm2Home).length > 0, 180_000, 'the PM2 daemon of the chaos run', 20);
    const started = /system started/.test(chaos.stderr());
    const seen = processesOfPm2Home(pm2Home);

    chaos.child.kill('SIGTERM');
    expect(await chaos.exit).toBe(143);

    expect(seen.filter(alive)).toEqual([]);
    expect(processesOfPm2Home(pm2Home)).toEqual([]);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'chaos-summary.json'), 'utf8')) as ChaosSummary;
    expect(summary).toMatchObject({ ok: false, interrupted: 'SIGTERM' });
    // (Which phase the signal hit is a fact of this run, not an assertion: the start takes a few seconds.)
    process.stdout.write(`chaos-interrupt: SIGTERM arrived ${started ? 'after' : 'during'} the start\n`);
  }, 300_000);
});
