/**
 * Re-entry rules: one position per symbol at a time, never a symbol closed earlier the same trading day, at
 * most `maxOpenPositions` open or pending at once (all strategies together). The live processes apply them
 * inside one BEGIN IMMEDIATE transaction (ActivePositionsRepository.claimSymbol: two processes can race);
 * the backtest engine applies them to its own book. Checked in this order.
 */
export type ClaimRefusal = 'ALREADY_ACTIVE' | 'CLOSED_TODAY' | 'MAX_OPEN_POSITIONS';

export interface ClaimFacts {
  isActive: boolean;
  closedToday: boolean;
  openPositions: number;
  maxOpenPositions: number;
}

export function claimRefusal(facts: ClaimFacts): ClaimRefusal | undefined {
  if (facts.isActive) return 'ALREADY_ACTIVE';
  if (facts.closedToday) return 'CLOSED_TODAY';
  if (facts.openPositions >= facts.maxOpenPositions) return 'MAX_OPEN_POSITIONS';
  return undefined;
}
