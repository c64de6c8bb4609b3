import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';

export interface LogHousekeepingOptions {
  logDir: string;
  /** PM2's folder: its daemon log `pm2.log` is rotated too (it is not in LOG_DIR, so not in the budget). */
  pm2Home?: string;
  pm2FileMaxBytes: number;
  pm2FilesKept: number;
  budgetBytes: number;
  /** Makes PM2 reopen its out/err files (pm2.reloadLogs): called once after renaming any of them. */
  reopenPm2Logs: () => Promise<void>;
  log: Logger;
}

export interface HousekeepingResult {
  rotated: string[];
  deleted: string[];
  /** LOG_DIR's size after the run. */
  totalBytes: number;
  budgetBytes: number;
  overBudget: boolean;
}

/** A rotated file of ours (`day-trader.log.3`) or of PM2 (`pm2-day-trader.out.log.2`, `pm2.log.1`). */
const ROTATED = /\.log\.\d+$/;
const PM2_APP_LOG = /^pm2-.+\.(out|err)\.log$/;
const BUDGET_WARN_EVERY_MS = 3_600_000;

/**
 * PM2 writes every app's stdout and stderr to `LOG_DIR/pm2-<app>.out.log` / `.err.log` and never rotates
 * them. The `pm2-logrotate` module would, but it is installed at run time into each PM2_HOME from the npm
 * registry (with an unpinned pm2 of its own) and copies then truncates, losing the lines written in between.
 * This does the same job from the supervisor: a file past PM2_LOG_MAX_MB is renamed to `.1` (older ones
 * shift, beyond PM2_LOG_FILES_KEPT deleted) and PM2 is told to reopen its files (`reloadLogs`): lines
 * written between the rename and the reopen land at the end of `.1`, none is lost. PM2's daemon log
 * (`PM2_HOME/pm2.log`, which reloadLogs does not reopen; the daemon appends to it) is copied and truncated.
 *
 * Then the budget: when LOG_DIR holds more than LOG_DIR_BUDGET_MB, rotated files (ours and PM2's) are deleted
 * oldest first until it fits; live files are never deleted, so a budget too small for them is said loudly.
 */
export class LogHousekeeper {
  private lastBudgetWarningMs = 0;

  constructor(private readonly options: LogHousekeepingOptions) {}

  async run(nowMs = Date.now()): Promise<HousekeepingResult> {
    const rotated = await this.rotatePm2Logs();
    const deleted = this.enforceBudget();
    const totalBytes = dirBytes(this.options.logDir);
    const overBudget = totalBytes > this.options.budgetBytes;
    if (overBudget && nowMs - this.lastBudgetWarningMs >= BUDGET_WARN_EVERY_MS) {
      this.lastBudgetWarningMs = nowMs;
      this.options.log.error('log_budget_exceeded', {
        totalMb: mb(totalBytes), budgetMb: mb(this.options.budgetBytes), logDir: this.options.logDir,
        what: 'the live log files alone exceed LOG_DIR_BUDGET_MB: raise it, or lower LOG_FILE_MAX_MB / PM2_LOG_MAX_MB, or LOG_LEVEL',
      });
    }
    return { rotated, deleted, totalBytes, budgetBytes: this.options.budgetBytes, overBudget };
  }

  private async rotatePm2Logs(): Promise<string[]> {
    const { logDir, pm2FileMaxBytes, pm2FilesKept, log } = this.options;
    const rotated: string[] = [];
    for (const name of safeReaddir(logDir)) {
      if (!PM2_APP_LOG.test(name)) continue;
      const file = path.join(logDir, name);
      if (sizeOf(file) < pm2FileMaxBytes) continue;
      try {
        shiftRotated(file, pm2FilesKept);
        fs.renameSync(file, `${file}.1`);
        rotated.push(file);
      } catch (error) {
        log.warn('pm2_log_rotation_failed', { file, error: errorMessage(error) });
      }
    }
    if (rotated.length > 0) {
      try {
        await this.options.reopenPm2Logs();
      } catch (error) {
        // PM2 keeps writing to the renamed files until it reopens them: retried at the next run (they are still big).
        log.warn('pm2_log_reopen_failed', { error: errorMessage(error) });
      }
      log.info('pm2_logs_rotated', { files: rotated.map((f) => path.basename(f)), maxMb: mb(pm2FileMaxBytes), kept: pm2FilesKept });
    }
    if (this.options.pm2Home) {
      const daemonLog = path.join(this.options.pm2Home, 'pm2.log');
      if (sizeOf(daemonLog) >= pm2FileMaxBytes) {
        try {
          shiftRotated(daemonLog, pm2FilesKept);
          fs.copyFileSync(daemonLog, `${daemonLog}.1`);
          fs.truncateSync(daemonLog, 0);
          rotated.push(daemonLog);
          log.info('pm2_daemon_log_rotated', { file: daemonLog });
        } catch (error) {
          log.warn('pm2_log_rotation_failed', { file: daemonLog, error: errorMessage(error) });
        }
      }
    }
    return rotated;
  }

  private enforceBudget(): string[] {
    const { logDir, budgetBytes, log } = this.options;
    let total = dirBytes(logDir);
    if (total <= budgetBytes) return [];
    const candidates = safeReaddir(logDir)
      .filter((name) => ROTATED.test(name))
      .map((name) => {
        const file = path.join(logDir, name);
        try {
          const stat = fs.statSync(file);
          return { file, bytes: stat.size, mtimeMs: stat.mtimeMs };
        } catch {
          return undefined;
        }
      })
      .filter((c): c is { file: string; bytes: number; mtimeMs: number } => c !== undefined)
      .sort((a, b) => a.mtimeMs - b.mtimeMs);
    const deleted: string[] = [];
    for (const candidate of candidates) {
      if (total <= budgetBytes) break;
      try {
        fs.rmSync(candidate.file, { force: true });
        total -= candidate.bytes;
        deleted.push(candidate.file);
      } catch (error) {
        log.warn('log_budget_delete_failed', { file: candidate.file, error: errorMessage(error) });
      }
    }
    if (deleted.length > 0) log.warn('log_budget_enforced', { deleted: deleted.map((f) => path.basename(f)), totalMb: mb(total), budgetMb: mb(budgetBytes) });
    return deleted;
  }
}

/** `<file>.(k-1)` → `.k` down to `.1` → `.2`; the one beyond `kept` is deleted. */
function shiftRotated(file: string, kept: number): void {
  fs.rmSync(`${file}.${kept}`, { force: true });
  for (let i = kept - 1; i >= 1; i--) {
    if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  }
}

/** Bytes of the regular files in a folder and its subfolders. */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const name of safeReaddir(dir)) {
    const file = path.join(dir, name);
    try {
      const stat = fs.lstatSync(file);
      if (stat.isDirectory()) total += dirBytes(file);
      else if (stat.isFile()) total += stat.size;
    } catch {
      // removed meanwhile (a rotation): not counted
    }
  }
  return total;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function mb(bytes: number): number {
  return Math.round((bytes / 1_048_576) * 10) / 10;
}
