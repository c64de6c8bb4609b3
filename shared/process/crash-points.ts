import fs from 'node:fs';

/**
 * Fault injection for tests and the chaos harness: a named point where the process kills itself with
 * SIGKILL (no cleanup, like a power cut), once. Armed by listing the point's name in the file named by
 * CRASH_POINTS_FILE; the name is removed before dying so the restarted process carries on. Without the
 * variable this is a no-op.
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
  process.stderr.write(`crash point ${name} reached: SIGKILL (test fault injection)\n`);
  process.kill(process.pid, 'SIGKILL');
}
