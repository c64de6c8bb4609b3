import type { OrderEvent } from '../../shared/broker/types';

/** What the broker showed of a stop just sent: working unfilled, traded (in part or whole), dead, or nothing yet. */
export type StopState = 'working' | 'traded' | 'dead' | 'unknown';

const ENDED = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

/**
 * The first word of the broker about stops just sent, for a pair whose take-profit must not leave before
 * its stop is known to be working unfilled: a stop through the market fills as it arrives, and a target
 * sent behind it would sell shares no longer held.
 */
export class StopAcknowledgements {
  private readonly waiters = new Map<string, (event: OrderEvent) => void>();

  /**
   * Resolves with what the broker shows of the order `orderRef` once it speaks: 'working' when acknowledged
   * unfilled and nothing else came in the same burst (a stop through the market reports its fill right
   * behind its acknowledgement), 'traded' on any fill, 'dead' when refused or cancelled, 'unknown' when the
   * broker said nothing within `timeoutMs`. Register BEFORE sending: the first events can come before
   * placeOrder returns. `cancel` gives up (the order was never sent).
   */
  expect(orderRef: string, timeoutMs: number): { result: Promise<StopState>; cancel: () => void } {
    let settle!: (state: StopState) => void;
    const result = new Promise<StopState>((resolve) => (settle = resolve));
    let decided = false;
    let acknowledged = false;
    const finish = (state: StopState) => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      this.waiters.delete(orderRef);
      settle(state);
    };
    const timer = setTimeout(() => finish('unknown'), timeoutMs);
    timer.unref();
    this.waiters.set(orderRef, (event) => {
      if (event.kind === 'rejected') return finish('dead');
      if (event.kind === 'cancelled') return finish(event.filled > 0 ? 'traded' : 'dead');
      if (event.kind === 'filled' || (event.kind === 'status' && event.filled > 0)) return finish('traded');
      if ((event.kind === 'status' || event.kind === 'open' || event.kind === 'accepted') && ENDED.has(event.status)) return finish(event.status === 'Filled' ? 'traded' : 'dead');
      if (!acknowledged && (event.kind === 'accepted' || event.kind === 'open' || event.kind === 'status')) {
        acknowledged = true;
        // The rest of the burst first: the fill of a stop through the market comes right behind its acknowledgement.
        setImmediate(() => finish('working'));
      }
    });
    return { result, cancel: () => finish('dead') };
  }

  /** Every order event of ours, as it arrives. */
  onEvent(event: OrderEvent): void {
    if (event.kind === 'commission') return;
    this.waiters.get(event.ref)?.(event);
  }
}
