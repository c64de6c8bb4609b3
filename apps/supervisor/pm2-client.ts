import pm2 from 'pm2';
import type { Pm2Status, ProcessView } from './health';

function call<T>(fn: (cb: (error: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, result) => (error ? reject(error) : resolve(result))));
}

/** What the supervisor needs from PM2 (the real client below; tests use a fake). */
export interface Pm2Api {
  list(): Promise<ProcessView[]>;
  /** Starts a stopped or errored app, or restarts a running one. Rejects with PM2's error. */
  restart(name: string): Promise<void>;
}

/**
 * PM2 refused a restart because it is (re)starting the app itself: its autorestart after a SIGKILL, or a
 * restart already under way. The app is coming back; a second restart would only kill the booting
 * instance. PM2 says so only in the text of the error (pm2/lib/God/ActionMethods.js: startProcessId's
 * "process already started" / "process already online", and "Process with pid N already exists" while
 * the previous instance is being stopped), so the text is read here, once.
 */
export function isAlreadyStarting(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /process already (started|online)|Process with pid \d+ already exists/i.test(message);
}

/** The PM2 programmatic API, promisified, for the daemon of this PM2_HOME. */
export class Pm2Client implements Pm2Api {
  private connected = false;

  async connect(): Promise<void> {
    if (this.connected) return;
    // noDaemonMode=false: attach to the daemon we run under (never start a new one from here).
    await call<unknown>((cb) => pm2.connect(false, cb as (error: Error | null) => void));
    this.connected = true;
  }

  async list(): Promise<ProcessView[]> {
    const list = await call<pm2.ProcessDescription[]>((cb) => pm2.list(cb));
    const nowMs = Date.now();
    return list.map((p) => ({
      name: p.name ?? '',
      status: (p.pm2_env?.status ?? 'not_found') as Pm2Status,
      pid: p.pid || undefined,
      uptimeMs: p.pm2_env?.pm_uptime ? nowMs - p.pm2_env.pm_uptime : 0,
      restarts: p.pm2_env?.restart_time ?? 0,
    }));
  }

  async restart(name: string): Promise<void> {
    await call<unknown>((cb) => pm2.restart(name, cb as (error: Error | null) => void));
  }

  /** PM2 reopens every app's out/err log file (after the supervisor renamed them: log-housekeeping.ts). */
  async reloadLogs(): Promise<void> {
    await call<unknown>((cb) => pm2.reloadLogs(cb as (error: Error | null) => void));
  }

  disconnect(): void {
    if (this.connected) pm2.disconnect();
    this.connected = false;
  }
}
