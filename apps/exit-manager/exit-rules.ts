import type { ResolvedConfig } from '../../shared/config/schema';
import type { ActivePosition } from '../../shared/db/types';
import { marketPhase, minutesToClose } from '../../shared/time/trading-calendar';

export interface ExitDecision {
  reason: 'EOD_LIQUIDATION' | 'EOD_LIQUIDATION_UNTRACKED' | 'TIME_EXIT';
}

/**
 * Exits decided by the clock: the end-of-day flatten (everything, including positions the DB did not
 * know, which the exit manager adopted first) and the optional time exit.
 */
export function timeBasedExit(row: ActivePosition, nowMs: number, exits: ResolvedConfig['exits']): ExitDecision | undefined {
  if (marketPhase(nowMs) !== 'REGULAR') return undefined;
  const toClose = minutesToClose(nowMs);
  if (toClose !== undefined && toClose <= exits.eodFlattenMinutesBeforeClose) {
    return { reason: row.agentName === 'adopted' ? 'EOD_LIQUIDATION_UNTRACKED' : 'EOD_LIQUIDATION' };
  }
  if (exits.timeExitMinutes > 0 && row.entryTimestamp) {
    const heldMinutes = (nowMs - Date.parse(row.entryTimestamp)) / 60_000;
    if (heldMinutes >= exits.timeExitMinutes) return { reason: 'TIME_EXIT' };
  }
  return undefined;
}

/**
 * Client-side trailing stop: the level trails the best price by `trailingPct`; it only matters once it is
 * above the broker-side hard stop (which stays as the floor if we die). Returns the level, or undefined.
 */
export function trailingLevel(bestPrice: number, entryPrice: number, trailingPct: number, long: boolean): number | undefined {
  if (!(trailingPct > 0)) return undefined;
  const level = long ? bestPrice * (1 - trailingPct / 100) : bestPrice * (1 + trailingPct / 100);
  const beyondEntry = long ? bestPrice > entryPrice : bestPrice < entryPrice;
  return beyondEntry ? Math.round(level * 100) / 100 : undefined;
}

export function trailingTriggered(lastPrice: number, level: number | undefined, long: boolean): boolean {
  if (level === undefined) return false;
  return long ? lastPrice <= level : lastPrice >= level;
}
