import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeRecoveryAttempt, waitForWorking, type RecoveryProbe } from '../../../scripts/chaos/process-control';
import { firedCrashPoints } from '../../../shared/process/crash-points';

/** A probe over fixed log lines and a fixed heartbeat row. */
function probeOf(lines: Array<{ event: string; pid: number; atMs: number }>, heartbeat?: { pid: number; progressAtMs: number; protecting: boolean }): RecoveryProbe {
  return {
    linesOf: (_app, event, sinceMs = 0) => lines.filter((l) => l.event === event && l.atMs >= sinceMs),
    heartbeat: () => heartbeat && { app: 'exit-manager', pid: heartbeat.pid, state: 'ready', beat_at_ms: Date.now(), progress_at_ms: heartbeat.progressAtMs, broker_connected: 1, detail: JSON.stringify({ protecting: heartbeat.protecting }) },
  };
}

describe('waitForWorking (a killed bot back and working)', () => {
  it('finds a restart that was ready before the death was observed (PM2 reaped the pid late), and counts it as instant', async () => {
    // Armed at 1,000; the process died at 1,100 and restarted by 1,300; the observer saw the pid gone only at 1,500.
    const probe = probeOf([
      { event: 'ready', pid: 7, atMs: 1_300 },
      { event: 'protection_resynced', pid: 7, atMs: 1_290 },
    ], { pid: 7, progressAtMs: 1_320, protecting: true });
    const recovery = await waitForWorking(probe, 'exit-manager', 6, 1_500, 200, 1_000);
    expect(recovery).toEqual({ newPid: 7, readyMs: 0, workingMs: 0, heartbeatWorkingMs: expect.any(Number) });
  });

  it('does not take the old pid for the restart', async () => {
    const probe = probeOf([{ event: 'ready', pid: 6, atMs: 1_300 }, { event: 'protection_resynced', pid: 6, atMs: 1_290 }], { pid: 6, progressAtMs: 1_320, protecting: true });
    expect(await waitForWorking(probe, 'exit-manager', 6, 1_000, 50)).toBeUndefined();
  });

  it('says which step a failed recovery stopped at', () => {
    const probe = probeOf([{ event: 'starting', pid: 7, atMs: 1_200 }, { event: 'broker_connected', pid: 7, atMs: 1_250 }], { pid: 7, progressAtMs: 1_260, protecting: false });
    const text = describeRecoveryAttempt(probe, 'exit-manager', 6, 1_000);
    expect(text).toContain('pid 7: starting +200 ms, broker_connected +250 ms');
    expect(text).toContain('"protecting":false');
  });
});

describe('crash points record the moment of death', () => {
  it('reads name, pid and time of each fired point, ignoring a torn last line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-points-'));
    const file = path.join(dir, 'crash-points');
    fs.writeFileSync(`${file}.fired`, 'exit-manager:before-protection\t41\t1700\nday-trader:after-entry-order-sent\t42\t1800\nexit-man');
    expect(firedCrashPoints(file)).toEqual([
      { name: 'exit-manager:before-protection', pid: 41, atMs: 1_700 },
      { name: 'day-trader:after-entry-order-sent', pid: 42, atMs: 1_800 },
    ]);
    expect(firedCrashPoints(path.join(dir, 'none'))).toEqual([]);
  });
});
