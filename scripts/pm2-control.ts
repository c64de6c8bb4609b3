import path from 'node:path';
import pm2 from 'pm2';
import { projectRoot } from '../shared/config/project-root';

export const SYSTEM_APPS = ['sim-gateway', 'exit-manager', 'day-trader', 'reconciler', 'supervisor', 'dashboard', 'notifier'] as const;

export function pm2Call<T>(fn: (cb: (error: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, result) => (error ? reject(error) : resolve(result))));
}

/** Connects to (and, when `startDaemon`, starts) the PM2 daemon of $PM2_HOME. */
export async function connectPm2(startDaemon: boolean): Promise<void> {
  await pm2Call<unknown>((cb) => pm2.connect(!startDaemon, cb as (error: Error | null) => void));
}

export function ecosystemPath(): string {
  return path.join(projectRoot(), 'ecosystem.config.js');
}

export async function listSystem(): Promise<pm2.ProcessDescription[]> {
  const all = await pm2Call<pm2.ProcessDescription[]>((cb) => pm2.list(cb));
  return all.filter((p) => (SYSTEM_APPS as readonly string[]).includes(p.name ?? ''));
}

export { pm2 };
