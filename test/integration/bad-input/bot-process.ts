import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { distFile } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';
import { waitUntil } from '../../helpers/wait-until';

export type BotApp = 'exit-manager' | 'day-trader' | 'reconciler' | 'supervisor';

export interface LogLine {
  event: string;
  level: string;
  pid: number;
  timestamp: string;
  [field: string]: unknown;
}

export interface BotProcess {
  app: BotApp;
  child: ChildProcess;
  pid: number;
  /** Resolves when the app says ready (its main finished), as PM2's wait_ready would see it. */
  ready: Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** This process's lines of the app's JSON log. */
  log(): LogLine[];
  stop(): Promise<void>;
}

/**
 * The environment of one simulated system in `dir` (the same variables npm start sets), with fast reconnects
 * so tests do not wait for the production back-off ceiling.
 */
export function systemEnv(dir: string, ports: { ib: number; admin: number }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DB_PATH: path.join(dir, 'trading.db'), LOG_DIR: path.join(dir, 'logs'), REPORTS_DIR: path.join(dir, 'reports'), SIM_STATE_DIR: path.join(dir, 'sim'),
    SIM_CLOCK_FILE: path.join(dir, 'sim-clock.json'), IB_PORT: String(ports.ib), SIM_ADMIN_PORT: String(ports.admin), SIM_SPEED: '60',
    SIM_DAY_START: '09:31', SIM_DAY_END: '16:15', SIM_START_DAY: '2026-11-23', SIM_SEED: '7', LOG_CONSOLE: 'false', IB_RECONNECT_MAX_DELAY_MS: '1000',
    // Trade readily in the seeded market (as the chaos run does), so entries happen within seconds.
    SCANNER_REFRESH_S: '60', MIN_ATR_PCT: '0.02', MIN_SCORE: '40', ENTRY_RSI_MAX: '80', STOP_LOSS_PCT: '1.5', TAKE_PROFIT_PCT: '3',
    ...extra,
  };
}

/** Starts one bot as a real process (compiled dist/, like PM2 runs it), with an IPC channel for `ready`. */
export function startBot(app: BotApp, env: Record<string, string>): BotProcess {
  const child = fork(distFile(`apps/${app}/main.ts`), [], { env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m) => m === 'ready' && resolve());
    void exit.then(({ code, signal }) => reject(new Error(`${app} exited (${code ?? signal}) before ready:\n${stderr}`)));
  });
  ready.catch(() => undefined);
  const logFile = path.join(env.LOG_DIR!, `${app}.log`);
  return {
    app, child, pid: child.pid!, ready, exit,
    stderr: () => stderr,
    log: () => readLog(logFile).filter((l) => l.pid === child.pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}

export function readLog(file: string): LogLine[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return []; // a line cut by a kill
    }
  });
}

/** One query on the system's DB (read-only, closed at once). */
export function query<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  if (!fs.existsSync(dbPath)) return [];
  const db = new Database(dbPath, { readonly: true });
  try {
    db.pragma('busy_timeout = 2000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export interface HeartbeatView {
  app: string;
  pid: number;
  state: string;
  broker_connected: number | null;
  beat_at_ms: number;
  detail: string;
}

export function heartbeat(dbPath: string, app: BotApp): HeartbeatView | undefined {
  return query<HeartbeatView>(dbPath, 'SELECT app, pid, state, broker_connected, beat_at_ms, detail FROM heartbeats WHERE app = ?', app)[0];
}

/**
 * Resolves once the bot's work loop has completed `rounds` more rounds (each round stamps progress_at_ms in
 * its heartbeat row): "a while later" measured in the bot's own progress, so a slow machine waits longer
 * instead of failing, and a hung bot fails the wait.
 */
export async function loopRounds(dbPath: string, bot: BotProcess, rounds: number, timeoutMs = 30_000): Promise<void> {
  const progressAt = () => query<{ progress_at_ms: number | null }>(dbPath, 'SELECT progress_at_ms FROM heartbeats WHERE app = ? AND pid = ?', bot.app, bot.pid)[0]?.progress_at_ms;
  const first = progressAt();
  const seen = new Set<number>();
  await waitUntil(() => {
    const at = progressAt();
    if (at != null && at !== first) seen.add(at);
    return seen.size >= rounds;
  }, timeoutMs, `${rounds} more rounds of the ${bot.app} loop`);
}
