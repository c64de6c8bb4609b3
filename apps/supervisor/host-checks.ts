import fs from 'node:fs';
import path from 'node:path';
import { clockDriftAlert, diskSpaceLowAlert, type DiskFinding } from '../../shared/alerts/ops-alerts';
import type { AlertDraft } from '../../shared/alerts/alert-types';
import type { ResolvedConfig } from '../../shared/config/schema';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';

/** What statfs tells about a filesystem (Node's fs.statfsSync; tests inject their own). */
export interface FsStats {
  bsize: number;
  blocks: number;
  /** Blocks free for an unprivileged user (what the bots, not root, can still write). */
  bavail: number;
}
export type StatFs = (dir: string) => FsStats;

export const realStatFs: StatFs = (dir) => fs.statfsSync(dir);

/** The folders whose filesystems matter: the DB's (and its backups') and the logs'. */
export function watchedFolders(config: Pick<ResolvedConfig, 'paths'>): Array<{ holds: string; dir: string }> {
  return [
    { holds: 'db', dir: path.dirname(config.paths.db) },
    { holds: 'logs', dir: config.paths.logs },
    { holds: 'backups', dir: config.paths.backups },
  ];
}

/**
 * Free space of each watched folder's filesystem (folders on one filesystem reported once, named together),
 * and which are low: below `minFreePct` % or `minFreeMb` MB. A folder that does not exist yet is judged by
 * its nearest existing parent. Pure but for statfs.
 */
export function diskFindings(folders: ReadonlyArray<{ holds: string; dir: string }>, statfs: StatFs, minFreePct: number, minFreeMb: number): Array<DiskFinding & { low: boolean }> {
  const byDevice = new Map<string, DiskFinding & { low: boolean }>();
  for (const folder of folders) {
    const dir = existingAncestor(folder.dir);
    let stats: FsStats;
    let device: string;
    try {
      stats = statfs(dir);
      device = String(fs.statSync(dir).dev);
    } catch {
      continue;
    }
    const known = byDevice.get(device);
    if (known) {
      if (!known.holds.split('+').includes(folder.holds)) known.holds += `+${folder.holds}`;
      continue;
    }
    const totalBytes = stats.blocks * stats.bsize;
    const freeBytes = stats.bavail * stats.bsize;
    const freePct = totalBytes > 0 ? (freeBytes / totalBytes) * 100 : 100;
    byDevice.set(device, { holds: folder.holds, path: dir, freeBytes, totalBytes, freePct, low: freePct < minFreePct || freeBytes < minFreeMb * 1_048_576 });
  }
  return [...byDevice.values()];
}

function existingAncestor(dir: string): string {
  let current = path.resolve(dir);
  while (!fs.existsSync(current)) {
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

export interface HostCheckDeps {
  config: ResolvedConfig;
  clock: Clock;
  log: Logger;
  statfs?: StatFs;
  /** Records the fact and its alert in one transaction (the supervisor's recordEvent). */
  record: (event: string, fields: Record<string, unknown>, level: 'warn' | 'error' | 'info', alert?: AlertDraft) => void;
  realNowMs?: () => number;
}

export interface DiskStatus {
  checkedAtMs: number;
  filesystems: Array<{ holds: string; path: string; freeMb: number; freePct: number; low: boolean }>;
}

/**
 * The supervisor's disk watch: every HOST_CHECK_INTERVAL_S, free space where the DB, the backups and the logs
 * live. Low space is said in the log (warn), in `events` (the status console's warnings) and as an alert
 * (the outbox, once per filesystem and hour); back above the threshold is said once.
 */
export class DiskWatch {
  private readonly low = new Set<string>();
  private readonly recorded = new Map<string, string>();
  private readonly statfs: StatFs;

  constructor(private readonly d: HostCheckDeps) {
    this.statfs = d.statfs ?? realStatFs;
  }

  check(): DiskStatus {
    const { supervisor } = this.d.config;
    const nowMs = (this.d.realNowMs ?? Date.now)();
    const findings = diskFindings(watchedFolders(this.d.config), this.statfs, supervisor.diskWarnFreePct, supervisor.diskWarnFreeMb);
    for (const finding of findings) {
      const { low, ...fact } = finding;
      const fields = { holds: fact.holds, path: fact.path, freeMb: Math.round(fact.freeBytes / 1_048_576), freePct: Math.round(fact.freePct * 10) / 10, thresholdPct: supervisor.diskWarnFreePct, thresholdMb: supervisor.diskWarnFreeMb };
      if (low) {
        this.d.log.warn('disk_space_low', { ...fields, what: 'free disk space: a full disk stops DB writes (fills are re-read from the broker later) and the logs' });
        const hourKey = new Date(nowMs).toISOString().slice(0, 13);
        // One events row and one alert per filesystem and hour, however often it is checked.
        if (this.recorded.get(fact.path) !== hourKey) {
          try {
            this.d.record('disk_space_low', fields, 'warn', diskSpaceLowAlert(fact, tradingDayOf(this.d.clock.now()), hourKey));
            this.recorded.set(fact.path, hourKey);
          } catch (error) {
            this.d.log.warn('disk_space_low_not_recorded', { error: errorMessage(error) });
          }
        }
        this.low.add(fact.path);
      } else if (this.low.delete(fact.path)) {
        this.d.log.info('disk_space_ok', fields);
      }
    }
    return {
      checkedAtMs: nowMs,
      filesystems: findings.map((f) => ({ holds: f.holds, path: f.path, freeMb: Math.round(f.freeBytes / 1_048_576), freePct: Math.round(f.freePct * 10) / 10, low: f.low })),
    };
  }
}

export interface ClockSampleResult {
  differenceMs: number;
  uncertaintyMs: number;
  skewMs: number;
}

export interface ClockStatus {
  checkedAtMs: number;
  gateway: string;
  skewMs: number | null;
  differenceMs: number | null;
  drifting: boolean;
  problem: string | null;
}

/**
 * The machine's clock against the gateway's: `sample` opens a short link (its own client id), asks
 * reqCurrentTime and measures, as `npm run doctor` does (whose measurement it reuses: second resolution and
 * the request's duration are not counted as drift). Past CLOCK_DRIFT_WARN_MS: log, `events`, alert (once an hour).
 */
export class ClockWatch {
  private recordedHour: string | undefined;

  constructor(private readonly d: HostCheckDeps, private readonly sample: () => Promise<ClockSampleResult>) {}

  async check(): Promise<ClockStatus> {
    const nowMs = (this.d.realNowMs ?? Date.now)();
    const gateway = `${this.d.config.ib.host}:${this.d.config.ib.port}`;
    let result: ClockSampleResult;
    try {
      result = await this.sample();
    } catch (error) {
      this.d.log.info('clock_check_skipped', { gateway, reason: errorMessage(error) });
      return { checkedAtMs: nowMs, gateway, skewMs: null, differenceMs: null, drifting: false, problem: errorMessage(error) };
    }
    const drifting = result.skewMs > this.d.config.supervisor.clockDriftWarnMs;
    const fields = { gateway, skewMs: Math.round(result.skewMs), differenceMs: Math.round(result.differenceMs), uncertaintyMs: Math.round(result.uncertaintyMs), limitMs: this.d.config.supervisor.clockDriftWarnMs, mode: this.d.config.mode };
    if (drifting) {
      this.d.log.warn('clock_drift', { ...fields, what: `this machine's clock is ${result.differenceMs > 0 ? 'behind' : 'ahead of'} the gateway's: synchronise it (timedatectl set-ntp true, chrony)` });
      const hourKey = new Date(nowMs).toISOString().slice(0, 13);
      if (this.recordedHour !== hourKey) {
        try {
          this.d.record('clock_drift', fields, 'warn', clockDriftAlert({ skewMs: result.skewMs, differenceMs: result.differenceMs, gateway, mode: this.d.config.mode }, tradingDayOf(this.d.clock.now()), hourKey));
          this.recordedHour = hourKey;
        } catch (error) {
          this.d.log.warn('clock_drift_not_recorded', { error: errorMessage(error) });
        }
      }
    } else {
      this.d.log.debug('clock_ok', fields);
    }
    return { checkedAtMs: nowMs, gateway, skewMs: Math.round(result.skewMs), differenceMs: Math.round(result.differenceMs), drifting, problem: null };
  }
}
