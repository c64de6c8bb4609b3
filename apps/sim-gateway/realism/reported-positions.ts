import type { ServerContract } from '../protocol/server-messages';
import type { DelayedDelivery } from './delayed-delivery';
import type { RealismSettings } from './realism-settings';
import type { StaticHolding } from './foreign-holdings';

export interface PositionView {
  contract: ServerContract;
  quantity: number;
  averageCost: number;
  /** Known for holdings that never trade here; stocks are priced from the feed. */
  marketPrice?: number;
}

/**
 * The positions as the gateway REPORTS them, which is not the account's truth at every instant: at IB,
 * position and portfolio updates trail the executions that caused them (hundreds of ms, sometimes
 * seconds). Snapshots (reqPositions), the positions stream and the portfolio all read this book; the
 * engine's books stay the truth. A restarted gateway reports the truth again.
 */
export class ReportedPositions {
  private readonly reported = new Map<number, PositionView>();
  private statics: StaticHolding[] = [];

  constructor(
    private readonly delivery: DelayedDelivery,
    private readonly settings: () => RealismSettings,
    private readonly broadcast: (view: PositionView) => void,
  ) {}

  /** Starts from the truth (gateway start or restart): nothing in flight survives a restart. */
  reset(truth: readonly PositionView[], statics: readonly StaticHolding[]): void {
    this.reported.clear();
    for (const view of truth) this.reported.set(view.contract.conId, { ...view });
    this.statics = [...statics];
  }

  /** A change of the truth: reported after the configured lag, in order per instrument. */
  onChange(view: PositionView): void {
    const realism = this.settings();
    const delayMs = this.delivery.draw(realism.positionLag, { probability: realism.slowPositionProbability, range: realism.slowPositionLag });
    const copy = { ...view };
    this.delivery.schedule(`position:${view.contract.conId}`, delayMs, () => {
      this.reported.set(copy.contract.conId, copy);
      this.broadcast(copy);
    });
  }

  /** Every non-zero position the gateway would report now, holdings that never trade included. */
  rows(): PositionView[] {
    const stocks = [...this.reported.values()].filter((v) => v.quantity !== 0);
    const statics = this.statics.map((h) => ({ contract: h.contract, quantity: h.quantity, averageCost: h.averageCost, marketPrice: h.marketPrice }));
    return [...stocks, ...statics];
  }
}
