import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { previousTradingDay, tradingDayOf } from '../../shared/time/trading-calendar';
import { LiquidationJournal } from './liquidation-journal';
import { marketTimeText } from './report-blocks';

export const RESUME_EXIT = { DONE: 0, DB_UNUSABLE: 1 } as const;

export interface ResumeResult {
  code: number;
  text: string;
  /** Failures go to stderr, like every "nothing was changed" message of this tool. */
  stream: 'stdout' | 'stderr';
}

/**
 * `npm run liquidate -- --resume`: lifts the trading halt so the bots trade again. Needs only the DB (not the
 * gateway): the halt lives there and nowhere else. With no active halt it says so and succeeds.
 */
export function resumeTrading(options: { dbPath: string; clock: Clock; log: Logger; busyTimeoutMs: number }): ResumeResult {
  const journal = LiquidationJournal.open({ ...options, forWriting: true });
  try {
    const lifted = journal.usable ? journal.liftHalt('liquidate --resume') : undefined;
    if (lifted === undefined) {
      const problem = journal.problem;
      options.log.error('trading_halt_lift_failed', { problem: problem?.message });
      return {
        code: RESUME_EXIT.DB_UNUSABLE, stream: 'stderr',
        text: `liquidate --resume: the trading halt could NOT be lifted: the DB cannot be used (${problem?.kind ?? 'unknown'}): ${problem?.message ?? 'no detail'}\n` +
          'Nothing was changed. The bots read the halt from this DB: fix it (or point DB_PATH at the right one) and run again.',
      };
    }
    if (lifted === null) {
      options.log.info('trading_halt_not_active', {});
      return { code: RESUME_EXIT.DONE, stream: 'stdout', text: 'No trading halt is active: the bots trade normally, there is nothing to lift.' };
    }
    // DAY orders die with their session: only the ones of the last two trading days can still be waiting.
    const since = previousTradingDay(tradingDayOf(options.clock.now()));
    const waiting = journal.openLiquidationOrders().filter((o) => o.tradingDay >= since);
    options.log.warn('trading_halt_lifted', { haltId: lifted.id, reason: lifted.reason, setBy: lifted.setBy, setAt: lifted.setAt, liquidationOrdersMaybeWaiting: waiting.map((o) => o.orderRef) });
    const lines = [
      `Trading halt LIFTED. It was set by ${lifted.setBy} at ${marketTimeText(lifted.setAt)} ET (market time), reason: ${lifted.reason}.`,
      'The bots will trade again: the day-trader may open new positions, the exit manager protects and exits positions again.',
    ];
    if (waiting.length > 0) {
      lines.push(
        `Note: ${waiting.length} closing order(s) of the liquidation may still wait at the broker (${waiting.map((o) => `${o.side} ${o.quantity} ${o.symbol} ${o.orderType}, ${o.orderRef}`).join('; ')}).`,
        '  The exit manager now protects those positions again, and its target filling next to such an order could sell twice:',
        '  check TWS and cancel the ones you no longer want.',
      );
    }
    return { code: RESUME_EXIT.DONE, stream: 'stdout', text: lines.join('\n') };
  } finally {
    journal.close();
  }
}
