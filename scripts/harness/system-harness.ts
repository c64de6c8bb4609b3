import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from '../../shared/config/project-root';
import { freePort } from './ports';

export interface SystemOptions {
  /** Everything (DB, logs, simulator state, PM2_HOME) lives under this folder. */
  dir: string;
  speed?: number;
  dayStart?: string;
  dayEnd?: string;
  startDay?: string;
  seed?: number;
  env?: Record<string, string>;
}

export interface Pm2Process {
  name: string;
  pid: number;
  status: string;
  restarts: number;
  memoryBytes: number;
}

/**
 * The whole system under a private PM2 daemon (temporary PM2_HOME), on free loopback ports, with its own DB,
 * logs and simulator state: what `npm start` does, isolated so tests, benchmarks and the chaos harness can
 * run beside a live system. PM2 is driven through its CLI in child processes because the pm2 module reads
 * PM2_HOME once, when it is loaded.
 */
export class SystemHarness {
  private constructor(readonly env: Record<string, string>, readonly dir: string) {}

  static async start(options: SystemOptions): Promise<SystemHarness> {
    fs.mkdirSync(options.dir, { recursive: true });
    const env: Record<string, string> = {
      PM2_HOME: path.join(options.dir, 'pm2'),
      DB_PATH: path.join(options.dir, 'trading.db'),
      LOG_DIR: path.join(options.dir, 'logs'),
      REPORTS_DIR: path.join(options.dir, 'reports'),
      SIM_STATE_DIR: path.join(options.dir, 'sim'),
      SIM_CLOCK_FILE: path.join(options.dir, 'sim-clock.json'),
      IB_PORT: String(await freePort()),
      SIM_ADMIN_PORT: String(await freePort()),
      SIM_SPEED: String(options.speed ?? 60),
      SIM_DAY_START: options.dayStart ?? '09:20',
      SIM_DAY_END: options.dayEnd ?? '16:15',
      SIM_START_DAY: options.startDay ?? '2026-11-23',
      SIM_SEED: String(options.seed ?? 42),
      CRASH_POINTS_FILE: path.join(options.dir, 'crash-points'),
      ...options.env,
    };
    const harness = new SystemHarness(env, options.dir);
    const result = await harness.runScript('start.js', 180_000);
    if (result.code !== 0) throw new Error(`npm start failed (${result.code}):\n${result.output}`);
    return harness;
  }

  private runScript(script: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'scripts', script)], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c) => (output += c));
      child.stderr.on('data', (c) => (output += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  pm2(args: string[]): string {
    const bin = path.join(projectRoot(), 'node_modules', 'pm2', 'bin', 'pm2');
    const result = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...this.env }, encoding: 'utf8', timeout: 30_000 });
    return result.stdout;
  }

  processes(): Pm2Process[] {
    const text = this.pm2(['jlist']);
    const start = text.indexOf('[');
    if (start < 0) return [];
    const list = JSON.parse(text.slice(start)) as Array<{ name: string; pid: number; pm2_env: { status: string; restart_time: number }; monit?: { memory: number } }>;
    return list.map((p) => ({ name: p.name, pid: p.pid, status: p.pm2_env.status, restarts: p.pm2_env.restart_time, memoryBytes: p.monit?.memory ?? 0 }));
  }

  pidOf(app: string): number | undefined {
    const p = this.processes().find((x) => x.name === app);
    return p && p.pid > 0 ? p.pid : undefined;
  }

  async admin<T = Record<string, unknown>>(route: string, body?: Record<string, unknown>): Promise<T> {
    const [method, urlPath] = route.includes(' ') ? route.split(' ') : ['GET', route];
    const response = await fetch(`http://127.0.0.1:${this.env.SIM_ADMIN_PORT}${urlPath}`, { method, body: body ? JSON.stringify(body) : method === 'POST' ? '{}' : undefined });
    const json = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`admin ${route} failed: ${json.error}`);
    return json;
  }

  /** A read-only connection to the system's DB (close it when done). */
  openDb(): Database.Database {
    const db = new Database(this.env.DB_PATH!, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db;
  }

  query<T>(sql: string, ...params: unknown[]): T[] {
    const db = this.openDb();
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  /** Arms a one-shot crash point (see shared/process/crash-points.ts). */
  armCrashPoint(name: string): void {
    fs.appendFileSync(this.env.CRASH_POINTS_FILE!, `${name}\n`);
  }

  logLines(app: string): Array<Record<string, unknown>> {
    const file = path.join(this.env.LOG_DIR!, `${app}.log`);
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async stop(): Promise<void> {
    await this.runScript('stop.js', 60_000);
    this.pm2(['kill']);
  }
}
