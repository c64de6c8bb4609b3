import type { Repositories } from '../../shared/db';
import type { ActivePosition } from '../../shared/db/types';
import { protectionLevels } from '../../shared/strategy/sizing';
import type { ExitPlan } from '../../shared/strategy/types';

export interface EntryReport {
  /** Shares the broker says filled so far (orderStatus `filled`). */
  filled: number;
  /** Whether the order can still fill. */
  working: boolean;
  /** The broker's average fill price so far, when it gave one. */
  avgFillPrice?: number;
}

/**
 * The broker's word on an entry, ahead of its executions (IB sends orderStatus first; execDetails can trail
 * by hundreds of ms): the reported fill and whether the order can still fill. While nothing is protected
 * yet, the stop and target follow the real average fill price instead of the pre-trade quote (which may be
 * 15 minutes old). The day-trader calls this; the benchmarks book their entries through it too, so they
 * time the same path.
 */
export function recordEntryReport(
  repos: Pick<Repositories, 'positions' | 'ledger'>,
  row: ActivePosition,
  report: EntryReport,
  defaultExits: { stopLossPct: number; takeProfitPct: number },
): ReturnType<Repositories['ledger']['recordEntryStatus']> {
  const { filled, working, avgFillPrice } = report;
  if (avgFillPrice && filled > 0) followFillPrice(repos, row, avgFillPrice, defaultExits);
  return repos.ledger.recordEntryStatus(row.id, filled, working);
}

/**
 * While nothing is protected yet, the stop and target are moved to a fill's price (the strategy's own exits
 * when its claim carries them, else the configured ones). Called with the order status's average price and,
 * before the first execution is booked, with that execution's price: IB may send either first, and the exit
 * manager may protect once an execution is committed, so the levels must already be the fill's by then.
 */
export function followFillPrice(
  repos: Pick<Repositories, 'positions'>,
  row: ActivePosition,
  fillPrice: number,
  defaultExits: { stopLossPct: number; takeProfitPct: number },
): void {
  if (!(fillPrice > 0) || (row.status !== 'PENDING_ENTRY' && row.status !== 'OPEN') || row.protectedQuantity !== 0) return;
  const plan = row.metadata.exitPlan as Partial<ExitPlan> | undefined;
  repos.positions.updateActivePosition(row.id, protectionLevels(fillPrice, {
    stopLossPct: plan?.stopLossPct ?? defaultExits.stopLossPct, takeProfitPct: plan?.takeProfitPct ?? defaultExits.takeProfitPct,
  }));
}
