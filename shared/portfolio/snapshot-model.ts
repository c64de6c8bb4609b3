import { isUsdStock, type AccountPnl, type AccountSummary, type BrokerPosition } from '../broker/types';
import type { ActivePosition, ClosedPosition } from '../db/types';
import type { TradingDay } from '../time/trading-calendar';

export type SnapshotKind = 'interval' | 'close' | 'manual';

/** What one snapshot is computed from: IB's figures (each may be missing), our DB rows and the quotes. */
export interface SnapshotInputs {
  /** Market time, epoch ms. */
  takenAtMs: number;
  /** Real time, epoch ms. */
  takenAtRealMs: number;
  tradingDay: TradingDay;
  kind: SnapshotKind;
  /** The account of the snapshot ('' when IB did not name it). */
  account: string;
  /** IB's account summary (NetLiquidation, TotalCashValue, GrossPositionValue); undefined when it did not answer. */
  ibSummary?: AccountSummary;
  /** IB's reqPnL; undefined when it did not answer. */
  ibPnl?: AccountPnl;
  /** A COMPLETE broker positions snapshot; undefined when it failed (unknown, not empty). */
  ibPositions?: readonly BrokerPosition[];
  /** The bots' active rows. */
  ourRows: readonly ActivePosition[];
  /** Our closed rows of the trading day. */
  closedToday: readonly ClosedPosition[];
  /** Last prices from IB's market data, by symbol (US stocks only). */
  prices: ReadonlyMap<string, number>;
  /**
   * The day's opening NAV our own figures build on: the last snapshot of the previous trading day. Undefined:
   * derived from IB (its NAV minus its daily P&L) or, failing that, from IB's NAV minus our day P&L.
   */
  previousCloseNav?: number;
}

export interface PortfolioSnapshotRow {
  takenAt: string;
  takenAtMs: number;
  tradingDay: TradingDay;
  kind: SnapshotKind;
  account: string;
  nav: number;
  navSource: 'ib' | 'ours';
  cash: number | null;
  grossPositionValue: number;
  positions: number;
  ourPositions: number;
  dayRealizedPnl: number | null;
  dayUnrealizedPnl: number | null;
  ibNetLiquidation: number | null;
  ibTotalCash: number | null;
  ibGrossPositionValue: number | null;
  ibDailyPnl: number | null;
  ibUnrealizedPnl: number | null;
  ibRealizedPnl: number | null;
  ourStartNav: number | null;
  ourNav: number | null;
  ourGrossPositionValue: number;
  ourRealizedPnl: number;
  ourUnrealizedPnl: number | null;
  navDifference: number | null;
  dailyPnlDifference: number | null;
  grossPositionValueDifference: number | null;
  detail: Record<string, unknown>;
}

export interface PositionSnapshotRow {
  symbol: string;
  conId: number | null;
  secType: string;
  currency: string;
  ours: boolean;
  positionId: string | null;
  quantity: number;
  averageCost: number | null;
  ourQuantity: number | null;
  ourEntryPrice: number | null;
  price: number | null;
  priceSource: 'last' | 'none';
  marketValue: number | null;
  unrealizedPnl: number | null;
  ourUnrealizedPnl: number | null;
  realizedPnl: number;
  quantityDifference: number | null;
}

export interface ComputedSnapshot {
  portfolio: PortfolioSnapshotRow;
  positions: PositionSnapshotRow[];
}

/** The high-water mark and drawdown after a NAV: the peak never goes down, a first snapshot starts it. */
export function applyHighWater(nav: number, previousPeak: number | undefined): { peakNav: number; drawdown: number; drawdownPct: number } {
  const peakNav = previousPeak === undefined || nav > previousPeak ? nav : previousPeak;
  const drawdown = round(nav - peakNav, 2);
  return { peakNav, drawdown, drawdownPct: peakNav > 0 ? round((nav / peakNav - 1) * 100, 6) : 0 };
}

/**
 * One snapshot from what IB reported and what our books say. The headline figures are IB's where IB gave
 * them; ours are computed beside them from the DB only (opening NAV + our realized P&L today + our open
 * rows marked to IB's last prices), and the differences say what IB counts that our books do not (holdings
 * that are not the bots', commissions not yet reported, price differences). Unknown stays unknown (null),
 * never zero. Returns undefined when neither IB nor our books can give a NAV.
 */
export function computeSnapshot(inputs: SnapshotInputs): ComputedSnapshot | undefined {
  const ib = inputs.ibSummary;
  const ibNav = finite(ib?.netLiquidation);
  const ibDaily = finite(inputs.ibPnl?.dailyPnl);
  const ourRealized = round(inputs.closedToday.reduce((sum, c) => sum + c.realizedPnl, 0), 2);
  const held = inputs.ourRows.filter((r) => r.quantity !== 0);

  let ourUnrealized: number | null = 0;
  let ourGross = 0;
  const missingPrices: string[] = [];
  for (const row of held) {
    const price = inputs.prices.get(row.symbol);
    if (price === undefined) missingPrices.push(row.symbol);
    ourGross += Math.abs(row.quantity * (price ?? row.entryPrice ?? 0));
    if (price === undefined || row.entryPrice === null) ourUnrealized = null;
    else if (ourUnrealized !== null) ourUnrealized += (price - row.entryPrice) * row.quantity;
  }
  ourUnrealized = ourUnrealized === null ? null : round(ourUnrealized, 2);
  ourGross = round(ourGross, 2);
  const ourDayPnl = ourUnrealized === null ? null : round(ourRealized + ourUnrealized, 2);

  let baseSource: string;
  let ourStartNav: number | null;
  if (inputs.previousCloseNav !== undefined) {
    ourStartNav = inputs.previousCloseNav;
    baseSource = 'previous_close_snapshot';
  } else if (ibNav !== null && ibDaily !== null) {
    ourStartNav = round(ibNav - ibDaily, 2);
    baseSource = 'ib_nav_minus_ib_daily_pnl';
  } else if (ibNav !== null && ourDayPnl !== null) {
    ourStartNav = round(ibNav - ourDayPnl, 2);
    baseSource = 'ib_nav_minus_our_day_pnl';
  } else {
    ourStartNav = null;
    baseSource = 'unknown';
  }
  const ourNav = ourStartNav !== null && ourDayPnl !== null ? round(ourStartNav + ourDayPnl, 2) : null;
  const nav = ibNav ?? ourNav;
  if (nav === null) return undefined;

  const positions = positionRows(inputs);
  const ibGross = finite(ib?.grossPositionValue);
  const brokerHeld = inputs.ibPositions?.filter((p) => p.quantity !== 0);
  const portfolio: PortfolioSnapshotRow = {
    takenAt: new Date(inputs.takenAtMs).toISOString(),
    takenAtMs: inputs.takenAtRealMs,
    tradingDay: inputs.tradingDay,
    kind: inputs.kind,
    account: inputs.account,
    nav,
    navSource: ibNav !== null ? 'ib' : 'ours',
    cash: finite(ib?.totalCash),
    grossPositionValue: ibGross ?? ourGross,
    positions: brokerHeld ? brokerHeld.length : held.length,
    ourPositions: held.length,
    dayRealizedPnl: finite(inputs.ibPnl?.realizedPnl) ?? ourRealized,
    dayUnrealizedPnl: finite(inputs.ibPnl?.unrealizedPnl) ?? ourUnrealized,
    ibNetLiquidation: ibNav,
    ibTotalCash: finite(ib?.totalCash),
    ibGrossPositionValue: ibGross,
    ibDailyPnl: ibDaily,
    ibUnrealizedPnl: finite(inputs.ibPnl?.unrealizedPnl),
    ibRealizedPnl: finite(inputs.ibPnl?.realizedPnl),
    ourStartNav,
    ourNav,
    ourGrossPositionValue: ourGross,
    ourRealizedPnl: ourRealized,
    ourUnrealizedPnl: ourUnrealized,
    navDifference: ibNav !== null && ourNav !== null ? round(ibNav - ourNav, 2) : null,
    dailyPnlDifference: ibDaily !== null && ourDayPnl !== null ? round(ibDaily - ourDayPnl, 2) : null,
    grossPositionValueDifference: ibGross !== null ? round(ibGross - ourGross, 2) : null,
    detail: {
      ourStartNavFrom: baseSource,
      ...(missingPrices.length ? { missingPrices } : {}),
      ...(inputs.ibSummary ? {} : { ibSummary: 'no answer' }),
      ...(inputs.ibPnl ? {} : { ibPnl: 'no answer' }),
      ...(inputs.ibPositions ? {} : { ibPositions: 'no answer: positions from our rows only' }),
      foreignGrossPositionValue: round(positions.filter((p) => !p.ours && p.marketValue !== null).reduce((sum, p) => sum + Math.abs(p.marketValue!), 0), 2),
    },
  };
  return { portfolio, positions };
}

/** One row per broker instrument (ours or not), plus our rows the broker does not show. */
function positionRows(inputs: SnapshotInputs): PositionSnapshotRow[] {
  const rowsBySymbol = new Map<string, ActivePosition>();
  for (const row of inputs.ourRows) if (row.quantity !== 0) rowsBySymbol.set(row.symbol, row);
  const realizedBySymbol = new Map<string, number>();
  for (const c of inputs.closedToday) realizedBySymbol.set(c.symbol, (realizedBySymbol.get(c.symbol) ?? 0) + c.realizedPnl);
  const out: PositionSnapshotRow[] = [];
  const seen = new Set<string>();
  for (const p of inputs.ibPositions ?? []) {
    if (p.quantity === 0) continue;
    const stock = isUsdStock(p) && (!inputs.account || !p.account || p.account === inputs.account);
    const row = stock ? rowsBySymbol.get(p.symbol) : undefined;
    if (row) seen.add(p.symbol);
    const price = stock ? inputs.prices.get(p.symbol) ?? null : null;
    out.push({
      symbol: p.symbol,
      conId: p.conId,
      secType: p.secType,
      currency: p.currency,
      ours: row !== undefined,
      positionId: row?.id ?? null,
      quantity: p.quantity,
      averageCost: finite(p.averageCost),
      ourQuantity: row ? row.quantity : null,
      ourEntryPrice: row?.entryPrice ?? null,
      price,
      priceSource: price === null ? 'none' : 'last',
      marketValue: price === null ? null : round(price * p.quantity, 2),
      unrealizedPnl: price === null || !Number.isFinite(p.averageCost) ? null : round((price - p.averageCost) * p.quantity, 2),
      ourUnrealizedPnl: row && price !== null && row.entryPrice !== null ? round((price - row.entryPrice) * row.quantity, 2) : null,
      realizedPnl: stock ? round(realizedBySymbol.get(p.symbol) ?? 0, 2) : 0,
      quantityDifference: stock ? p.quantity - (row?.quantity ?? 0) : null,
    });
  }
  for (const row of rowsBySymbol.values()) {
    if (seen.has(row.symbol)) continue;
    const price = inputs.prices.get(row.symbol) ?? null;
    // Known positions without this symbol: the broker holds none of it. Unknown positions: our rows stand alone.
    const brokerQuantity = inputs.ibPositions ? 0 : row.quantity;
    out.push({
      symbol: row.symbol,
      conId: row.conId,
      secType: 'STK',
      currency: 'USD',
      ours: true,
      positionId: row.id,
      quantity: brokerQuantity,
      averageCost: null,
      ourQuantity: row.quantity,
      ourEntryPrice: row.entryPrice,
      price,
      priceSource: price === null ? 'none' : 'last',
      marketValue: price === null ? null : round(price * brokerQuantity, 2),
      unrealizedPnl: null,
      ourUnrealizedPnl: price !== null && row.entryPrice !== null ? round((price - row.entryPrice) * row.quantity, 2) : null,
      realizedPnl: round(realizedBySymbol.get(row.symbol) ?? 0, 2),
      quantityDifference: inputs.ibPositions ? -row.quantity : null,
    });
  }
  return out.sort((a, b) => Number(b.ours) - Number(a.ours) || a.symbol.localeCompare(b.symbol) || a.secType.localeCompare(b.secType));
}

function finite(value: number | undefined | null): number | null {
  return value !== undefined && value !== null && Number.isFinite(value) ? value : null;
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
