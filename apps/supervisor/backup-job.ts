import { spawn } from 'node:child_process';
import path from 'node:path';
import type { FiredTrigger } from '../../shared/schedule';

/** The compiled `npm run db-backup` (dist/scripts/db-backup.js beside dist/apps/supervisor). */
export const DB_BACKUP_SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'db-backup.js');

/**
 * The schedule's BACKUP trigger: `npm run db-backup`'s own code in a child process, so the copy (one
 * backup step of the whole DB, synchronous in its process) never stops the supervisor's event loop, and the
 * scheduled backup is exactly the manual one. Resolves to the summary the script printed; rejects with
 * what it said on failure.
 */
export function runBackupProcess(trigger: FiredTrigger, env: NodeJS.ProcessEnv = process.env, script = DB_BACKUP_SCRIPT): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--json', '--trading-day', trigger.tradingDay], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      let result: Record<string, unknown> | undefined;
      try {
        result = line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
      } catch {
        result = undefined;
      }
      if (code === 0 && result?.ok) {
        resolve({ file: result.file, bytes: result.bytes, durationMs: result.durationMs, integrity: result.integrity, schemaVersion: result.schemaVersion, pruned: result.pruned, counts: result.counts });
        return;
      }
      const problems = Array.isArray(result?.problems) ? (result!.problems as string[]).join('; ') : '';
      reject(new Error(`db-backup exited ${signal ?? code}: ${problems || stderr.trim().slice(-500) || 'no output'}`));
    });
  });
}
