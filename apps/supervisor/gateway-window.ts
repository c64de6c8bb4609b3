import { formatNewYork, newYorkTime } from '../../shared/time/trading-calendar';

export interface RestartWindowConfig {
  /** 'HH:MM' New York time, or 'none'. */
  restartTime: string;
  restartWindowMinutes: number;
  /** How long the gateway may stay down after the window before it is "not back" (BROKER_DOWN_ALERT_S). */
  graceMs: number;
}

/** Whether a market time falls in the gateway's daily restart window (which may cross midnight). Pure. */
export function inRestartWindow(marketMs: number, config: Pick<RestartWindowConfig, 'restartTime' | 'restartWindowMinutes'>): boolean {
  if (config.restartTime === 'none') return false;
  const today = formatNewYork(marketMs, 'yyyy-LL-dd');
  const yesterday = formatNewYork(marketMs - 86_400_000, 'yyyy-LL-dd');
  return [today, yesterday].some((day) => {
    const startMs = newYorkTime(day, config.restartTime);
    return marketMs >= startMs && marketMs < startMs + config.restartWindowMinutes * 60_000;
  });
}

export type OutageVerdict =
  /** Down inside the restart window: expected, not a failure. */
  | { kind: 'expected'; firstSeen: boolean }
  /** The outage that began in (or ran into) the window is still there past it + the grace: a failure. */
  | { kind: 'not_back'; windowEndedRealMs: number; firstTime: boolean }
  /** Still within the grace after the window. */
  | { kind: 'returning' }
  /** An outage that has nothing to do with the restart window: judged as before (market hours, BROKER_DOWN_ALERT_S). */
  | { kind: 'unrelated' };

/**
 * The supervisor's memory of the gateway's daily restart (IB Gateway/TWS restarts itself once a day; IBC's
 * AutoRestartTime): an outage seen while the market clock is in the window is expected and logged once; the
 * same outage (same down-since stamp) still there `graceMs` after the window ended is a gateway that did not
 * come back, a failure whatever the market phase (the next session needs it). Judged per bot from its
 * heartbeat; state lives only in memory, so a supervisor restarted after the window judges the outage by the
 * ordinary market-hours rule.
 */
export class GatewayRestartWindow {
  /** Bot → the down-since stamp (real ms) of the outage seen in the window. */
  private readonly seenInWindow = new Map<string, number>();
  private windowEndedRealMs: number | undefined;
  private readonly notBackReported = new Set<number>();

  constructor(private readonly config: RestartWindowConfig) {}

  judge(app: string, downSinceRealMs: number, nowMarketMs: number, nowRealMs: number): OutageVerdict {
    if (inRestartWindow(nowMarketMs, this.config)) {
      this.windowEndedRealMs = undefined;
      const firstSeen = this.seenInWindow.get(app) !== downSinceRealMs;
      this.seenInWindow.set(app, downSinceRealMs);
      return { kind: 'expected', firstSeen };
    }
    if (this.seenInWindow.get(app) !== downSinceRealMs) return { kind: 'unrelated' };
    this.windowEndedRealMs ??= nowRealMs;
    if (nowRealMs - this.windowEndedRealMs < this.config.graceMs) return { kind: 'returning' };
    const firstTime = !this.notBackReported.has(downSinceRealMs);
    this.notBackReported.add(downSinceRealMs);
    return { kind: 'not_back', windowEndedRealMs: this.windowEndedRealMs, firstTime };
  }

  /** The bot's link is up: the outage (if any) is over. True when it was one seen in the window. */
  connected(app: string): boolean {
    const had = this.seenInWindow.delete(app);
    if (this.seenInWindow.size === 0) this.windowEndedRealMs = undefined;
    return had;
  }
}
