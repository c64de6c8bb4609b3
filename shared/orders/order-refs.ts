import { POSITION_ID_PATTERN } from '../db/ids';
/**
 * Refs of the exit manager's orders carry their purpose, so any process, after any restart, knows what a
 * broker order or execution is for:  <positionId>:SL:<n>  stop-loss,  <positionId>:TP:<n>  take-profit,
 *  <positionId>:X-<REASON>:<n>  a closing order we sent (TIME_EXIT, EOD_LIQUIDATION, TRAILING_STOP, ...).
 */
export type ExitLeg = 'SL' | 'TP' | 'EXIT';

export interface ParsedExitRef {
  positionId: string;
  leg: ExitLeg;
  /** For EXIT legs: the exit reason written into the ref. */
  reason?: string;
  sequence: number;
}

export function stopLossRef(positionId: string, sequence: number): string {
  return `${positionId}:SL:${sequence}`;
}

export function takeProfitRef(positionId: string, sequence: number): string {
  return `${positionId}:TP:${sequence}`;
}

export function exitRef(positionId: string, reason: string, sequence: number): string {
  return `${positionId}:X-${reason}:${sequence}`;
}

export function ocaGroupFor(positionId: string, sequence: number): string {
  return `${positionId}:OCA:${sequence}`;
}

const EXIT_REF = new RegExp(`^(${POSITION_ID_PATTERN}):(SL|TP|X-([A-Z_]+)):(\\d+)$`);

export function parseExitRef(ref: string | undefined): ParsedExitRef | undefined {
  if (!ref) return undefined;
  const match = EXIT_REF.exec(ref);
  if (!match) return undefined;
  const leg: ExitLeg = match[2] === 'SL' ? 'SL' : match[2] === 'TP' ? 'TP' : 'EXIT';
  return { positionId: match[1]!, leg, reason: match[3], sequence: Number(match[4]) };
}

/** The exit reason recorded for a fill of one of our orders. */
export function exitReasonFor(parsed: ParsedExitRef, trailingActive: boolean): string {
  if (parsed.leg === 'TP') return 'PROFIT_TARGET';
  if (parsed.leg === 'SL') return trailingActive ? 'TRAILING_STOP' : 'STOP_LOSS';
  return parsed.reason ?? 'MANUAL';
}
