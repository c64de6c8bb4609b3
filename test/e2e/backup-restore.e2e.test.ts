import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SystemHarness } from '../../scripts/harness/system-harness';
import { CHAOS_ENV } from '../../scripts/chaos/run-chaos';
import { inspectBackup } from '../../shared/ops/db-restore';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

function execIds(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT exec_id FROM trades ORDER BY exec_id').pluck().all() as string[];
  } finally {
    db.close();
  }
}

/**
 * `npm run db-backup` in the middle of a busy simulated day (the bots entering, protecting and exiting under
 * PM2), then the system stopped, `npm run db-restore` of that copy, and the system started on it: the copy
 * holds every fill booked up to its moment and nothing torn (integrity_check), the restore refuses while the
 * system runs, and the restored DB is one the bots start on.
 */
describe('backup during a busy day, restore into a working system', () => {
  const temp = makeTempDir('backup-e2e');
  let system: SystemHarness | undefined;

  afterAll(async () => {
    await system?.stop();
    temp.cleanup();
  }, 90_000);

  it('copies a consistent DB while the bots trade, refuses to restore under them, restores after npm stop, and the bots start on it', async () => {
    system = await SystemHarness.start({ dir: path.join(temp.dir, 'system'), speed: 60, dayStart: '09:25', startDay: '2026-11-23', seed: 3, env: { ...CHAOS_ENV, BACKUP_DIR: path.join(temp.dir, 'system', 'backups') } });
    const env = testEnv(system.env);
    await waitUntil(() => system!.query<{ n: number }>('SELECT COUNT(*) AS n FROM trades')[0]!.n >= 6, 240_000, 'six fills booked', 500);
    const backup = spawnSync(process.execPath, [distFile('scripts/db-backup.ts')], { env, encoding: 'utf8', timeout: 60_000 });
    expect(backup.status).toBe(0);
    const file = backup.stdout.trim();
    expect(inspectBackup(file)).toMatchObject({ ok: true, integrity: 'ok' });
    const copied = execIds(file);
    expect(copied.length).toBeGreaterThanOrEqual(6);
    // Everything in the copy is in the live DB (the copy is a moment of it, not a torn mix).
    const liveNow = new Set(execIds(system.env.DB_PATH!));
    expect(copied.every((id) => liveNow.has(id))).toBe(true);

    const refused = spawnSync(process.execPath, [distFile('scripts/db-restore.ts'), file], { env, encoding: 'utf8', timeout: 60_000 });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refused: .* still run/);

    await system.stop();
    const restored = spawnSync(process.execPath, [distFile('scripts/db-restore.ts'), file], { env, encoding: 'utf8', timeout: 60_000 });
    expect(restored.stderr).toBe('');
    expect(restored.status).toBe(0);
    expect(execIds(system.env.DB_PATH!)).toEqual(copied);

    // A fresh system (same folders, DB, simulator state) on the restored DB.
    system = await SystemHarness.start({ dir: path.join(temp.dir, 'system'), speed: 60, dayStart: '09:25', startDay: '2026-11-24', seed: 3, env: { ...CHAOS_ENV, BACKUP_DIR: path.join(temp.dir, 'system', 'backups') } });
    const beats = system.query<{ app: string }>("SELECT app FROM heartbeats WHERE state = 'ready' AND beat_at_ms > ?", Date.now() - 5_000).map((b) => b.app);
    expect(beats).toEqual(expect.arrayContaining(['exit-manager', 'day-trader', 'reconciler', 'supervisor']));
    const after = new Set(execIds(system.env.DB_PATH!));
    expect(copied.every((id) => after.has(id))).toBe(true);
  }, 600_000);
});
