import fs from 'node:fs';

/**
 * Fault injection for tests and the chaos harness: a named point where the process kills itself with
 * SIGKILL (no cleanup, like a power cut), once. Armed by listing the point's name in the file named by
 * CRASH_POINTS_FILE; the name is removed before dying so the restarted process carries on. Without the
 * variable this is a no-op.
 *
 * Before dying it appends `name<TAB>pid<TAB>epoch ms` to `<file>.fired`: the exact moment of death. An
 * observer that polls whether the pid still exists learns it only once the parent (PM2) has reaped it,
 * which on a busy machine can be after the restarted process is already up.
 */
export function crashPoint(name: string): void {
  const file = process.env.CRASH_POINTS_FILE;
  if (!file || !fs.existsSync(file)) return;
  let armed: string[];
  try {
    armed = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return;
  }
  const index = armed.indexOf(name);
  if (index < 0) return;
  armed.splice(index, 1);
  fs.writeFileSync(file, armed.join('\n'));
  fs.appendFileSync(firedRecordFile(file), `${name}\t${process.pid}\t${Date.now()}\n`);
  process.stderr.write(`crash point ${name} reached: SIGKILL (test fault injection)\n`);
  process.kill(process.pid, 'SIGKILL');
}

export function firedRecordFile(crashPointsFile: string): string {
  return `${crashPointsFile}.fired`;
}

export interface FiredCrashPoint {
  name: string;
  pid: number;
  atMs: number;
}

/** The crash points that fired so far (oldest first), as `crashPoint` recorded them. */
export function firedCrashPoints(crashPointsFile: string): FiredCrashPoint[] {
  let text: string;
  try {
    text = fs.readFileSync(firedRecordFile(crashPointsFile), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text.split('\n').filter(Boolean).map((line) => {
    const [name, pid, atMs] = line.split('\t');
    return { name, pid: Number(pid), atMs: Number(atMs) };
  }).filter((fired) => fired.name && Number.isFinite(fired.pid) && Number.isFinite(fired.atMs));
}
