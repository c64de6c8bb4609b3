/** What the exposure arithmetic needs of a working order (protection-plan's OwnOrder has it). */
export interface ExposureOrder {
  side: 'BUY' | 'SELL';
  /** Total quantity (IB semantics: filled + remaining). */
  quantity: number;
  filled: number;
  ocaGroup?: string;
}

/**
 * How many shares our working orders on one side could still trade, at most. Orders of one OCA group
 * (reduce with block) share their quantity: a fill of one leg reduces the others at the broker, so a group
 * can trade at most its largest remaining leg. Orders outside a group count in full.
 */
export function maxTradable(orders: readonly ExposureOrder[], side: 'BUY' | 'SELL'): number {
  const byGroup = new Map<string, number>();
  let ungrouped = 0;
  for (const order of orders) {
    if (order.side !== side) continue;
    const remaining = Math.max(0, order.quantity - order.filled);
    if (!order.ocaGroup) ungrouped += remaining;
    else byGroup.set(order.ocaGroup, Math.max(byGroup.get(order.ocaGroup) ?? 0, remaining));
  }
  let grouped = 0;
  for (const value of byGroup.values()) grouped += value;
  return ungrouped + grouped;
}

/**
 * THE guard: after adding `order`, could our closing orders trade more than we hold? A long must never be
 * sold past flat (it would become a short), a short never bought past flat. `held` is our own position
 * from our own fills (signed). Returns the problem, or undefined when the order is safe to send.
 */
export function pastFlatProblem(
  working: readonly ExposureOrder[],
  order: ExposureOrder,
  held: number,
): string | undefined {
  const closingSide = held > 0 ? 'SELL' : 'BUY';
  if (held === 0 || order.side !== closingSide) return `a ${order.side} of ${order.quantity} would open a position (held ${held})`;
  const after = maxTradable([...working, order], order.side);
  if (after > Math.abs(held)) return `${order.side} orders could trade ${after} shares but we hold ${Math.abs(held)}: that would go past flat`;
  return undefined;
}
