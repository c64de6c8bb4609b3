import { marketPhase, minutesToClose } from '../time/trading-calendar';

export interface ExitDecision {
  reason: 'EOD_LIQUIDATION' | 'EOD_LIQUIDATION_UNTRACKED' | 'TIME_EXIT';
}

/** The exit settings every strategy shares (config `exits`). */
export interface ExitSettings {
  timeExitMinutes: number;
  eodFlattenMinutesBeforeClose: number;
  trailingStopPct: number;
}

/** What the clock-based exits need to know of a position (an `active_positions` row fits). */
export interface ClockExitPosition {
  agentName: string;
  entryTimestamp: string | null;
  /** The claim's metadata: `exitPlan.timeExitMinutes` (a strategy's own time exit) overrides the global one. */
  metadata?: Record<string, unknown>;
}

/**
 * Exits decided by the clock: the end-of-day flatten (everything, including positions the DB did not
 * know, which the exit manager adopted first) and the optional time exit.
 */
export function timeBasedExit(row: ClockExitPosition, nowMs: number, exits: Pick<ExitSettings, 'timeExitMinutes' | 'eodFlattenMinutesBeforeClose'>): ExitDecision | undefined {
  const entryMs = row.entryTimestamp ? Date.parse(row.entryTimestamp) : undefined;
  return clockExit({ adopted: row.agentName === 'adopted', entryTimeMs: entryMs, timeExitMinutes: timeExitMinutesOf(row.metadata, exits.timeExitMinutes) }, nowMs, exits.eodFlattenMinutesBeforeClose);
}

/** timeBasedExit on plain numbers (the backtest engine calls it every simulated minute). */
export function clockExit(position: { adopted: boolean; entryTimeMs: number | undefined; timeExitMinutes: number }, nowMs: number, eodFlattenMinutesBeforeClose: number): ExitDecision | undefined {
  if (marketPhase(nowMs) !== 'REGULAR') return undefined;
  const toClose = minutesToClose(nowMs);
  if (toClose !== undefined && toClose <= eodFlattenMinutesBeforeClose) {
    return { reason: position.adopted ? 'EOD_LIQUIDATION_UNTRACKED' : 'EOD_LIQUIDATION' };
  }
  if (position.timeExitMinutes > 0 && position.entryTimeMs !== undefined) {
    const heldMinutes = (nowMs - position.entryTimeMs) / 60_000;
    if (heldMinutes >= position.timeExitMinutes) return { reason: 'TIME_EXIT' };
  }
  return undefined;
}

/** A strategy's own time exit stored with the claim (metadata.exitPlan.timeExitMinutes > 0), else the global one. */
export function timeExitMinutesOf(metadata: Record<string, unknown> | undefined, globalMinutes: number): number {
  const plan = metadata?.exitPlan as { timeExitMinutes?: unknown } | undefined;
  const own = plan?.timeExitMinutes;
  return typeof own === 'number' && Number.isFinite(own) && own > 0 ? own : globalMinutes;
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
