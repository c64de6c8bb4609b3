import fs from 'node:fs';

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined without
 * /proc or once it is gone. With the pid it names one process for good: a pid freed by a dead owner and
 * given to a new process has another start time.
 */
export function processStartTicks(pid: number): string | undefined {
  const fields = statFieldsAfterName(pid);
  return fields?.[19]; // fields after the name start at field 3 (state); 22 - 3 = 19
}

/**
 * Whether the process `pid` (started at `startTicks`, when known) still runs. A zombie has exited and only
 * waits for its parent to collect it, so it counts as gone; EPERM means it runs under another user.
 */
export function isOwnerAlive(pid: number, startTicks: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const fields = statFieldsAfterName(pid);
  if (!fields) return !fs.existsSync('/proc/self/stat'); // no /proc here: kill(0) is all we can know
  if (fields[0] === 'Z') return false;
  return startTicks === undefined || fields[19] === startTicks;
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFieldsAfterName(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone, or no /proc on this system
  }
}
