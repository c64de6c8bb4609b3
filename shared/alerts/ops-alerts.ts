import type { AlertDraft } from './alert-types';

/**
 * Alerts about the machine and its upkeep rather than trading (pure): the supervisor's host checks (disk
 * space, clock drift, a gateway that did not come back from its daily restart) and the daily backup. Each
 * unresolved condition shares a condition key, so the notifier throttles its repeats; the dedupe key makes
 * one alert per occurrence (per filesystem and hour, per gateway outage, per backup day).
 */

export interface DiskFinding {
  /** What lives there: 'db', 'logs' or both ('db+logs'). */
  holds: string;
  path: string;
  freeBytes: number;
  totalBytes: number;
  freePct: number;
}

export function diskSpaceLowAlert(finding: DiskFinding, tradingDay: string, hourKey: string): AlertDraft {
  const freeMb = Math.round(finding.freeBytes / 1_048_576);
  return {
    kind: 'disk_space_low', severity: finding.freePct < 2 ? 'critical' : 'warning', tradingDay,
    dedupeKey: `disk_space_low:${finding.path}:${hourKey}`, conditionKey: `disk_space_low:${finding.path}`,
    title: `Disk nearly full where the ${finding.holds} live: ${freeMb} MB free (${finding.freePct.toFixed(1)} %) at ${finding.path}`,
    data: { ...finding, freeMb, what: 'free space (old backups, old logs, other files): a full disk stops the DB writes; trading continues, the log stops' },
  };
}

export function clockDriftAlert(args: { skewMs: number; differenceMs: number; gateway: string; mode: string }, tradingDay: string, hourKey: string): AlertDraft {
  return {
    kind: 'clock_drift', severity: Math.abs(args.skewMs) > 30_000 ? 'critical' : 'warning', tradingDay,
    dedupeKey: `clock_drift:${hourKey}`, conditionKey: 'clock_drift',
    title: `This machine's clock is ${(args.skewMs / 1000).toFixed(1)} s off the gateway's (${args.gateway})`,
    data: { ...args, what: 'synchronise the clock (timedatectl set-ntp true, chrony): the trading day, entry cut-off and end-of-day flatten are computed from it' },
  };
}

export function gatewayNotBackAlert(args: { app: string; downSinceMs: number; windowEndMs: number; downSeconds: number; restartTime: string }, tradingDay: string): AlertDraft {
  return {
    kind: 'gateway_not_back', severity: 'critical', tradingDay,
    dedupeKey: `gateway_not_back:${args.downSinceMs}`, conditionKey: 'gateway_not_back',
    title: `The gateway did not come back after its daily restart (${args.restartTime} New York): down for ${args.downSeconds} s`,
    data: { ...args, what: 'log IB Gateway/TWS back in (IBC, or by hand; the weekly login may need two-factor approval); positions stay protected by their broker-side orders' },
  };
}

export function backupFailedAlert(tradingDay: string, error: string): AlertDraft {
  return {
    kind: 'backup_failed', severity: 'warning', tradingDay,
    dedupeKey: `backup_failed:${tradingDay}`, conditionKey: 'backup_failed',
    title: `The daily DB backup of ${tradingDay} failed: ${error.slice(0, 160)}`,
    data: { tradingDay, error, what: 'run npm run db-backup by hand and read what it says (disk space, BACKUP_DIR permissions)' },
  };
}
