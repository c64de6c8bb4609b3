import type { ResolvedConfig } from '../../shared/config/schema';
import {
  calendarDayInNewYork, earlyCloseReason, formatNewYork, holidayName, marketPhase, nextTradingDay, sessionHours, type SessionHours,
} from '../../shared/time/trading-calendar';
import { check, type CheckResult } from './doctor-model';
import { formatSpan } from './format';

function hours(session: SessionHours): string {
  const close = formatNewYork(session.closeMs, 'HH:mm');
  return `${formatNewYork(session.openMs, 'ccc yyyy-LL-dd HH:mm')}–${close} ET${session.earlyClose ? ` (early close: ${earlyCloseReason(session.tradingDay)})` : ''}`;
}

/**
 * The next trading session from the NYSE calendar (shared/time): open now until …, opens at …, early close
 * today; in SIM on the compressed clock, with the real time it takes. Informational: always ok. Pure.
 */
export function sessionCheck(config: Pick<ResolvedConfig, 'mode' | 'strategy' | 'exits'>, nowMs: number, speed: number): CheckResult {
  const phase = marketPhase(nowMs);
  const day = calendarDayInNewYork(nowMs);
  const today = sessionHours(day);
  const inReal = (marketMs: number) => (speed > 1 ? `; ${formatSpan(marketMs / speed)} of real time at ×${speed}` : '');
  const lines: string[] = [];
  let finding: string;
  let next: SessionHours | undefined = today;
  if (phase === 'REGULAR' && today) {
    finding = `open now until ${formatNewYork(today.closeMs, 'HH:mm')} ET (in ${formatSpan(today.closeMs - nowMs)}${inReal(today.closeMs - nowMs)})${today.earlyClose ? `: EARLY CLOSE today (${earlyCloseReason(day)})` : ''}`;
    lines.push(
      `new entries stop at ${formatNewYork(today.closeMs - config.strategy.entryCutoffMinutesBeforeClose * 60_000, 'HH:mm')} ET (ENTRY_CUTOFF_MINUTES=${config.strategy.entryCutoffMinutesBeforeClose}); ` +
        `everything is flattened from ${formatNewYork(today.closeMs - config.exits.eodFlattenMinutesBeforeClose * 60_000, 'HH:mm')} ET (EOD_FLATTEN_MINUTES=${config.exits.eodFlattenMinutesBeforeClose})`,
    );
  } else {
    if (!today || nowMs >= today.closeMs) next = sessionHours(nextTradingDay(day));
    const closedWhy = !today ? (holidayName(day) ? `closed today (${holidayName(day)})` : 'closed today (weekend)') : phase === 'PRE_MARKET' ? 'pre-market' : nowMs >= today.closeMs ? 'closed for the day' : 'closed';
    finding = next
      ? `${closedWhy}; the next session opens ${hours(next)} (in ${formatSpan(next.openMs - nowMs)}${inReal(next.openMs - nowMs)})`
      : `${closedWhy}; no session found`;
    lines.push('the bots enter only in regular hours; protection at the broker works at any hour');
  }
  return check('session', 'ok', finding, {
    lines,
    details: { phase, marketTimeNewYork: formatNewYork(nowMs), earlyCloseToday: today?.earlyClose ?? false, nextOpenMs: phase === 'REGULAR' ? null : next?.openMs ?? null, closeMs: phase === 'REGULAR' ? today?.closeMs ?? null : null },
  });
}
