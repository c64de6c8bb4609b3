import { isApiClient, isWorkingOrder, legOf, remainingOf, type SimOrderView, type SimStateView } from './broker-state';

export type ProtectionKind = 'pair' | 'exit' | 'stop-only' | 'undersized' | 'none';

export interface ProtectionView {
  symbol: string;
  quantity: number;
  protected: boolean;
  how: ProtectionKind;
  /** Wall-clock ms at which the protection that covers the position reached the gateway (when known). */
  protectedSinceRealMs?: number;
  /** Working stop quantity beyond the position: two protections that could both fill and sell twice. */
  overProtectedBy: number;
}

/**
 * Whether each of the bots' positions is protected AT THE BROKER: a working stop-loss and take-profit of the
 * exit manager each covering all of the bots' shares (architecture.md: "an OCA pair, quantity = broker
 * position"), or working closing orders covering them. Judged from the simulator's books only. The bots'
 * shares are the broker's position minus the foreign ones the policy leaves alone (`botQuantity`): a
 * long-held stock or a position bought by hand is nobody's to protect.
 */
export function assessProtection(state: Pick<SimStateView, 'positions' | 'orders'>, botQuantity: (position: { symbol: string; quantity: number }) => number = (p) => p.quantity): ProtectionView[] {
  const working = new Map<string, SimOrderView[]>();
  for (const order of state.orders) {
    if (!isWorkingOrder(order) || !isApiClient(order) || legOf(order.orderRef) === undefined) continue;
    working.set(order.symbol, [...(working.get(order.symbol) ?? []), order]);
  }
  return state.positions.map((p) => ({ symbol: p.symbol, quantity: botQuantity(p) })).filter((p) => p.quantity !== 0).map((position) => {
    const size = Math.abs(position.quantity);
    const closingSide = position.quantity > 0 ? 'SELL' : 'BUY';
    const orders = (working.get(position.symbol) ?? []).filter((o) => o.action === closingSide);
    const byLeg = (leg: 'SL' | 'TP' | 'EXIT') => orders.filter((o) => legOf(o.orderRef) === leg);
    const exits = byLeg('EXIT');
    const stops = byLeg('SL');
    const targets = byLeg('TP');
    const stopTotal = stops.reduce((n, o) => n + remainingOf(o), 0);
    const overProtectedBy = Math.max(0, stopTotal - size);
    const exitTotal = exits.reduce((n, o) => n + remainingOf(o), 0);
    const base = { symbol: position.symbol, quantity: position.quantity, overProtectedBy };
    if (exitTotal >= size) return { ...base, protected: true, how: 'exit' as const, protectedSinceRealMs: latest(exits) };
    const stop = stops.find((o) => remainingOf(o) >= size);
    const target = targets.find((o) => remainingOf(o) >= size);
    if (stop && target) return { ...base, protected: true, how: 'pair' as const, protectedSinceRealMs: latest([stop, target]) };
    if (stop) return { ...base, protected: false, how: 'stop-only' as const };
    if (stops.length > 0 || targets.length > 0) return { ...base, protected: false, how: 'undersized' as const };
    return { ...base, protected: false, how: 'none' as const };
  });
}

function latest(orders: readonly SimOrderView[]): number | undefined {
  const stamps = orders.map((o) => o.createdRealMs).filter((t): t is number => typeof t === 'number');
  return stamps.length ? Math.max(...stamps) : undefined;
}
