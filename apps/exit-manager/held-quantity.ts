import type { ActivePosition } from '../../shared/db/types';

export interface ExitFill {
  orderRef: string | null;
  side: 'BUY' | 'SELL';
  quantity: number;
}

/**
 * Our position in a symbol, from OUR OWN fills — never from whichever broker message came last (position
 * updates lag the fills that caused them by up to seconds). Order statuses overtake executions at IB, so
 * each side takes the larger of what was booked (executions) and what the broker already reported
 * (orderStatus filled): bought = max(entry booked, entry reported); sold = per closing order, the larger of
 * its booked executions and its reported fill. Signed: positive long, negative short.
 */
export function heldQuantity(row: ActivePosition, exitTrades: readonly ExitFill[], reportedExitFills: ReadonlyMap<string, number>): number {
  let bookedSigned = 0;
  for (const fill of exitTrades) bookedSigned += fill.side === 'SELL' ? -fill.quantity : fill.quantity;
  const sold = closedQuantity(exitTrades, reportedExitFills);
  // A claim (P-) is a long; an adopted row keeps the sign it was adopted with (its quantity before any exit).
  const beforeExits = row.quantity - bookedSigned;
  const direction = row.id.startsWith('A-') && beforeExits < 0 ? -1 : 1;
  const bought = Math.max(row.entryBooked, row.entryReported);
  return direction * Math.max(0, bought - sold);
}

/** Shares our closing orders have traded: per order, the larger of its booked executions and its reported fill. */
export function closedQuantity(exitTrades: readonly ExitFill[], reportedExitFills: ReadonlyMap<string, number>): number {
  const bookedByRef = new Map<string, number>();
  for (const fill of exitTrades) {
    const ref = fill.orderRef ?? '';
    bookedByRef.set(ref, (bookedByRef.get(ref) ?? 0) + fill.quantity);
  }
  let closed = 0;
  for (const ref of new Set([...bookedByRef.keys(), ...reportedExitFills.keys()])) closed += Math.max(bookedByRef.get(ref) ?? 0, reportedExitFills.get(ref) ?? 0);
  return closed;
}
