import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isOwnerAlive } from '../../scripts/harness/owner-liveness';
import { processesOfPm2Home } from '../../scripts/harness/pm2-home-processes';
import { reapPm2Home } from '../../scripts/harness/reap-pm2-home';
import { spawnHarnessWatchdog } from '../../scripts/harness/spawn-watchdog';
import { PROJECT_ROOT, distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

const PM2_BIN = path.join(PROJECT_ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/** Gone for good: no such pid, or a zombie (the watchdog's new parent may be slow to collect it). */
const isGone = (pid: number) => !isOwnerAlive(pid, undefined);

const readLog = (dir: string) => fs.readFileSync(path.join(dir, 'harness-watchdog.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** The events logged so far: complete lines only (the watchdog may be writing one right now). */
function logEvents(dir: string): string[] {
  const file = path.join(dir, 'harness-watchdog.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').slice(0, -1).map((l) => (JSON.parse(l) as { event: string }).event);
}

/**
 * The harness watchdog against a real PM2 daemon on a temporary PM2_HOME: a child process plays the test
 * run that owns a system (it starts the watchdog the way SystemHarness.launch() does, from dist/), and is
 * SIGKILLed, as jest is when a CI job is cancelled. Without the watchdog the daemon and its app would run
 * forever, so the wait below would time out.
 */
describe('harness watchdog', () => {
  const temp = makeTempDir('harness-reaper');
  const pm2Home = path.join(temp.dir, 'pm2');
  const started: ChildProcess[] = [];

  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // If the watchdog failed, do its job here so the failure does not leave a daemon behind.
    if (processesOfPm2Home(pm2Home).length > 0) reapPm2Home(pm2Home, PROJECT_ROOT);
    temp.cleanup();
  });

  it('stops the PM2 daemon and its apps when the owner is SIGKILLed, and says what it killed', async () => {
    const idleApp = path.join(temp.dir, 'idle.js');
    fs.writeFileSync(idleApp, 'setInterval(() => undefined, 1000);\n');
    const pm2Started = spawnSync(process.execPath, [PM2_BIN, 'start', idleApp, '--name', 'idle'], { env: testEnv({ PM2_HOME: pm2Home }), encoding: 'utf8', timeout: 30_000 });
    expect(pm2Started.status).toBe(0);
    const appPid = Number(fs.readFileSync(path.join(pm2Home, 'pids', 'idle-0.pid'), 'utf8'));
    const daemonPid = Number(fs.readFileSync(path.join(pm2Home, 'pm2.pid'), 'utf8'));
    expect(processesOfPm2Home(pm2Home)).toEqual(expect.arrayContaining([appPid, daemonPid]));

    const ownerCode = `
      const { spawnHarnessWatchdog } = require(${JSON.stringify(distFile('scripts/harness/spawn-watchdog.ts'))});
      const watchdog = spawnHarnessWatchdog({ ownerPid: process.pid, pm2Home: ${JSON.stringify(pm2Home)}, root: ${JSON.stringify(PROJECT_ROOT)}, dir: ${JSON.stringify(temp.dir)} });
      console.log('watchdog ' + watchdog.pid);
      setInterval(() => undefined, 1000);`;
    const owner = spawn(process.execPath, ['-e', ownerCode], { env: testEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(owner);
    let ownerOutput = '';
    owner.stdout!.on('data', (chunk) => (ownerOutput += chunk));
    const watchdogPid = await waitUntil(() => Number(/watchdog (\d+)/.exec(ownerOutput)?.[1]) || undefined, 10_000, 'the owner to start its watchdog');
    // Its first look found the owner alive (and took the owner's start time): only its death may end this.
    await waitUntil(() => logEvents(temp.dir).includes('watching'), 10_000, 'the watchdog to start watching');
    expect(processesOfPm2Home(pm2Home)).toEqual(expect.arrayContaining([appPid, daemonPid]));

    owner.kill('SIGKILL');
    await waitUntil(() => processesOfPm2Home(pm2Home).length === 0, 15_000, 'no process of the PM2_HOME left');
    await waitUntil(() => isGone(watchdogPid), 10_000, 'the watchdog to exit after reaping');

    const log = readLog(temp.dir);
    expect(log.map((l) => l.event)).toEqual(['watching', 'owner_gone_system_reaped']);
    expect(log[1]).toMatchObject({ ownerPid: owner.pid, pm2Home, pm2KillStatus: 0, left: [] });
    expect(log[1].found.map((p: { pid: number }) => p.pid)).toEqual(expect.arrayContaining([appPid, daemonPid]));
    expect(log[1].found.find((p: { pid: number }) => p.pid === appPid).command).toContain('idle.js');
  }, 45_000);

  it('leaves the system of a live owner alone, and leaves quietly when the harness folder is removed', async () => {
    const dir = path.join(temp.dir, 'gone-folder');
    const pm2HomeOfLiveOwner = path.join(dir, 'pm2');
    fs.mkdirSync(dir);
    // Stands for a process of that system: named by its environment, as processesOfPm2Home finds them.
    const member = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { env: testEnv({ PM2_HOME: pm2HomeOfLiveOwner }), stdio: 'ignore' });
    started.push(member);
    await waitUntil(() => processesOfPm2Home(pm2HomeOfLiveOwner).includes(member.pid!), 10_000, 'the member process to run');
    // This jest process is the owner: it stays alive, so only the folder's removal may end the watchdog.
    const watchdog = spawnHarnessWatchdog({ ownerPid: process.pid, pm2Home: pm2HomeOfLiveOwner, root: PROJECT_ROOT, dir });
    expect(watchdog).toBeDefined();
    started.push(watchdog!);
    const exited = new Promise<number | null>((resolve) => watchdog!.once('exit', resolve));
    // Written after its first look at the owner: had it taken the owner for dead, it would have reaped instead.
    await waitUntil(() => logEvents(dir).includes('watching'), 10_000, 'the watchdog to start watching');
    expect(readLog(dir)).toEqual([expect.objectContaining({ event: 'watching', ownerPid: process.pid, watchdogPid: watchdog!.pid })]);
    fs.rmSync(dir, { recursive: true });
    expect(await exited).toBe(0);
    expect(processesOfPm2Home(pm2HomeOfLiveOwner)).toEqual([member.pid]);
  }, 20_000);
});
