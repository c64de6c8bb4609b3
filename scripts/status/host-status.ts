import type { Heartbeat } from '../../shared/db';

/**
 * The machine as the supervisor last saw it (its heartbeat detail: host-checks.ts and log-housekeeping.ts):
 * free disk where the DB, backups and logs live, this clock against the gateway's, LOG_DIR against its
 * budget. null when the supervisor has not said (not running, or an older one).
 */
export interface HostStatus {
  disk: Array<{ holds: string; path: string; freeMb: number; freePct: number; low: boolean }>;
  clock: { gateway: string; skewMs: number | null; drifting: boolean; problem: string | null } | null;
  logs: { bytes: number; budgetBytes: number; overBudget: boolean } | null;
}

export function hostStatus(heartbeats: readonly Heartbeat[]): HostStatus | null {
  const detail = heartbeats.find((h) => h.app === 'supervisor')?.detail;
  if (!detail || (!detail.disk && !detail.clock && !detail.logs)) return null;
  const disk = (detail.disk as { filesystems?: HostStatus['disk'] } | undefined)?.filesystems ?? [];
  const clock = (detail.clock as HostStatus['clock'] | undefined) ?? null;
  const logs = (detail.logs as HostStatus['logs'] | undefined) ?? null;
  return { disk, clock, logs };
}

/** The lines that go to the top of the screen. */
export function hostAlerts(host: HostStatus | null): string[] {
  if (!host) return [];
  const alerts = host.disk.filter((d) => d.low).map((d) => `disk nearly full where the ${d.holds} live: ${d.freeMb} MB free (${d.freePct} %) at ${d.path}`);
  if (host.clock?.drifting) alerts.push(`this machine's clock is ${((host.clock.skewMs ?? 0) / 1000).toFixed(1)} s off the gateway's (${host.clock.gateway}): synchronise it`);
  if (host.logs?.overBudget) alerts.push(`logs take ${(host.logs.bytes / 1_048_576).toFixed(0)} MB, over LOG_DIR_BUDGET_MB (${(host.logs.budgetBytes / 1_048_576).toFixed(0)} MB)`);
  return alerts;
}

export function renderHost(host: HostStatus): string {
  const parts = host.disk.map((d) => `${d.holds} ${d.freeMb} MB free (${d.freePct} %)${d.low ? ' LOW' : ''}`);
  if (host.clock) parts.push(host.clock.skewMs === null ? `clock not checked (${host.clock.problem ?? 'no answer'})` : `clock ${host.clock.skewMs} ms off the gateway${host.clock.drifting ? ' DRIFTING' : ''}`);
  if (host.logs) parts.push(`logs ${(host.logs.bytes / 1_048_576).toFixed(1)} of ${(host.logs.budgetBytes / 1_048_576).toFixed(0)} MB`);
  return `HOST  ${parts.join('  ·  ')}`;
}
