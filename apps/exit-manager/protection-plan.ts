import type { ActivePosition } from '../../shared/db/types';
import type { ExitLeg } from '../../shared/orders/order-refs';
import { maxTradable } from './sell-exposure';

/** One of the exit manager's own working orders, as its cache knows it. */
export interface OwnOrder {
  orderId: number;
  orderRef: string;
  positionId: string;
  leg: ExitLeg;
  symbol: string;
  side: 'BUY' | 'SELL';
  /** Total quantity of the order (IB semantics: filled + remaining), as the broker last reported it. */
  quantity: number;
  filled: number;
  ocaGroup?: string;
  stopPrice?: number;
  limitPrice?: number;
  sequence: number;
  /** Sent but not yet acknowledged: counts as protection so it is never sent twice. */
  pending: boolean;
  /** A modification was sent and is not yet applied or refused: the order is left alone meanwhile. */
  modifying?: boolean;
}

export type ProtectionAction =
  | { kind: 'place_pair'; positionId: string; symbol: string; side: 'BUY' | 'SELL'; quantity: number; stopPrice: number; targetPrice: number }
  | { kind: 'place_leg'; positionId: string; symbol: string; leg: 'SL' | 'TP'; side: 'BUY' | 'SELL'; quantity: number; price: number; ocaGroup: string }
  | { kind: 'reduce'; order: OwnOrder; totalQuantity: number; reason: string }
  | { kind: 'cancel'; order: OwnOrder; reason: string }
  /** The stop would be through the market: a pair would fill its stop as it arrives. Close at market instead. */
  | { kind: 'exit_now'; positionId: string; symbol: string; reason: 'STOP_LOSS'; stopPrice: number; marketPrice: number }
  | { kind: 'mark_protected'; positionId: string; stopOrderId: number; targetOrderId: number; ocaGroup: string; quantity: number; stopPrice: number; targetPrice: number };

export interface PlanInput {
  symbol: string;
  /** The DB row of our position in this symbol, if any. */
  row: ActivePosition | undefined;
  /** Our position from our own fills (signed; see heldQuantity). */
  held: number;
  /**
   * The most the broker can be holding of this stock now, from its last SETTLED report (no fill of ours
   * for longer than the reports lag) moved by our own fills since (see brokerCap). Used only to shrink:
   * a broker that settled below our count means shares were sold outside our orders (by hand), and
   * protecting more than is there would go past flat. Undefined before any settled report.
   */
  brokerCap: number | undefined;
  /** Nothing of ours is in flight (no fill reported but not booked, no position report pending). */
  settled: boolean;
  orders: readonly OwnOrder[];
  stopLossPct: number;
  takeProfitPct: number;
  brokerAverageCost?: number;
  /**
   * The freshest real-time price we know of the stock (a live quote, else our own latest execution), or
   * undefined. Delayed data is never one: a 15-minute-old quote says nothing about where a stop would be.
   */
  marketPrice?: number;
}

const remaining = (o: OwnOrder) => Math.max(0, o.quantity - o.filled);

/**
 * What must change so that the shares we hold are covered exactly once by broker-side protection (pure:
 * the rules are unit-tested without a broker).
 *
 * Coverage is counted per OCA group (its largest remaining leg). Protection only ever GROWS by a new pair
 * for the uncovered shares, never by enlarging a working order: the broker may already have reduced it (an
 * OCA fill we have not heard of yet) and a modify up would re-add what it took away. It SHRINKS by reducing
 * or cancelling orders, which can never sell more. A leg missing from a group is replaced only when
 * nothing of ours is in flight.
 */
export function planProtection(input: PlanInput): ProtectionAction[] {
  const { symbol, row, held } = input;
  const working = input.orders.filter((o) => o.symbol === symbol);
  const actions: ProtectionAction[] = [];
  const closingSide: 'BUY' | 'SELL' = held < 0 ? 'BUY' : 'SELL';
  // Orders protecting no current position of ours, or the wrong side, are orphans.
  const mine = working.filter((o) => row !== undefined && o.positionId === row.id && o.side === closingSide && held !== 0);
  for (const order of working) {
    if (mine.includes(order)) continue;
    const reason = row?.id !== order.positionId ? 'belongs to no current position' : held === 0 ? 'position is flat' : 'on the wrong side';
    actions.push({ kind: 'cancel', order, reason });
  }
  if (!row || held === 0) return actions;

  // What may be covered: our shares, and never more than the broker can be holding.
  const target = coverTarget(held, input.brokerCap);

  const groups = groupOf(mine);
  let covered = maxTradable(mine, closingSide);
  // Shrink: newest groups first, never below what is needed.
  for (const group of [...groups].sort((a, b) => b.sequence - a.sequence)) {
    if (covered <= target) break;
    const excess = covered - target;
    const groupCoverage = Math.max(...group.orders.map(remaining));
    if (groupCoverage <= excess) {
      for (const order of group.orders) actions.push({ kind: 'cancel', order, reason: `covers ${groupCoverage} more than held` });
      covered -= groupCoverage;
    } else {
      const keep = groupCoverage - excess;
      for (const order of group.orders) if (remaining(order) > keep) actions.push({ kind: 'reduce', order, totalQuantity: order.filled + keep, reason: `held ${target}, covered ${covered}` });
      covered = target;
    }
  }
  const exiting = mine.some((order) => order.leg === 'EXIT');
  if (exiting) return actions; // being closed: the exit joined the groups and reduces them at the broker

  // A holding adopted from outside (bought by hand, maybe long ago) has no entry of ours: a stop and target
  // around its old average cost could sit on the wrong side of the market and sell it at once. Its levels
  // come from the market (set on the row from a quote by the exit manager); until then, no pair.
  if (needsMarketLevels(row) && (row.stopLossPrice === null || row.profitTargetPrice === null)) return actions;
  const entry = row.entryPrice ?? input.brokerAverageCost ?? 0;
  // No pair before an entry price is known (a booked execution or the broker's report). Protecting a reported
  // fill at the levels set from its average price, without waiting for the execution, cut the realistic
  // profile's fill → protection from p50 137 to 5 ms, but the only runs with it showed sells beyond the
  // position (a chaos seed and a benchmark run): withdrawn until that is explained (README, Latency).
  if (!(entry > 0)) return actions;
  const direction = held > 0 ? 1 : -1;
  const { stopPrice, targetPrice } = protectionPrices(row, entry, direction, input.stopLossPct, input.takeProfitPct);

  // Duplicate legs inside a group: keep the oldest of each kind.
  for (const group of groups) {
    for (const kind of ['SL', 'TP'] as const) for (const extra of group.orders.filter((o) => o.leg === kind).slice(1)) actions.push({ kind: 'cancel', order: extra, reason: 'duplicate leg' });
  }
  const cancelled = new Set(actions.filter((a) => a.kind === 'cancel').map((a) => (a as { order: OwnOrder }).order.orderId));
  // A missing leg joins its group at the group's size. That size must be true: when a leg of the group has
  // filled (a fill's report may still be on its way), only once nothing of ours is in flight.
  for (const group of groups) {
    const live = group.orders.filter((o) => !cancelled.has(o.orderId));
    if (live.length === 0) continue;
    const size = Math.max(...live.map(remaining));
    const touched = group.orders.some((o) => o.filled > 0);
    if (size <= 0 || (touched && !input.settled) || live.some((o) => o.pending || o.modifying)) continue;
    for (const leg of ['SL', 'TP'] as const) {
      if (!live.some((o) => o.leg === leg)) actions.push({ kind: 'place_leg', positionId: row.id, symbol, leg, side: closingSide, quantity: size, price: leg === 'SL' ? stopPrice : targetPrice, ocaGroup: group.key });
    }
  }
  if (covered < target) {
    const market = input.marketPrice;
    if (market !== undefined && market > 0 && (direction > 0 ? stopPrice >= market : stopPrice <= market)) {
      actions.push({ kind: 'exit_now', positionId: row.id, symbol, reason: 'STOP_LOSS', stopPrice, marketPrice: market });
      return actions;
    }
    actions.push({ kind: 'place_pair', positionId: row.id, symbol, side: closingSide, quantity: target - covered, stopPrice, targetPrice });
  }

  const complete = covered === target && actions.length === 0 && groups.length > 0 && groups.every((g) => g.orders.some((o) => o.leg === 'SL') && g.orders.some((o) => o.leg === 'TP'));
  if (complete) {
    const first = groups[0]!;
    const stop = first.orders.find((o) => o.leg === 'SL')!;
    const take = first.orders.find((o) => o.leg === 'TP')!;
    // A row the ledger marked CLOSING (a partial exit: a sale by hand, a time exit) stays CLOSING: comparing it
    // with PROTECTED re-marked it at every check.
    if ((row.status !== 'PROTECTED' && row.status !== 'CLOSING') || row.stopOrderId !== stop.orderId || row.targetOrderId !== take.orderId || row.protectedQuantity !== target) {
      actions.push({ kind: 'mark_protected', positionId: row.id, stopOrderId: stop.orderId, targetOrderId: take.orderId, ocaGroup: first.key, quantity: target, stopPrice: stop.stopPrice ?? stopPrice, targetPrice: take.limitPrice ?? targetPrice });
    }
  }
  return actions;
}

/**
 * Stop and target of a position. The row's levels, unless they are on the wrong side of our own entry
 * price: levels set from the pre-trade quote (a delayed one can be 15 minutes old) that were never moved to
 * the real fill (the day-trader died between its order and the DB update) can put a long's stop ABOVE the
 * price it was bought at, i.e. through the market: it would sell as it arrives. Those are rebased on the
 * entry price with the position's percentages. Adopted holdings keep their market-priced levels.
 */
export function protectionPrices(row: ActivePosition, entry: number, direction: 1 | -1, stopLossPct: number, takeProfitPct: number): { stopPrice: number; targetPrice: number; rebased: boolean } {
  const fromEntry = { stopPrice: cents(entry * (1 - (direction * stopLossPct) / 100)), targetPrice: cents(entry * (1 + (direction * takeProfitPct) / 100)) };
  const stopPrice = row.stopLossPrice ?? fromEntry.stopPrice;
  const targetPrice = row.profitTargetPrice ?? fromEntry.targetPrice;
  const ourEntry = row.entryPrice;
  if (row.id.startsWith('A-') || ourEntry === null || !(ourEntry > 0)) return { stopPrice, targetPrice, rebased: false };
  const consistent = direction > 0 ? stopPrice < ourEntry && targetPrice > ourEntry : stopPrice > ourEntry && targetPrice < ourEntry;
  return consistent ? { stopPrice, targetPrice, rebased: false } : { ...fromEntry, rebased: true };
}

/** Adopted rows that are not our own recovered fills: their stop and target must be priced off the market. */
export function needsMarketLevels(row: ActivePosition): boolean {
  return row.id.startsWith('A-') && row.metadata.recovered === undefined;
}

/** Shares to cover: what we hold, capped by what the broker can hold (0 when it holds the other way). */
export function coverTarget(held: number, brokerCap: number | undefined): number {
  if (brokerCap === undefined) return Math.abs(held);
  return Math.sign(brokerCap) === Math.sign(held) ? Math.min(Math.abs(held), Math.abs(brokerCap)) : 0;
}

/**
 * The broker's last settled report moved by our own fills since: between reports, the broker holds what
 * it settled at plus what we bought minus what we sold. Stable while our own orders move, so the plan
 * does not flip between "settled" and "in flight".
 */
export function brokerCap(settledView: { broker: number; held: number } | undefined, held: number): number | undefined {
  return settledView === undefined ? undefined : settledView.broker + (held - settledView.held);
}

interface Group {
  key: string;
  sequence: number;
  orders: OwnOrder[];
}

/** Orders by OCA group, oldest group first (an order without a group is its own group). */
function groupOf(orders: readonly OwnOrder[]): Group[] {
  const groups = new Map<string, Group>();
  for (const order of orders) {
    const key = order.ocaGroup ?? `none:${order.orderId}`;
    const group = groups.get(key) ?? { key, sequence: order.sequence, orders: [] };
    group.sequence = Math.min(group.sequence, order.sequence);
    group.orders.push(order);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.sequence - b.sequence);
}

function cents(price: number): number {
  return Math.round(price * 100) / 100;
}
