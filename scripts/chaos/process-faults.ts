import type { FaultContext, FaultResult } from './fault-context';
import type { BotApp, CrashPointName, HangableApp } from './fault-schedule';
import { openByHand, priceJump } from './market-faults';
import { firedCrashPoints } from '../../shared/process/crash-points';
import { describeRecoveryAttempt, disarmCrashPoint, isAlive, pollUntil, signal, waitForWorking, type Recovery } from './process-control';
import type { HeartbeatRow } from './system-monitor';

const RECOVERY_TIMEOUT_MS = 30_000;

/** The running instance of a bot: its heartbeat says ready and its pid exists (waits a little after a restart). */
async function runningInstance(ctx: FaultContext, app: BotApp): Promise<HeartbeatRow | undefined> {
  return pollUntil(() => {
    const hb = ctx.monitor.heartbeat(app);
    return hb && hb.state === 'ready' && isAlive(hb.pid) && Date.now() - hb.beat_at_ms < 2_500 ? hb : undefined;
  }, 15_000, 20);
}

function recoveryMeasurements(recovery: Recovery | undefined): FaultResult['measurements'] {
  return { newPid: recovery?.newPid ?? null, killToReadyMs: recovery?.readyMs ?? null, killToWorkingMs: recovery?.workingMs ?? null, killToHeartbeatWorkingMs: recovery?.heartbeatWorkingMs ?? null };
}

/** SIGKILL (a power cut for one process): PM2 restarts it; measured until the new instance works. */
export async function killBot(ctx: FaultContext, app: BotApp): Promise<FaultResult> {
  const hb = await runningInstance(ctx, app);
  if (!hb) return { outcome: 'skipped', target: app, measurements: {}, note: `${app} was not running and ready` };
  const killedAtMs = Date.now();
  signal(hb.pid, 'SIGKILL');
  const recovery = await waitForWorking(ctx.monitor, app, hb.pid, killedAtMs, RECOVERY_TIMEOUT_MS);
  if (!recovery) ctx.violate('botsRecover', `${app} (pid ${hb.pid}) SIGKILLed at ${new Date(killedAtMs).toISOString()} was not back and working within ${RECOVERY_TIMEOUT_MS / 1000} s; ${describeRecoveryAttempt(ctx.monitor, app, hb.pid, killedAtMs)}`);
  return { outcome: 'injected', target: app, measurements: { killedPid: hb.pid, ...recoveryMeasurements(recovery) } };
}

/**
 * SIGKILL at a named point of the code (shared/process/crash-points.ts): an order in flight when the process
 * dies. The exit manager's points need a new position to protect. When none comes: under
 * FOREIGN_POSITIONS=ignore a position bought by hand is left alone, so a price gap through a held position's
 * stop frees a slot for the next entry; under protect/adopt a position bought by hand is protected at once.
 */
export async function killInFlight(ctx: FaultContext, app: 'exit-manager' | 'day-trader', crashPoint: CrashPointName): Promise<FaultResult> {
  const hb = await runningInstance(ctx, app);
  if (!hb) return { outcome: 'skipped', target: app, measurements: {}, note: `${app} was not running and ready` };
  const armedAtMs = Date.now();
  ctx.system.armCrashPoint(crashPoint);
  // The moment of death as the dying process recorded it; whether the pid still exists is only a fallback
  // (it does until PM2 reaps it, which on a busy machine can come after the restarted process is ready).
  const crashPointsFile = ctx.system.env.CRASH_POINTS_FILE!;
  const died = () => firedCrashPoints(crashPointsFile).find((f) => f.pid === hb.pid && f.name === crashPoint)?.atMs ?? (!isAlive(hb.pid) ? Date.now() : undefined);
  let diedAtMs = await pollUntil(died, app === 'exit-manager' ? 10_000 : 20_000, 5);
  let trigger = 'natural';
  if (diedAtMs === undefined && app === 'exit-manager') {
    if (ctx.monitor.book.policy === 'ignore') {
      const jump = await priceJump(ctx, 'stop', 2_000);
      trigger = jump.target ? `stop of ${jump.target} gapped through (a slot for a new entry)` : 'none available';
    } else {
      const opened = await openByHand(ctx, ctx.random.int(10, 40));
      trigger = opened ? `manual-open ${opened.symbol}` : 'none available';
    }
    diedAtMs = await pollUntil(died, 12_000, 5);
  }
  if (diedAtMs === undefined) {
    disarmCrashPoint(crashPointsFile, crashPoint);
    diedAtMs = died();
    if (diedAtMs === undefined) return { outcome: 'not-reached', target: app, measurements: { crashPoint, trigger }, note: 'no order was sent while the crash point was armed; disarmed' };
  }
  const recovery = await waitForWorking(ctx.monitor, app, hb.pid, diedAtMs, RECOVERY_TIMEOUT_MS, armedAtMs);
  if (!recovery) ctx.violate('botsRecover', `${app} (pid ${hb.pid}) killed at crash point ${crashPoint} was not back and working within ${RECOVERY_TIMEOUT_MS / 1000} s; ${describeRecoveryAttempt(ctx.monitor, app, hb.pid, armedAtMs)}`);
  const measurements: FaultResult['measurements'] = { crashPoint, trigger, killedPid: hb.pid, ...recoveryMeasurements(recovery) };
  if (app === 'day-trader' && recovery) {
    // The restarted day-trader must settle the entry it died on from the broker (by orderRef) before anything new.
    const resolved = await pollUntil(() => ctx.monitor.linesOf('day-trader', 'entries_resolved', armedAtMs).find((l) => l.pid === recovery.newPid), 10_000, 50);
    measurements.entriesResolvedRows = resolved ? Number(resolved.rows) : null;
    measurements.entriesResolvedBooked = resolved ? Number(resolved.booked) : null;
  }
  return { outcome: 'injected', target: app, measurements };
}

/**
 * SIGSTOP: the process exists but does nothing (a hang). The supervisor must notice the stale heartbeat,
 * SIGKILL it, and PM2 restart it. Detection is read from the supervisor's own `bot_unhealthy` line.
 */
export async function hangBot(ctx: FaultContext, app: HangableApp): Promise<FaultResult> {
  const hb = await runningInstance(ctx, app);
  if (!hb) return { outcome: 'skipped', target: app, measurements: {}, note: `${app} was not running and ready` };
  const stoppedAtMs = Date.now();
  signal(hb.pid, 'SIGSTOP');
  const unhealthyLine = () => ctx.monitor.linesOf('supervisor', 'bot_unhealthy', stoppedAtMs - 50).find((l) => l.target === app && Number(l.pid) === hb.pid);
  let detected = await pollUntil(() => {
    const line = unhealthyLine();
    if (line) return { atMs: line.atMs, via: 'supervisor bot_unhealthy', reason: String(line.reason) };
    return isAlive(hb.pid) ? undefined : { atMs: Date.now(), via: 'pid gone', reason: '' };
  }, 20_000, 20);
  if (detected?.via === 'pid gone') {
    // The supervisor logs before it kills, but the line reaches the file a moment later: prefer its own timestamp.
    const line = await pollUntil(unhealthyLine, 1_000, 20);
    if (line) detected = { atMs: line.atMs, via: 'supervisor bot_unhealthy', reason: String(line.reason) };
  }
  const recovery = detected ? await waitForWorking(ctx.monitor, app, hb.pid, stoppedAtMs, RECOVERY_TIMEOUT_MS) : undefined;
  const resumed = isAlive(hb.pid) && signal(hb.pid, 'SIGCONT');
  if (!detected) ctx.violate('hangDetected', `${app} (pid ${hb.pid}) stopped with SIGSTOP at ${new Date(stoppedAtMs).toISOString()} was not detected within 20 s; resumed with SIGCONT`);
  else if (!recovery) ctx.violate('botsRecover', `${app} hung (pid ${hb.pid}) was detected but no new instance was working within ${RECOVERY_TIMEOUT_MS / 1000} s; ${describeRecoveryAttempt(ctx.monitor, app, hb.pid, stoppedAtMs)}`);
  return {
    outcome: 'injected', target: app,
    measurements: {
      stoppedPid: hb.pid, detectionMs: detected ? detected.atMs - stoppedAtMs : null, detectedVia: detected?.via ?? null, reason: detected?.reason ?? null,
      hangToWorkingMs: recovery?.workingMs ?? null, hangToHeartbeatWorkingMs: recovery?.heartbeatWorkingMs ?? null, newPid: recovery?.newPid ?? null, resumedWithSigcont: resumed,
    },
  };
}
