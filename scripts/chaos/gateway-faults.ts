import type { FaultSpec } from './fault-schedule';
import type { FaultContext, FaultResult } from './fault-context';
import { pollUntil, sleep } from './process-control';

const BROKER_BOTS = ['exit-manager', 'day-trader', 'reconciler'] as const;
const RECONNECT_TIMEOUT_MS = 60_000;

interface Reconnection {
  /** Real ms of each bot's `broker_connected` line after the fault started. */
  connectedAtMs: Partial<Record<(typeof BROKER_BOTS)[number], number>>;
  /** The exit manager's resync after the reconnect (it protects again from complete snapshots). */
  emResyncedAtMs?: number;
}

/**
 * Waits until every bot reconnected and (unless `requireResync` is false: a fault that makes the resync
 * fail on purpose) the exit manager resynced, both read from their logs.
 */
async function waitReconnected(ctx: FaultContext, sinceMs: number, requireResync = true): Promise<Reconnection> {
  const result: Reconnection = { connectedAtMs: {} };
  await pollUntil(() => {
    for (const app of BROKER_BOTS) {
      if (result.connectedAtMs[app] !== undefined) continue;
      const line = ctx.monitor.linesOf(app, 'broker_connected', sinceMs)[0];
      if (line) result.connectedAtMs[app] = line.atMs;
    }
    result.emResyncedAtMs ??= ctx.monitor.linesOf('exit-manager', 'protection_resynced', sinceMs).find((l) => l.trigger === 'reconnected')?.atMs;
    return BROKER_BOTS.every((app) => result.connectedAtMs[app] !== undefined) && (result.emResyncedAtMs !== undefined || !requireResync);
  }, RECONNECT_TIMEOUT_MS, 20);
  return result;
}

function reconnectMeasurements(r: Reconnection, gatewayBackMs: number): FaultResult['measurements'] {
  const all = BROKER_BOTS.map((app) => r.connectedAtMs[app]);
  return {
    backToEmConnectedMs: r.connectedAtMs['exit-manager'] !== undefined ? r.connectedAtMs['exit-manager']! - gatewayBackMs : null,
    backToEmProtectingMs: r.emResyncedAtMs !== undefined ? r.emResyncedAtMs - gatewayBackMs : null,
    backToAllConnectedMs: all.every((t) => t !== undefined) ? Math.max(...(all as number[])) - gatewayBackMs : null,
  };
}

/**
 * A gateway restart (IB Gateway's daily one, or a crash): every connection drops, new ones are refused for
 * downMs, the account comes back from disk. Optionally with a quirk from architecture.md's lessons armed:
 * order ids going backwards, or every execution replayed to reconnecting clients.
 */
export async function restartGateway(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'gateway-restart' | 'gateway-outage' | 'ids-backwards' | 'replay-executions' }>): Promise<FaultResult> {
  const quirk = spec.kind === 'ids-backwards' ? 'ids-backwards' : spec.kind === 'replay-executions' ? 'replay-executions' : undefined;
  if (quirk) await ctx.system.admin(`POST /quirks/${quirk}`, { on: true });
  const startedMs = Date.now();
  const endBlind = ctx.monitor.tracker.beginBlindWindow(startedMs, spec.kind);
  await ctx.system.admin('POST /faults/restart', { downMs: spec.downMs });
  const backMs = Date.now();
  // The quirk takes effect at the restart and stays active until the next one; disarm it so the next restart is plain.
  if (quirk) await ctx.system.admin(`POST /quirks/${quirk}`, { on: false });
  const reconnection = await waitReconnected(ctx, startedMs);
  endBlind(reconnection.connectedAtMs['exit-manager'] ?? Date.now());
  const measurements: FaultResult['measurements'] = { downMs: spec.downMs, ...reconnectMeasurements(reconnection, backMs) };
  if (spec.kind === 'ids-backwards') {
    const seen = BROKER_BOTS.map((app) => ctx.monitor.linesOf(app, 'broker_connected', startedMs)[0]?.nextValidId);
    measurements.nextValidIdsSeen = seen.map(String).join(' ');
  }
  if (spec.kind === 'gateway-outage') {
    // "Broker disconnected for more than N seconds during market hours" must be said loudly.
    const alert = await pollUntil(() => ctx.monitor.linesOf('supervisor', 'broker_down_alert', startedMs)[0], 5_000, 100);
    measurements.brokerDownAlert = alert !== undefined;
    if (!alert) ctx.violate('brokerOutageReported', `the gateway was down ${spec.downMs} ms in market hours and the supervisor raised no broker_down_alert`);
  }
  if (BROKER_BOTS.some((app) => reconnection.connectedAtMs[app] === undefined)) {
    ctx.violate('botsRecover', `after a ${spec.kind} not every bot reconnected within ${RECONNECT_TIMEOUT_MS / 1000} s: ${BROKER_BOTS.filter((a) => reconnection.connectedAtMs[a] === undefined).join(', ')}`);
  }
  return { outcome: 'injected', measurements };
}

/**
 * A gateway that keeps the socket open but says nothing (frozen). Shorter than the bots' liveness tolerance
 * nobody may drop the connection; longer, every bot must declare it dead and reconnect.
 */
export async function silenceGateway(ctx: FaultContext, seconds: number, detectable: boolean): Promise<FaultResult> {
  const startedMs = Date.now();
  const endBlind = ctx.monitor.tracker.beginBlindWindow(startedMs, 'gateway-silence');
  await ctx.system.admin('POST /faults/silence', { on: true, seconds });
  await sleep(seconds * 1000);
  const answeringMs = Date.now();
  const measurements: FaultResult['measurements'] = { seconds, detectable };
  if (!detectable) {
    await sleep(1_000);
    endBlind(answeringMs);
    const dropped = BROKER_BOTS.filter((app) => ctx.monitor.linesOf(app, 'broker_disconnected', startedMs).length > 0);
    measurements.falseDisconnects = dropped.join(' ');
    if (dropped.length) ctx.violate('noFalseDisconnect', `a ${seconds} s silence (below the liveness tolerance) made ${dropped.join(', ')} drop the connection`);
    return { outcome: 'injected', measurements };
  }
  const reconnection = await waitReconnected(ctx, startedMs);
  endBlind(reconnection.connectedAtMs['exit-manager'] ?? Date.now());
  for (const app of BROKER_BOTS) {
    // The liveness probe's verdict, or (the reconciler) its own requests going unanswered, which drops the
    // link before the probe's timeout: both declare the silent gateway dead.
    const silent = ctx.monitor.linesOf(app, 'broker_silent', startedMs)[0]
      ?? ctx.monitor.linesOf(app, 'broker_disconnected', startedMs).find((l) => /unanswered/.test(String(l.reason ?? '')));
    measurements[`${app}DetectedMs`] = silent ? silent.atMs - startedMs : null;
    if (!silent) ctx.violate('gatewayLivenessDetected', `${app} did not declare a gateway silent for ${seconds} s dead (no broker_silent line, no link dropped for unanswered requests)`);
  }
  Object.assign(measurements, reconnectMeasurements(reconnection, answeringMs));
  return { outcome: 'injected', measurements };
}

/**
 * Every API connection dropped at once (a network blip): bots reconnect, resync, and double nothing.
 * Inside another fault (`inside`: a late answer armed to make the resync fail) the caller counts the time
 * as a gateway fault itself and waits only for the reconnections.
 */
export async function dropConnections(ctx: FaultContext, inside = false): Promise<FaultResult> {
  const startedMs = Date.now();
  const endBlind = inside ? () => undefined : ctx.monitor.tracker.beginBlindWindow(startedMs, 'drop-connections');
  const { dropped } = await ctx.system.admin<{ dropped: number }>('POST /faults/drop-connections');
  const reconnection = await waitReconnected(ctx, startedMs, !inside);
  endBlind(reconnection.connectedAtMs['exit-manager'] ?? Date.now());
  return { outcome: 'injected', measurements: { dropped, ...reconnectMeasurements(reconnection, startedMs) } };
}

