import { brokerCap } from './protection-plan';

/**
 * When may the broker's position report shrink our protection? Only on evidence that it is newer than
 * what we know of our own fills. The shares we hold come from our own fills (see heldQuantity); the
 * report lags them (IB: hundreds of ms, sometimes seconds), and a gateway that goes silent right after a
 * fill withholds it altogether. "Nothing happened for a while" is no evidence: in a silence nothing
 * happens, and a report from before the fill would cancel the stop of shares still held (the chaos run's
 * "covers 398 more than held", 15 s unprotected).
 *
 * So a report counts only when it was RECEIVED (stream) or REQUESTED (snapshot) at least `settleMs` after
 * the last change of our own count for the symbol: by then any report of our fills has had the time to
 * arrive, and one that still differs says the shares moved outside our orders (sold by hand). Between two
 * such reports the broker holds what the last one said, moved by our own fills since (brokerCap).
 * All times are real ms from the injected `nowMs`.
 */
export class BrokerReportEvidence {
  /** When the broker's current word on each symbol was given (received, or the snapshot requested). */
  private readonly reportedAtMs = new Map<string, number>();
  /** The last complete snapshot's request time: a symbol it omits is reported flat as of then. */
  private snapshotRequestedAtMs = Number.NEGATIVE_INFINITY;
  private readonly held = new Map<string, { quantity: number; changedAtMs: number }>();
  /** Per symbol: the last believable report and what we held then. */
  private readonly views = new Map<string, { broker: number; held: number }>();
  /** Per symbol: when the current stream report arrived, if it showed the holding FALL. */
  private readonly fellAtMs = new Map<string, number>();

  constructor(private readonly settleMs: number, private readonly nowMs: () => number) {}

  /**
   * A position update arrived now (the stream), or a snapshot requested at `atMs` reported the symbol.
   * `fell`: the stream's report shrank towards flat. Only a sale does that, and the broker reports our own
   * sales (orderStatus, execDetails) BEFORE the position update they cause, so by the time a fallen report
   * arrives our count already holds every sale of ours in it: if it still shows fewer shares than we
   * count, they left outside our orders (sold by hand). Such a report is believed at once, without waiting
   * for the settle time (which exists for reports that trail our BUYS), provided our count did not change
   * after it arrived.
   */
  reported(symbol: string, atMs = this.nowMs(), fell = false): void {
    this.reportedAtMs.set(symbol, atMs);
    if (fell) this.fellAtMs.set(symbol, atMs);
    else this.fellAtMs.delete(symbol);
  }

  /** A complete positions snapshot requested at `atMs` was answered (the symbols it listed: `reported`). */
  snapshotAnswered(atMs: number, listed: readonly string[], known: readonly string[]): void {
    this.snapshotRequestedAtMs = Math.max(this.snapshotRequestedAtMs, atMs);
    for (const symbol of new Set([...listed, ...known])) this.reported(symbol, atMs);
  }

  /**
   * Our own count now; a change (a fill we learned of) restarts the wait for a report that shows it. First
   * sight of shares we hold (a start with positions open) counts as a change made when our last fill of them
   * was (`lastFillAtMs`, real ms; now when unknown): a report can trail a fill made just before a restart,
   * not one made a minute earlier (waiting anyway left a restarted exit manager protecting shares sold by
   * hand, beside the pair already over what was left: chaos seed 12). First sight of none has no fill of
   * ours for a report to trail.
   */
  noteHeld(symbol: string, quantity: number, lastFillAtMs?: () => number): void {
    const known = this.held.get(symbol);
    if (known?.quantity === quantity) return;
    const firstSightAtMs = quantity === 0 ? Number.NEGATIVE_INFINITY : Math.min(this.nowMs(), lastFillAtMs?.() ?? this.nowMs());
    this.held.set(symbol, { quantity, changedAtMs: known ? this.nowMs() : firstSightAtMs });
  }

  /** The broker's current report was given late enough after our last fill to show it, or fell after it. */
  believable(symbol: string): boolean {
    const changedAtMs = this.held.get(symbol)?.changedAtMs;
    if (changedAtMs === undefined) return false;
    if (this.fellSinceOurCount(symbol)) return true;
    const reportedAtMs = this.reportedAtMs.get(symbol) ?? this.snapshotRequestedAtMs;
    if (reportedAtMs === Number.NEGATIVE_INFINITY) return false; // the broker has said nothing yet
    return reportedAtMs >= changedAtMs + this.settleMs;
  }

  /** The current report is a stream report that fell, and arrived after the last change of our count. */
  private fellSinceOurCount(symbol: string): boolean {
    const fellAtMs = this.fellAtMs.get(symbol);
    const changedAtMs = this.held.get(symbol)?.changedAtMs;
    return fellAtMs !== undefined && changedAtMs !== undefined && fellAtMs >= changedAtMs;
  }

  /**
   * The most the broker can be holding (see brokerCap): from the last believable report, taken now when the
   * current one is believable and nothing of ours is in flight (`quiet`). Undefined before any.
   */
  cap(symbol: string, heldNow: number, brokerQuantity: number, quiet: boolean): number | undefined {
    this.noteHeld(symbol, heldNow);
    // A fallen report needs no quiet: whatever of ours is in flight, our sales in it are already counted.
    if ((quiet && this.believable(symbol)) || this.fellSinceOurCount(symbol)) this.views.set(symbol, { broker: brokerQuantity, held: heldNow });
    return brokerCap(this.views.get(symbol), heldNow);
  }
}

/**
 * The reported holding shrank towards flat (a long sold, a short bought back) by more than our own closing
 * orders traded since the previous report: someone else sold. Only sales make a holding fall.
 */
export function fellOutsideOurOrders(previous: number, now: number, closedByUsSince: number): boolean {
  const towardsFlat = previous !== 0 && Math.abs(now) < Math.abs(previous) && (now === 0 || Math.sign(now) === Math.sign(previous));
  return towardsFlat && Math.abs(previous) - Math.abs(now) > Math.max(0, closedByUsSince);
}
