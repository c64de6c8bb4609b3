import { formatNewYork } from '../../shared/time/trading-calendar';
import { errorMessage } from '../../shared/errors/errors';
import { isApiClient, isWorkingOrder } from './broker-state';
import type { FaultContext, FaultRecord, FaultResult } from './fault-context';
import { describeFault, type FaultSpec, type ScheduledFault } from './fault-schedule';
import { dropConnections, restartGateway, silenceGateway } from './gateway-faults';
import { holdDbLock, manualClose, manualOpen, priceJump, rejectOrders } from './market-faults';
import { hangBot, killBot, killInFlight } from './process-faults';
import { corrections, historicalPacing, ibLinkLoss, lateAnswers, positionLag, presetWarnings, rejectModify } from './realism-faults';

function inject(ctx: FaultContext, spec: FaultSpec): Promise<FaultResult> {
  switch (spec.kind) {
    case 'sigkill': return killBot(ctx, spec.app);
    case 'sigkill-in-flight': return killInFlight(ctx, spec.app, spec.crashPoint);
    case 'sigstop': return hangBot(ctx, spec.app);
    case 'gateway-restart':
    case 'gateway-outage':
    case 'ids-backwards':
    case 'replay-executions': return restartGateway(ctx, spec);
    case 'gateway-silence': return silenceGateway(ctx, spec.seconds, spec.detectable);
    case 'drop-connections': return dropConnections(ctx);
    case 'reject-orders': return rejectOrders(ctx, spec.count);
    case 'price-jump': return priceJump(ctx, spec.through);
    case 'db-lock': return holdDbLock(ctx, spec.holdMs);
    case 'positions-timeout':
    case 'open-orders-timeout': return lateAnswers(ctx, spec);
    case 'manual-open': return manualOpen(ctx, spec.quantity);
    case 'manual-close': return manualClose(ctx);
    case 'position-lag': return positionLag(ctx, spec);
    case 'corrections': return corrections(ctx, spec);
    case 'reject-modify': return rejectModify(ctx, spec);
    case 'ib-link-loss': return ibLinkLoss(ctx, spec);
    case 'historical-pacing': return historicalPacing(ctx, spec);
    case 'preset-warning': return presetWarnings(ctx, spec);
  }
}

/** Injects one scheduled fault and waits for its effect (recovery, reconnection, detection) to be measured. */
export async function runFault(ctx: FaultContext, fault: ScheduledFault, scheduledRealMs: number): Promise<FaultRecord> {
  const state = ctx.monitor.state;
  const startedRealMs = Date.now();
  const marketTime = formatNewYork(ctx.clock.now(), 'yyyy-LL-dd HH:mm:ss');
  const description = describeFault(fault.spec);
  let result: FaultResult;
  try {
    result = await inject(ctx, fault.spec);
  } catch (error) {
    // A harness-side failure (the admin endpoint refused a request): reported, never silently counted as a fault.
    result = { outcome: 'skipped', measurements: {}, note: `harness error: ${errorMessage(error)}` };
  }
  const record: FaultRecord = {
    index: fault.index, day: fault.day, kind: fault.spec.kind, target: result.target ?? ('app' in fault.spec ? fault.spec.app : undefined), description,
    outcome: result.outcome, marketTime, scheduledRealMs, startedRealMs, endedRealMs: Date.now(),
    positionsOpen: state ? state.positions.filter((p) => ctx.monitor.botQuantity(p) !== 0).length : 0,
    ordersWorking: state ? state.orders.filter((o) => isApiClient(o) && isWorkingOrder(o)).length : 0,
    measurements: result.measurements, ...(result.note ? { note: result.note } : {}),
  };
  ctx.progress(`#${record.index + 1} ${marketTime} ${description} -> ${record.outcome}${summarizeMeasurements(record)}`);
  return record;
}

function summarizeMeasurements(record: FaultRecord): string {
  const keys = ['killToWorkingMs', 'detectionMs', 'hangToWorkingMs', 'backToEmProtectingMs', 'jumpToFlatMs', 'fillToProtectedMs', 'exitReason', 'supervisorKills', 'consumed',
    'leftAlone', 'corrections', 'booked', 'refused', 'resizedMs', 'restoredToEmProtectingMs', 'lateAnswerToEmProtectingMs', 'nextPipelineRun', 'ordersGoneAfterRestoreMs'];
  const parts = keys.filter((k) => record.measurements[k] !== undefined).map((k) => `${k}=${String(record.measurements[k])}`);
  return parts.length ? ` (${parts.join(', ')})` : record.note ? ` (${record.note})` : '';
}
