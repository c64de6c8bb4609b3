import pm2 from 'pm2';
import type { Pm2Status, ProcessView } from './health';

function call<T>(fn: (cb: (error: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, result) => (error ? reject(error) : resolve(result))));
}

/** The PM2 programmatic API, promisified, for the daemon of this PM2_HOME. */
export class Pm2Client {
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

  disconnect(): void {
    if (this.connected) pm2.disconnect();
    this.connected = false;
  }
}
