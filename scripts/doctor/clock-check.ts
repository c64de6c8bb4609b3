import type { BrokerPort } from '../../shared/broker/types';
import type { Clock } from '../../shared/time/clock';
import { formatNewYork } from '../../shared/time/trading-calendar';
import { check, type CheckResult } from './doctor-model';

export const SKEW_WARN_MS = 2_000;
export const SKEW_FAIL_MS = 30_000;
/** reqCurrentTime answers whole seconds (truncated): half a second either way, once centred. */
const SECOND_RESOLUTION_MS = 500;

export interface ClockSample {
  /** The gateway's time (market time in SIM), epoch ms at second resolution. */
  gatewayMs: number;
  /** Our clock (the same compressed market clock the bots use in SIM) halfway through the request. */
  localMs: number;
  /** Our clock's advance during the request (market ms), which bounds when the gateway read its clock. */
  requestSpanMs: number;
}

export async function sampleClock(broker: BrokerPort, clock: Clock): Promise<ClockSample> {
  const before = clock.now();
  const gatewayMs = await broker.currentTime();
  const after = clock.now();
  return { gatewayMs, localMs: (before + after) / 2, requestSpanMs: after - before };
}

export interface ClockContext {
  mode: string;
  clock: Clock;
  /** SIM only: the anchor file of the compressed clock is missing, so "our" clock is the wall clock. */
  simAnchorMissing?: string;
}

/**
 * The gateway's reqCurrentTime against this machine's clock — in SIM against the compressed market clock the
 * bots compute from SIM_CLOCK_FILE, not wall time. The skew counted is what remains after the measurement's
 * own uncertainty (second resolution, the request's duration), so a slow answer is not mistaken for a skew.
 * Over 2 s warns, over 30 s fails: the trading day, the entry cut-off and the end-of-day flatten are all
 * computed from this machine's clock. Pure.
 */
export function clockCheck(sample: ClockSample | undefined, context: ClockContext, problem?: string): CheckResult {
  if (!sample) return check('clock', 'warn', `not checked: the gateway did not answer reqCurrentTime${problem ? ` (${problem})` : ''}`, { action: 'run npm run doctor again' });
  const differenceMs = sample.gatewayMs + SECOND_RESOLUTION_MS - sample.localMs;
  const uncertaintyMs = SECOND_RESOLUTION_MS + sample.requestSpanMs / 2;
  const skewMs = Math.max(0, Math.abs(differenceMs) - uncertaintyMs);
  const sim = context.mode === 'SIM';
  const ours = sim ? (context.simAnchorMissing ? 'this machine\'s wall clock' : `the bots' market clock (${context.clock.description})`) : 'this machine\'s clock';
  const theirs = sim ? 'the simulator\'s market clock' : 'the gateway\'s clock';
  const direction = differenceMs > 0 ? 'ahead of' : 'behind';
  const details = { gatewayMs: sample.gatewayMs, localMs: Math.round(sample.localMs), differenceMs: Math.round(differenceMs), uncertaintyMs: Math.round(uncertaintyMs), skewMs: Math.round(skewMs), marketClock: sim };
  const at = `(gateway ${formatNewYork(sample.gatewayMs, 'yyyy-LL-dd HH:mm:ss')} ET)`;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (skewMs <= SKEW_WARN_MS) {
    return check('clock', 'ok', `${theirs} and ${ours} agree within ${seconds(Math.abs(differenceMs))} ${at}`, { details });
  }
  const action = sim
    ? (context.simAnchorMissing
      ? `the compressed clock's anchor ${context.simAnchorMissing} is missing: run the bots with the SIM_CLOCK_FILE the simulator uses (npm start does)`
      : 'the simulator and the bots read different SIM_CLOCK_FILEs, or it was rewritten: restart the system with npm start')
    : 'synchronise this machine\'s clock (timedatectl set-ntp true, chrony or w32tm /resync): the trading day, the entry cut-off and the end-of-day flatten are computed from it';
  const status = skewMs > SKEW_FAIL_MS ? 'fail' : 'warn';
  return check('clock', status, `${theirs} is ${seconds(skewMs)} ${direction} ${ours} ${at}${status === 'fail' ? ': more than 30 s' : ''}`, { action, details });
}
