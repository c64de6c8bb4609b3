import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatewayRestartWindow, inRestartWindow } from '../../../apps/supervisor/gateway-window';
import { ClockWatch, DiskWatch, diskFindings, type FsStats } from '../../../apps/supervisor/host-checks';
import { loadConfig } from '../../../shared/config/load-config';
import { memoryLogger } from '../../../shared/log/logger';
import { backupsToPrune } from '../../../shared/ops/backup-files';
import { triggersForDay } from '../../../shared/schedule';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { memoryTrends, slope, type SoakDay } from '../../../scripts/soak/soak-figures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibdt-ops-unit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the gateway restart window', () => {
  const config = { restartTime: '23:45', restartWindowMinutes: 10, graceMs: 30_000 };

  it('is the configured New York minutes, across midnight, and off with none', () => {
    expect(inRestartWindow(newYorkTime('2026-11-23', '23:44'), config)).toBe(false);
    expect(inRestartWindow(newYorkTime('2026-11-23', '23:45'), config)).toBe(true);
    expect(inRestartWindow(newYorkTime('2026-11-23', '23:54'), config)).toBe(true);
    expect(inRestartWindow(newYorkTime('2026-11-23', '23:55'), config)).toBe(false);
    const late = { ...config, restartTime: '23:55' };
    expect(inRestartWindow(newYorkTime('2026-11-24', '00:04'), late)).toBe(true);
    expect(inRestartWindow(newYorkTime('2026-11-24', '00:05'), late)).toBe(false);
    expect(inRestartWindow(newYorkTime('2026-11-23', '23:50'), { ...config, restartTime: 'none' })).toBe(false);
  });

  it('an outage in the window is expected; the same outage past the window and the grace is "not back", once; another outage is not its business', () => {
    const window = new GatewayRestartWindow(config);
    const downSince = 1_000_000;
    expect(window.judge('exit-manager', downSince, newYorkTime('2026-11-23', '23:46'), 2_000_000)).toEqual({ kind: 'expected', firstSeen: true });
    expect(window.judge('exit-manager', downSince, newYorkTime('2026-11-23', '23:50'), 2_100_000)).toEqual({ kind: 'expected', firstSeen: false });
    expect(window.judge('exit-manager', downSince, newYorkTime('2026-11-23', '23:56'), 3_000_000)).toEqual({ kind: 'returning' });
    expect(window.judge('exit-manager', downSince, newYorkTime('2026-11-23', '23:57'), 3_029_000)).toEqual({ kind: 'returning' });
    expect(window.judge('exit-manager', downSince, newYorkTime('2026-11-23', '23:58'), 3_030_000)).toEqual({ kind: 'not_back', windowEndedRealMs: 3_000_000, firstTime: true });
    expect(window.judge('exit-manager', downSince, newYorkTime('2026-11-23', '23:59'), 3_040_000)).toMatchObject({ kind: 'not_back', firstTime: false });
    // A new outage (another down-since stamp) after the window: judged by the ordinary rule.
    expect(window.judge('day-trader', 5_000_000, newYorkTime('2026-11-24', '10:00'), 6_000_000)).toEqual({ kind: 'unrelated' });
    expect(window.connected('exit-manager')).toBe(true);
    expect(window.connected('exit-manager')).toBe(false);
  });
});

describe('the supervisor\'s disk watch (injected statfs)', () => {
  const config = loadConfig({ env: { DB_PATH: path.join(dir, 'data', 'trading.db'), LOG_DIR: path.join(dir, 'logs'), BACKUP_DIR: path.join(dir, 'data', 'backups'), DISK_WARN_FREE_PCT: '10', DISK_WARN_FREE_MB: '100' } });
  const stats = (freeBlocks: number): FsStats => ({ bsize: 4096, blocks: 262_144, bavail: freeBlocks }); // a 1 GiB filesystem

  it('reports one filesystem once, low below the percentage or the MB floor', () => {
    const findings = diskFindings([{ holds: 'db', dir }, { holds: 'logs', dir }], () => stats(20_000), 10, 100);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ holds: 'db+logs', low: true }); // 78 MB free: 7.6 %
    expect(diskFindings([{ holds: 'db', dir }], () => stats(60_000), 10, 100)[0]!.low).toBe(false); // 234 MB, 22.9 %
    expect(diskFindings([{ holds: 'db', dir }], () => stats(60_000), 10, 500)[0]!.low).toBe(true); // under the MB floor
  });

  it('logs, records an event with a disk_space_low alert once an hour, and says when space is back', () => {
    let free = 20_000;
    const log = memoryLogger();
    const recorded: Array<{ event: string; alert?: { kind: string; dedupeKey: string; severity: string } }> = [];
    let nowMs = Date.parse('2026-11-23T15:00:00Z');
    const watch = new DiskWatch({
      config, clock: new ManualClock(newYorkTime('2026-11-23', '10:00')), log, statfs: () => stats(free), realNowMs: () => nowMs,
      record: (event, _fields, _level, alert) => recorded.push({ event, alert }),
    });
    expect(watch.check().filesystems[0]).toMatchObject({ low: true });
    nowMs += 60_000;
    watch.check();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ event: 'disk_space_low', alert: { kind: 'disk_space_low', severity: 'warning' } });
    expect(log.lines.filter((l) => l.event === 'disk_space_low')).toHaveLength(2);
    nowMs += 3_600_000;
    watch.check();
    expect(recorded).toHaveLength(2); // the next hour: told again
    free = 100_000;
    expect(watch.check().filesystems[0]).toMatchObject({ low: false });
    expect(log.lines.filter((l) => l.event === 'disk_space_ok')).toHaveLength(1);
  });
});

describe('the supervisor\'s clock watch', () => {
  const config = loadConfig({ env: { CLOCK_DRIFT_WARN_MS: '2000' } });

  it('warns past the limit (beyond the measurement\'s uncertainty), stays quiet within it, and says when the gateway is not reachable', async () => {
    const log = memoryLogger();
    const recorded: string[] = [];
    let sample = { differenceMs: 4_700, uncertaintyMs: 600, skewMs: 4_100 };
    const watch = new ClockWatch({ config, clock: new ManualClock(newYorkTime('2026-11-23', '10:00')), log, record: (event, _f, _l, alert) => recorded.push(`${event}:${alert?.kind}`) }, async () => sample);
    expect(await watch.check()).toMatchObject({ drifting: true, skewMs: 4_100 });
    expect(recorded).toEqual(['clock_drift:clock_drift']);
    sample = { differenceMs: 900, uncertaintyMs: 600, skewMs: 300 };
    expect(await watch.check()).toMatchObject({ drifting: false });
    const unreachable = new ClockWatch({ config, clock: new ManualClock(0), log, record: () => undefined }, async () => {
      throw new Error('the gateway did not answer');
    });
    expect(await unreachable.check()).toMatchObject({ drifting: false, skewMs: null, problem: 'the gateway did not answer' });
  });
});

describe('ENV_FILE', () => {
  it('holds the configuration as NAME=value lines; the environment wins; unknown names are problems', () => {
    const file = path.join(dir, 'ib-daytrader.env');
    fs.writeFileSync(file, '# the server\'s settings\nMODE=PAPER\nexport IB_ACCOUNT="DU1234567"\nIB_PORT=4002\nPM2_HOME=/home/trader/.pm2\nBACKUP_KEEP=\'20\'\n');
    const config = loadConfig({ env: { ENV_FILE: file, IB_PORT: '4102' } });
    expect(config.mode).toBe('PAPER');
    expect(config.ib.account).toBe('DU1234567');
    expect(config.ib.port).toBe(4102);
    expect(config.backup.keep).toBe(20);
    fs.appendFileSync(file, 'MOED=LIVE\nthis is not a setting\n');
    expect(() => loadConfig({ env: { ENV_FILE: file } })).toThrow(/line 7: MOED is not a configuration variable[\s\S]*line 8: expected NAME=value/);
    expect(() => loadConfig({ env: { ENV_FILE: path.join(dir, 'missing.env') } })).toThrow(/ENV_FILE .*missing.env cannot be read/);
  });
});

describe('the daily backup in the schedule', () => {
  it('is due at the close + BACKUP_AFTER_CLOSE_MIN, from the early close too, and only when configured', () => {
    const config = { scanTimes: ['09:35'], reconcileAfterCloseMinutes: 5, reportAfterCloseMinutes: 10, backupAfterCloseMinutes: 12 };
    const backup = (day: string) => triggersForDay(day, config).find((t) => t.kind === 'BACKUP');
    expect(backup('2026-11-23')).toMatchObject({ key: '2026-11-23:backup', dueAtMs: newYorkTime('2026-11-23', '16:12') });
    expect(backup('2026-11-27')).toMatchObject({ dueAtMs: newYorkTime('2026-11-27', '13:12') });
    expect(backup('2026-11-26')).toBeUndefined(); // Thanksgiving
    expect(triggersForDay('2026-11-23', { ...config, backupAfterCloseMinutes: undefined }).some((t) => t.kind === 'BACKUP')).toBe(false);
    expect(backupsToPrune([{ file: 'a', day: '2026-11-25', manifest: '' }, { file: 'b', day: '2026-11-24', manifest: '' }, { file: 'c', day: '2026-11-23', manifest: '' }], 2).map((b) => b.file)).toEqual(['c']);
  });
});

describe('the soak figures', () => {
  const day = (index: number, rss: number): SoakDay => ({
    index, tradingDay: `d${index}`, notes: [], realSeconds: 60, violations: 0, violationSamples: [], entries: 10, closed: 10, tradesTotal: index * 30,
    dbBytes: index * 1_000_000, logBytes: index * 500_000, backups: 1, backupOk: true, reportsWritten: 2,
    processes: { 'exit-manager': { rssEndMb: rss, rssMaxMb: rss, loopDelayP99Ms: 5, loopDelayMaxMs: 9, restarts: 0 } },
  });

  it('measures the memory slope after the warm-up days, and DB growth per trade', () => {
    expect(slope([{ x: 1, y: 2 }, { x: 2, y: 4 }, { x: 3, y: 6 }])).toBeCloseTo(2);
    const flat = memoryTrends([day(1, 60), day(2, 75), day(3, 80), day(4, 82), day(5, 81), day(6, 82), day(7, 82)]);
    expect(flat[0]!.slopeMbPerDay).toBeCloseTo(0.1, 5);
    const leaking = memoryTrends([1, 2, 3, 4, 5, 6, 7].map((i) => day(i, 80 + 2 * i)));
    expect(leaking[0]!.slopeMbPerDay).toBeCloseTo(2, 5);
  });
});
