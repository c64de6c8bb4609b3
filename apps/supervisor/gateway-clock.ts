import type { ResolvedConfig } from '../../shared/config/schema';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { clockCheck, sampleClock } from '../../scripts/doctor/clock-check';
import { connectGateway, DoctorOrderIds } from '../../scripts/doctor/gateway-check';
import type { ClockSampleResult } from './host-checks';

/**
 * One clock measurement over a short link of the supervisor's own (CLIENT_ID_SUPERVISOR, never a bot's id):
 * connect, reqCurrentTime, disconnect, measured exactly as `npm run doctor`'s clock check does (in SIM
 * against the compressed market clock the bots use). Rejects when the gateway cannot be reached.
 */
export async function sampleGatewayClock(config: ResolvedConfig, clock: Clock, log: Logger): Promise<ClockSampleResult> {
  const connection = await connectGateway(config, config.ib.clientIds.supervisor, log.child({ link: 'clock-check' }), new DoctorOrderIds());
  if (!connection.reachable) throw new Error(`the gateway did not answer: ${connection.reason}`);
  try {
    const sample = await sampleClock(connection.broker, clock);
    const details = clockCheck(sample, { mode: config.mode, clock }).details as { differenceMs: number; uncertaintyMs: number; skewMs: number };
    return { differenceMs: details.differenceMs, uncertaintyMs: details.uncertaintyMs, skewMs: details.skewMs };
  } finally {
    await connection.broker.disconnect();
  }
}
