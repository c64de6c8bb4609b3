import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cleanEnv } from './clean-env';

export interface WatchdogTarget {
  /** The process whose death means nobody will stop the system: usually process.pid. */
  ownerPid: number;
  pm2Home: string;
  /** The project root the system runs from (its dist/ and node_modules/pm2). */
  root: string;
  /** The harness folder: the watchdog logs there, and leaves when it disappears. */
  dir: string;
}

/** The compiled watchdog of a project root: dist/, like start.js, since the harness runs compiled JS. */
export function watchdogScript(root: string): string {
  return path.join(root, 'dist', 'scripts', 'harness', 'harness-watchdog.js');
}

/**
 * Starts the watchdog (scripts/harness/harness-watchdog.ts) that reaps the system under `pm2Home` if its
 * owner dies without stopping it. Detached in its own process group, so the signal that kills the owner's
 * group does not kill it too; stdio ignored and unref'd, so it never holds the owner (or jest) open. Its
 * environment does not name PM2_HOME (given as an argument instead): processesOfPm2Home must not count
 * the watchdog as part of the system. Returns undefined, saying why on stderr, when dist/ has no watchdog
 * (a build older than this file): the system still starts, only without the safety net.
 */
export function spawnHarnessWatchdog(target: WatchdogTarget): ChildProcess | undefined {
  const script = watchdogScript(target.root);
  if (!fs.existsSync(script)) {
    process.stderr.write(`harness: ${script} is missing (dist/ older than the sources? run \`npm run build\`): the system under ${target.pm2Home} is not reaped if this process dies\n`);
    return undefined;
  }
  const args = ['--owner', String(target.ownerPid), '--pm2-home', target.pm2Home, '--root', target.root, '--dir', target.dir];
  const child = spawn(process.execPath, [script, ...args], { env: cleanEnv(), stdio: 'ignore', detached: true });
  child.unref();
  return child;
}
