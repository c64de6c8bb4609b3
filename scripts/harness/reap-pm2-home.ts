import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cleanEnv } from './clean-env';
import { processesOfPm2Home } from './pm2-home-processes';

export interface ReapResult {
  /** What ran under the PM2_HOME before anything was done: pid and command line. */
  found: Array<{ pid: number; command: string }>;
  /** Exit status of `pm2 kill`, or null when there was no daemon pid file (any other PM2 command would start one). */
  pm2KillStatus: number | null;
  /** Pids still there after `pm2 kill` (or without one), killed with SIGKILL. */
  sigkilled: number[];
  /** Pids still there at the end (not ours to kill, or refusing to die): empty when the reap worked. */
  left: number[];
}

const SETTLE_MS = 8_000;
const SIGKILL_ROUNDS = 5;

/**
 * Stops everything that belongs to a PM2_HOME without its owner: `pm2 kill` when the daemon's pid file is
 * there, then SIGKILL for whatever still names that PM2_HOME (apps slow to shut down, a daemon a dying
 * `npm start` brought up meanwhile). SIGKILL goes in rounds because a start script caught half-way can spawn
 * a new daemon between one look and the kill.
 */
export function reapPm2Home(pm2Home: string, root: string): ReapResult {
  const found = processesOfPm2Home(pm2Home).map((pid) => ({ pid, command: commandLine(pid) }));
  let pm2KillStatus: number | null = null;
  if (fs.existsSync(path.join(pm2Home, 'pm2.pid'))) {
    const bin = path.join(root, 'node_modules', 'pm2', 'bin', 'pm2');
    const result = spawnSync(process.execPath, [bin, 'kill'], { env: cleanEnv({ PM2_HOME: pm2Home }), stdio: 'ignore', timeout: 30_000 });
    pm2KillStatus = result.status;
    // pm2 kill returns once the daemon was told; its apps take a moment to finish their shutdown.
    waitSync(() => processesOfPm2Home(pm2Home).length === 0, SETTLE_MS);
  }
  const sigkilled: number[] = [];
  for (let round = 0; round < SIGKILL_ROUNDS; round++) {
    const survivors = processesOfPm2Home(pm2Home);
    if (survivors.length === 0) break;
    for (const pid of survivors) {
      try {
        process.kill(pid, 'SIGKILL');
        sigkilled.push(pid);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    waitSync(() => processesOfPm2Home(pm2Home).length === 0, 2_000);
  }
  return { found, pm2KillStatus, sigkilled, left: processesOfPm2Home(pm2Home) };
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '?'; // no /proc, or gone meanwhile
  }
}

/** A blocking poll: the watchdog has nothing else to do while it reaps, so it need not be async. */
function waitSync(condition: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, 100);
  }
  return true;
}
