import fs from 'node:fs';

/**
 * Pids of the live processes whose environment names this PM2_HOME: the private PM2 daemon of a harness and
 * every app it started (they inherit it), plus any CLI still talking to it. Read from /proc (Linux); on
 * systems without /proc, the pid files PM2 keeps in that folder. The calling process is never listed.
 */
export function processesOfPm2Home(pm2Home: string): number[] {
  const wanted = `PM2_HOME=${pm2Home}`;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return pidFiles(pm2Home).filter(isAlive);
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (environ.split('\0').includes(wanted) && !isZombie(entry)) pids.push(pid);
  }
  return pids;
}

/** The pids PM2 wrote under its home: the daemon's pm2.pid and one file per app in pids/. */
export function pidFiles(pm2Home: string): number[] {
  const files = [`${pm2Home}/pm2.pid`];
  try {
    for (const name of fs.readdirSync(`${pm2Home}/pids`)) files.push(`${pm2Home}/pids/${name}`);
  } catch {
    // no pids folder: the daemon never started an app
  }
  const pids: number[] = [];
  for (const file of files) {
    try {
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) pids.push(pid);
    } catch {
      // removed meanwhile (pm2 kill removes them)
    }
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A zombie has exited and only waits for its parent to reap it: nothing of it runs. */
function isZombie(pidEntry: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pidEntry}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
