import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DiskWatch } from '../../../apps/supervisor/host-checks';
import { loadConfig } from '../../../shared/config/load-config';
import { openDatabase } from '../../../shared/db';
import { AlertsOutboxRepository } from '../../../shared/db/repositories/alerts-outbox-repository';
import { EventsRepository } from '../../../shared/db/repositories/events-repository';
import { memoryLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

/**
 * The disk watch on a real, small filesystem: a 4 MB tmpfs holding the DB and the logs, filled until less
 * than 10 % is free. Needs root and `mount -t tmpfs` (as the log-disk-full test does); elsewhere the suite
 * is skipped and says why (the same logic runs on an injected statfs in test/unit/ops).
 */
const temp = makeTempDir('disk-full');
const mountPoint = path.join(temp.dir, 'small');
fs.mkdirSync(mountPoint, { recursive: true });
const canMount = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { encoding: 'utf8' });
  return result.status === 0 ? undefined : `mount -t tmpfs failed: ${(result.stderr || result.error?.message || '').trim()}`;
})();
if (canMount) process.stderr.write(`SKIPPED "disk nearly full on a real tmpfs": ${canMount}\n`);
const suite = canMount ? describe.skip : describe;

suite(`disk nearly full on a real tmpfs${canMount ? ` (skipped: ${canMount})` : ''}`, () => {
  afterAll(() => {
    spawnSync('umount', [mountPoint]);
    temp.cleanup();
  });

  it('warns in the log, in events and through the alerts outbox when the DB\'s filesystem is nearly full, and says when it is not', () => {
    const dbPath = path.join(mountPoint, 'trading.db');
    const config = loadConfig({ env: { DB_PATH: dbPath, LOG_DIR: path.join(mountPoint, 'logs'), BACKUP_DIR: path.join(mountPoint, 'backups'), DISK_WARN_FREE_PCT: '10', DISK_WARN_FREE_MB: '0' } });
    const db = openDatabase(dbPath);
    const clock = new ManualClock(newYorkTime('2026-11-23', '10:00'));
    const alerts = new AlertsOutboxRepository(db, clock, 'supervisor');
    const log = memoryLogger();
    const watch = new DiskWatch({
      config, clock, log,
      record: (event, fields, level, alert) => (alert ? alerts.recordEventWithAlert({ event, data: fields, level }, alert) : new EventsRepository(db, clock).record('supervisor', event, fields, null, level)),
    });
    expect(watch.check().filesystems).toEqual([expect.objectContaining({ holds: 'db+logs+backups', low: false })]);
    const filler = path.join(mountPoint, 'filler.bin');
    const statfs = fs.statfsSync(mountPoint);
    // Leave about 5 % of the filesystem free.
    fs.writeFileSync(filler, Buffer.alloc(Math.floor(statfs.bavail * statfs.bsize - 0.05 * statfs.blocks * statfs.bsize)));
    const low = watch.check().filesystems[0]!;
    expect(low.low).toBe(true);
    expect(low.freePct).toBeLessThan(10);
    expect(log.lines.find((l) => l.event === 'disk_space_low')?.fields).toMatchObject({ holds: 'db+logs+backups', path: mountPoint });
    expect(db.prepare("SELECT COUNT(*) FROM events WHERE event = 'disk_space_low' AND level = 'warn'").pluck().get()).toBe(1);
    expect(alerts.recent(5).map((a) => a.kind)).toEqual(['disk_space_low']);
    fs.rmSync(filler);
    expect(watch.check().filesystems[0]!.low).toBe(false);
    expect(log.lines.some((l) => l.event === 'disk_space_ok')).toBe(true);
    db.close();
  });
});

if (canMount) afterAll(() => temp.cleanup());
