import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ProcessDescription } from 'pm2';
import { errorMessage } from '../../shared/errors/errors';
import type { Pm2ProcessInfo, Pm2Snapshot } from './status-model';

/** PM2's home as pm2 itself resolves it (lib/paths.js): $PM2_HOME, else ~/.pm2. */
export function pm2HomeFrom(env: NodeJS.ProcessEnv): string {
  return env.PM2_HOME || path.join(os.homedir(), '.pm2');
}

/**
 * PM2's process list WITHOUT ever starting PM2. `pm2.connect()` launches a daemon when none answers (and
 * `connect(true)` runs one inside this process), so we first knock on the daemon's RPC socket
 * ($PM2_HOME/rpc.sock) ourselves and only load the pm2 API when a daemon answered. Loading it is itself
 * deferred, because requiring 'pm2' creates folders under PM2_HOME.
 * The one gap: a daemon that dies in the milliseconds between our knock and pm2's own ping would be
 * restarted by pm2.connect(); that is an operator stopping PM2 at that very moment, and harmless.
 */
export async function readPm2Processes(timeoutMs: number, nowRealMs: () => number = Date.now): Promise<Pm2Snapshot> {
  // process.env, not a parameter: the pm2 module reads PM2_HOME from it too, and both must mean the same daemon.
  const pm2Home = pm2HomeFrom(process.env);
  if (process.platform !== 'win32' && !(await socketAnswers(path.join(pm2Home, 'rpc.sock'), timeoutMs))) return { daemon: 'not_running', pm2Home };
  try {
    const descriptions = await withTimeout(listFromDaemon(), timeoutMs, `PM2 daemon under ${pm2Home} did not answer within ${timeoutMs} ms`);
    return { daemon: 'running', pm2Home, processes: descriptions.map((d) => toProcessInfo(d, nowRealMs())) };
  } catch (error) {
    return { daemon: 'unknown', pm2Home, problem: errorMessage(error) };
  }
}

export function toProcessInfo(description: ProcessDescription, nowRealMs: number): Pm2ProcessInfo {
  const env = description.pm2_env ?? {};
  const status = env.status ?? 'unknown';
  const online = status === 'online';
  return {
    name: description.name ?? `pm2 #${description.pm_id ?? '?'}`,
    status,
    pid: online && description.pid ? description.pid : null,
    uptimeMs: online && env.pm_uptime ? Math.max(0, nowRealMs - env.pm_uptime) : null,
    restarts: env.restart_time ?? 0,
    memoryBytes: online ? description.monit?.memory ?? null : null,
  };
}

function socketAnswers(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (answered: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answered);
    };
    // ENOENT (no socket file) and ECONNREFUSED (a stale file left by a killed daemon) both mean "not running".
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function listFromDaemon(): Promise<ProcessDescription[]> {
  // pm2 exports an API instance whose methods live on its prototype: a plain require keeps them.
  const pm2 = require('pm2') as typeof import('pm2');
  await new Promise<void>((resolve, reject) => pm2.connect((error) => (error ? reject(error) : resolve())));
  try {
    return await new Promise<ProcessDescription[]>((resolve, reject) => pm2.list((error, list) => (error ? reject(error) : resolve(list))));
  } finally {
    pm2.disconnect();
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
