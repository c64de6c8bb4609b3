import type { ActivePosition } from '../../shared/db/types';
import type { ExitLeg } from '../../shared/orders/order-refs';

/** One of the exit manager's own working orders, as its cache knows it. */
export interface OwnOrder {
  orderId: number;
  orderRef: string;
  positionId: string;
  leg: ExitLeg;
  symbol: string;
  side: 'BUY' | 'SELL';
  /** Total quantity of the order (IB semantics: filled + remaining). */
  quantity: number;
  filled: number;
  ocaGroup?: string;
  stopPrice?: number;
  limitPrice?: number;
  sequence: number;
  /** Sent but not yet acknowledged: counts as protection so it is never sent twice. */
  pending: boolean;
}

export type ProtectionAction =
  | { kind: 'place_pair'; positionId: string; symbol: string; side: 'BUY' | 'SELL'; quantity: number; stopPrice: number; targetPrice: number }
  | { kind: 'place_leg'; positionId: string; symbol: string; leg: 'SL' | 'TP'; side: 'BUY' | 'SELL'; quantity: number; price: number; ocaGroup: string; sequence: number }
  | { kind: 'resize'; order: OwnOrder; totalQuantity: number }
  | { kind: 'cancel'; order: OwnOrder; reason: string }
  | { kind: 'adopt'; symbol: string; quantity: number }
  | { kind: 'mark_protected'; positionId: string; stopOrderId: number; targetOrderId: number; ocaGroup: string; quantity: number; stopPrice: number; targetPrice: number };

export interface PlanInput {
  symbol: string;
  /** Signed shares at the broker; undefined = not known (no complete snapshot yet): never treated as flat. */
  brokerQuantity: number | undefined;
  brokerAverageCost?: number;
  row: ActivePosition | undefined;
  orders: readonly OwnOrder[];
  stopLossPct: number;
  takeProfitPct: number;
}

const remaining = (o: OwnOrder) => o.quantity - o.filled;

/**
 * What must change so that this symbol has exactly one broker-side protection pair of the right size
 * (pure: the rules are unit-tested without a broker). A working EXIT order means the position is being
 * closed: protection is left as it is (the exit joined its OCA group and reduces it at the broker).
 */
export function planProtection(input: PlanInput): ProtectionAction[] {
  const { symbol, brokerQuantity, row } = input;
  const working = input.orders.filter((o) => o.symbol === symbol);
  const protective = working.filter((o) => o.leg === 'SL' || o.leg === 'TP');
  if (brokerQuantity === undefined) return [];
  if (brokerQuantity === 0) {
    return working.map((order) => ({ kind: 'cancel' as const, order, reason: 'position is flat at the broker' }));
  }
  if (!row) return [{ kind: 'adopt', symbol, quantity: brokerQuantity }];
  if (working.some((o) => o.leg === 'EXIT')) return [];

  const size = Math.abs(brokerQuantity);
  const side: 'BUY' | 'SELL' = brokerQuantity > 0 ? 'SELL' : 'BUY';
  const entry = row.entryPrice ?? input.brokerAverageCost ?? 0;
  if (!(entry > 0)) return [];
  const direction = brokerQuantity > 0 ? 1 : -1;
  const stopPrice = row.stopLossPrice && row.status === 'PROTECTED' ? row.stopLossPrice : cents(entry * (1 - (direction * input.stopLossPct) / 100));
  const targetPrice = row.profitTargetPrice && row.status === 'PROTECTED' ? row.profitTargetPrice : cents(entry * (1 + (direction * input.takeProfitPct) / 100));

  const actions: ProtectionAction[] = [];
  // Orders protecting another position id (a closed earlier row of this symbol) or the wrong side are orphans.
  const mine = protective.filter((o) => o.positionId === row.id && o.side === side);
  for (const order of protective) if (!mine.includes(order)) actions.push({ kind: 'cancel', order, reason: 'belongs to no current position' });

  const groups = new Map<string, OwnOrder[]>();
  for (const order of mine) groups.set(order.ocaGroup ?? `none:${order.orderId}`, [...(groups.get(order.ocaGroup ?? `none:${order.orderId}`) ?? []), order]);
  const ranked = [...groups.entries()].sort((a, b) => Math.max(...b[1].map((o) => o.sequence)) - Math.max(...a[1].map((o) => o.sequence)));
  if (ranked.length === 0) {
    actions.push({ kind: 'place_pair', positionId: row.id, symbol, side, quantity: size, stopPrice, targetPrice });
    return actions;
  }
  const [keepGroup, keepOrders] = ranked[0]!;
  for (const [, orders] of ranked.slice(1)) for (const order of orders) actions.push({ kind: 'cancel', order, reason: 'duplicate protection group' });
  const stops = keepOrders.filter((o) => o.leg === 'SL');
  const targets = keepOrders.filter((o) => o.leg === 'TP');
  for (const extra of [...stops.slice(1), ...targets.slice(1)]) actions.push({ kind: 'cancel', order: extra, reason: 'duplicate leg' });
  const stop = stops[0];
  const target = targets[0];
  const sequence = Math.max(...keepOrders.map((o) => o.sequence));
  if (!stop) actions.push({ kind: 'place_leg', positionId: row.id, symbol, leg: 'SL', side, quantity: size, price: stopPrice, ocaGroup: keepGroup, sequence });
  if (!target) actions.push({ kind: 'place_leg', positionId: row.id, symbol, leg: 'TP', side, quantity: size, price: targetPrice, ocaGroup: keepGroup, sequence });
  for (const leg of [stop, target]) {
    if (leg && !leg.pending && remaining(leg) !== size) actions.push({ kind: 'resize', order: leg, totalQuantity: leg.filled + size });
  }
  const complete = stop && target && !actions.some((a) => a.kind === 'resize' || a.kind === 'place_leg');
  if (complete && (row.status !== 'PROTECTED' || row.stopOrderId !== stop.orderId || row.targetOrderId !== target.orderId || row.protectedQuantity !== size)) {
    actions.push({ kind: 'mark_protected', positionId: row.id, stopOrderId: stop.orderId, targetOrderId: target.orderId, ocaGroup: keepGroup, quantity: size, stopPrice: stop.stopPrice ?? stopPrice, targetPrice: target.limitPrice ?? targetPrice });
  }
  return actions;
}

function cents(price: number): number {
  return Math.round(price * 100) / 100;
}
