import type { SystemHarness } from '../harness/system-harness';
import type { Clock } from '../../shared/time/clock';
import type { FaultKind, ScheduleLimits } from './fault-schedule';
import type { InvariantName, Violation } from './invariants';
import type { SeededRandom } from './random';
import type { SystemMonitor } from './system-monitor';

export interface FaultContext {
  system: SystemHarness;
  monitor: SystemMonitor;
  clock: Clock;
  /** Run-time choices (which symbol): a stream of its own, so they never shift the schedule. */
  random: SeededRandom;
  limits: ScheduleLimits;
  strategy: { stopLossPct: number; takeProfitPct: number };
  violate(invariant: InvariantName, detail: string): void;
  progress(message: string): void;
}

export type FaultOutcome = 'injected' | 'not-reached' | 'skipped';

/** What one fault did and what was measured around it (real milliseconds unless the name says otherwise). */
export interface FaultRecord {
  index: number;
  day: number;
  kind: FaultKind;
  target?: string;
  description: string;
  outcome: FaultOutcome;
  /** Market time (New York) when the fault started. */
  marketTime: string;
  scheduledRealMs: number;
  startedRealMs: number;
  endedRealMs: number;
  positionsOpen: number;
  ordersWorking: number;
  measurements: Record<string, number | string | boolean | null>;
  note?: string;
}

export type FaultResult = Pick<FaultRecord, 'outcome' | 'target' | 'measurements' | 'note'>;

export function recordViolation(list: Violation[], invariant: InvariantName, detail: string): void {
  list.push({ invariant, detail, atRealMs: Date.now() });
}
