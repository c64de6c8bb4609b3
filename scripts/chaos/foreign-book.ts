import type { ReportedPositionView, SimExecutionView, SimPositionView } from './broker-state';

/** FOREIGN_POSITIONS: what the bots do with stock positions they did not open. */
export type ForeignPolicy = 'ignore' | 'protect' | 'adopt';

/** What the account held before any bot traded (the simulator's seeded foreign holdings). */
export interface ForeignBaseline {
  /** US stocks held before any bot traded (the long-held stock, the share class): symbol -> shares. */
  floor: Record<string, number>;
  /** Holdings that are not US stocks in USD (options, the EUR stock): they never trade here. */
  statics: ReportedPositionView[];
}

export function isUsdStock(holding: Pick<ReportedPositionView, 'secType' | 'currency'>): boolean {
  return holding.secType === 'STK' && holding.currency === 'USD';
}

/** The sim-gateway's `foreign_holdings_seeded` log line: the stock and share class it put into the fresh account. */
export function floorFromSeedLine(line: { stock?: unknown; shareClass?: unknown } | undefined): Record<string, number> {
  const floor: Record<string, number> = {};
  for (const holding of [line?.stock, line?.shareClass]) {
    const h = holding as { symbol?: unknown; quantity?: unknown } | undefined;
    if (h && typeof h.symbol === 'string' && typeof h.quantity === 'number') floor[h.symbol] = (floor[h.symbol] ?? 0) + h.quantity;
  }
  return floor;
}

/**
 * Whose shares are whose. The account holds what people bought by hand besides the bots' trades: the seeded
 * long-held stock and share class (the "floor" no bot may sell into), options and a EUR stock (never
 * tradable by the bots), and whatever the chaos harness itself buys by hand (manual-open). Under
 * FOREIGN_POSITIONS=ignore all of that is left alone, so the bots' position in a symbol is the broker's
 * position minus those shares; under protect/adopt the bots take stock positions over and only the floor
 * (what the simulator's exposure monitor protects) stays theirs-not.
 */
/** What a book needs of an execution to tell whether a purchase by hand has happened in a snapshot. */
export type ExecutionSeen = Pick<SimExecutionView, 'symbol' | 'clientId' | 'side' | 'realMs'>;

interface ManualOpen {
  shares: number;
  /** Real ms just before the trade was requested: its execution is stamped at or after it. */
  sinceRealMs: number;
}

export class ForeignBook {
  private readonly manualOpened = new Map<string, ManualOpen[]>();

  constructor(readonly policy: ForeignPolicy, readonly baseline: ForeignBaseline) {}

  /** Shares of the symbol held before any bot traded: the true position may never go below it. */
  floorOf(symbol: string): number {
    return this.baseline.floor[symbol] ?? 0;
  }

  /**
   * A position the harness is about to open by hand (manual-open fault): foreign shares under the ignore
   * policy. Recorded BEFORE the trade, so no snapshot taken after it counts them as the bots'; a snapshot
   * taken before it (its executions show no purchase by hand in the symbol since then) does not count them.
   */
  recordManualOpen(symbol: string, shares: number, sinceRealMs = Date.now()): void {
    this.manualOpened.set(symbol, [...(this.manualOpened.get(symbol) ?? []), { shares, sinceRealMs }]);
  }

  /**
   * Shares bought by hand in the symbol. With a snapshot's executions: only purchases that snapshot already
   * shows (a BUY of client 0 stamped since the purchase was recorded); without: all of them (after the fact).
   */
  manualOpenOf(symbol: string, executions?: readonly ExecutionSeen[]): number {
    const opens = this.manualOpened.get(symbol) ?? [];
    const seen = (open: ManualOpen) => !executions || executions.some((e) => e.symbol === symbol && e.clientId === 0 && e.side === 'BOT' && (e.realMs ?? 0) >= open.sinceRealMs);
    return opens.filter(seen).reduce((n, open) => n + open.shares, 0);
  }

  /** Shares of the symbol the policy leaves alone: not the bots', never in their DB, never sold by them. */
  ignoredOf(symbol: string, executions?: readonly ExecutionSeen[]): number {
    return this.policy === 'ignore' ? this.floorOf(symbol) + this.manualOpenOf(symbol, executions) : 0;
  }

  /** The bots' part of a broker position (as of a snapshot whose executions are given, or after the fact). */
  botQuantity(position: Pick<SimPositionView, 'symbol' | 'quantity'>, executions?: readonly ExecutionSeen[]): number {
    return position.quantity - this.ignoredOf(position.symbol, executions);
  }

  /** Every US stock symbol with foreign shares (seeded or bought by hand). */
  foreignStockSymbols(): string[] {
    return [...new Set([...Object.keys(this.baseline.floor), ...this.manualOpened.keys()])].sort();
  }

  /** Symbols that name a non-US-stock holding only (the EUR stock): no bot order may ever carry them. */
  staticOnlySymbols(usStockSymbols: ReadonlySet<string>): string[] {
    return [...new Set(this.baseline.statics.filter((h) => h.currency !== 'USD' && !usStockSymbols.has(h.symbol)).map((h) => h.symbol))].sort();
  }

  /** Symbols with foreign holdings the bots might be tempted to touch: stocks with a floor or bought by hand, option underlyings. */
  describe(): string {
    const floor = Object.entries(this.baseline.floor).map(([s, q]) => `${s} ${q}`).join(', ') || 'none';
    const statics = this.baseline.statics.map((h) => `${h.symbol} ${h.secType} ${h.currency} ${h.quantity}`).join(', ') || 'none';
    return `policy ${this.policy}; floor ${floor}; other holdings ${statics}`;
  }
}
