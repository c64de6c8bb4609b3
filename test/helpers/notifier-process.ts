import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { distFile } from './temp-dir';
import { testEnv } from './test-env';

export { accept, alwaysFail, failFirst, HttpReceiver, rateLimitFirst, SmtpReceiver, type ReceivedRequest, type Responder } from '../../scripts/harness/alert-receivers';

export interface NotifierProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves when the process said ready (PM2's wait_ready message). */
  ready: Promise<void>;
  stderr(): string;
}

/** The compiled notifier as a real process (what PM2 runs), with its own environment only. */
export function startNotifier(env: Record<string, string>): NotifierProcess {
  const child = fork(distFile('apps/notifier/main.ts'), [], { env: testEnv({ LOG_CONSOLE: 'false', SIM_SPEED: '1', ...env }), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m) => m === 'ready' && resolve());
    void exited.then((code) => reject(new Error(`notifier exited with ${code} before ready:\n${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, exited, ready, stderr: () => stderr };
}

export function logLines(logDir: string, app: string): Array<Record<string, unknown>> {
  const file = path.join(logDir, `${app}.log`);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
