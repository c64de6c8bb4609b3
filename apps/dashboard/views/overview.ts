import type { AuditEvent } from '../../../shared/db/repositories/events-repository';
import type { EquityPoint, HighWaterMark, PortfolioSnapshot, StoredPositionSnapshot } from '../../../shared/db';
import type { TradeRow } from '../../../shared/db/repositories/trades-repository';
import { tradingDayOf } from '../../../shared/time/trading-calendar';
import { readDatabaseSnapshotFrom } from '../../../scripts/status/database-snapshot';
import type { DbSnapshot, PositionLine, StatusReport } from '../../../scripts/status/status-model';
import type { DashboardServices } from '../services';
import { assessFreshness, type Freshness } from './freshness';
import { buildStatus } from './status';

export interface PositionView extends PositionLine {
  /** Where lastPrice came from: the dashboard's quotes from the gateway, or the latest portfolio snapshot. */
  priceSource: 'broker' | 'snapshot' | null;
  unrealizedPct: number | null;
  /** Distance from the last price to the stop / target, percent of the last price (negative: below). */
  stopDistancePct: number | null;
  targetDistancePct: number | null;
  /** Real ms since the entry fill (market time divided by the clock's speed). */
  ageMs: number | null;
}

export interface LossLimitView {
  limitPct: number;
  nav: number | null;
  navSource: 'broker' | 'snapshot' | null;
  /** The loss that stops entries for the day (money, positive). */
  limit: number | null;
  realized: number | null;
  unrealized: number | null;
  unrealizedSource: 'live' | 'snapshot' | null;
  dayPnl: number | null;
  /** How much more can be lost before entries stop (money; negative once breached). */
  headroom: number | null;
  /** dayPnl as a share of the limit: 0 at break-even or better, 1 at the limit. */
  usedRatio: number | null;
  breached: boolean;
}

export interface FillLine {
  execId: string;
  symbol: string;
  side: string;
  quantity: number;
  price: number;
  purpose: string;
  exitReason: string | null;
  positionId: string | null;
  executedAt: string;
  commission: number | null;
}

export interface EquityView {
  tradingDay: string | null;
  /** The NAV the day opened from (the previous close). */
  openNav: number | null;
  points: EquityPoint[];
  latest: PortfolioSnapshot | null;
  latestPositions: StoredPositionSnapshot[];
  highWater: HighWaterMark | null;
}

export interface OverviewData {
  generatedAt: string;
  /** The newest audit event id: where this page's live feed (SSE) continues from. */
  lastEventId: number;
  status: StatusReport;
  freshness: Freshness;
  positions: PositionView[];
  lossLimit: LossLimitView;
  fills: FillLine[];
  equity: EquityView;
  events: AuditEvent[];
  /** The DB has the snapshot tables (schema 3); false until the bots migrate it. */
  snapshotsAvailable: boolean;
}

interface DbExtras {
  fills: FillLine[];
  events: AuditEvent[];
  lastEventId: number;
  equity: EquityView;
  snapshotsAvailable: boolean;
}

const RECENT_EVENTS = 30;
const lastGoodReads = new WeakMap<DashboardServices, { db: DbSnapshot; extras: DbExtras }>();

/** The overview page and its live pushes: one read transaction of the DB, PM2 and the broker view. */
export async function buildOverview(s: DashboardServices): Promise<OverviewData> {
  const tradingDay = tradingDayOf(s.clock.now());
  const read = s.db.read((r) => {
    const db: DbSnapshot = readDatabaseSnapshotFrom(r.db, r.path, s.clock);
    const latest = r.snapshots?.latest() ?? null;
    const equityDay = r.snapshots ? (r.snapshots.intraday(tradingDay).length > 0 ? tradingDay : latest?.tradingDay ?? null) : null;
    const extras: DbExtras = {
      fills: r.trades.getByTradingDay(tradingDay).map(toFill).reverse(),
      events: r.audit.recent(RECENT_EVENTS),
      lastEventId: 0,
      snapshotsAvailable: r.snapshots !== undefined,
      equity: {
        tradingDay: equityDay,
        openNav: equityDay ? r.snapshots!.days(equityDay, equityDay)[0]?.openNav ?? null : null,
        points: equityDay ? r.snapshots!.intraday(equityDay) : [],
        latest,
        latestPositions: latest ? r.snapshots!.positionsOf(latest.id) : [],
        highWater: latest ? r.snapshots!.highWater(latest.account) ?? null : null,
      },
    };
    extras.lastEventId = extras.events[0]?.id ?? 0;
    return { db, extras };
  });
  // A DB that cannot be read right now (locked, replaced mid-read) shows the last good read, said as such;
  // a DB that does not exist (any more) shows nothing.
  if (read.ok) lastGoodReads.set(s, read.value);
  const fallback = !read.ok && read.problem.kind !== 'missing' ? lastGoodReads.get(s) : undefined;
  const dbSnapshot: DbSnapshot = read.ok ? read.value.db : fallback?.db ?? { usable: false, path: s.db.path, problem: read.problem };
  const extras: DbExtras = read.ok ? read.value.extras : fallback?.extras ?? emptyExtras();
  const status = await buildStatus(s, dbSnapshot);
  const freshness = assessFreshness(s, {
    heartbeats: dbSnapshot.usable ? dbSnapshot.heartbeats : null,
    latestSnapshotAtMs: extras.equity.latest?.takenAtMs ?? null,
  });
  const positions = positionViews(s, status, extras.equity);
  return {
    generatedAt: new Date().toISOString(),
    lastEventId: extras.lastEventId,
    status,
    freshness,
    positions,
    lossLimit: lossLimit(s, status, positions, extras.equity.latest),
    fills: extras.fills,
    equity: extras.equity,
    events: extras.events,
    snapshotsAvailable: extras.snapshotsAvailable,
  };
}

function emptyExtras(): DbExtras {
  return { fills: [], events: [], lastEventId: 0, snapshotsAvailable: false, equity: { tradingDay: null, openNav: null, points: [], latest: null, latestPositions: [], highWater: null } };
}

function toFill(t: TradeRow): FillLine {
  return {
    execId: t.exec_id, symbol: t.symbol, side: t.side, quantity: t.quantity, price: t.price, purpose: t.purpose, exitReason: t.exit_reason,
    positionId: t.position_id, executedAt: t.executed_at, commission: t.commission,
  };
}

/** The status lines with what a trader reads next to them: price source, P&L %, distance to stop and target, age. */
function positionViews(s: DashboardServices, status: StatusReport, equity: EquityView): PositionView[] {
  const snapshotPrices = new Map(equity.latestPositions.filter((p) => p.price !== null && p.secType === 'STK').map((p) => [p.symbol, p.price!]));
  const nowMarketMs = s.clock.now();
  return status.positions.map((line) => {
    let lastPrice = line.lastPrice;
    let priceSource: PositionView['priceSource'] = lastPrice !== null ? 'broker' : null;
    if (lastPrice === null && snapshotPrices.has(line.symbol)) {
      lastPrice = snapshotPrices.get(line.symbol)!;
      priceSource = 'snapshot';
    }
    const held = line.brokerQuantity ?? line.quantity;
    const unrealizedPnl = line.unrealizedPnl ?? (lastPrice !== null && line.entryPrice !== null && held !== 0 ? (lastPrice - line.entryPrice) * held : null);
    const entryMs = line.entryTime ? Date.parse(line.entryTime) : NaN;
    return {
      ...line,
      lastPrice,
      unrealizedPnl,
      priceSource,
      unrealizedPct: lastPrice !== null && line.entryPrice ? ((lastPrice / line.entryPrice - 1) * 100 * Math.sign(held || 1)) : null,
      stopDistancePct: lastPrice && line.stopLossPrice !== null ? (line.stopLossPrice / lastPrice - 1) * 100 : null,
      targetDistancePct: lastPrice && line.profitTargetPrice !== null ? (line.profitTargetPrice / lastPrice - 1) * 100 : null,
      ageMs: Number.isFinite(entryMs) ? Math.max(0, (nowMarketMs - entryMs) / s.clock.speed) : null,
    };
  });
}

/**
 * Where the day stands against DAILY_LOSS_LIMIT_PCT, computed as the day-trader's entry guard does: our
 * realized P&L today plus the unrealized P&L, against the limit on the account's net liquidation.
 */
function lossLimit(s: DashboardServices, status: StatusReport, positions: PositionView[], latest: PortfolioSnapshot | null): LossLimitView {
  const limitPct = s.config.risk.dailyLossLimitPct;
  const nav = status.broker.netLiquidation ?? latest?.nav ?? null;
  const navSource = status.broker.netLiquidation !== null ? 'broker' : latest ? 'snapshot' : null;
  const held = positions.filter((p) => (p.brokerQuantity ?? p.quantity) !== 0 && p.source !== 'broker_only');
  const liveComplete = held.every((p) => p.unrealizedPnl !== null);
  let unrealized: number | null = null;
  let unrealizedSource: LossLimitView['unrealizedSource'] = null;
  if (liveComplete) {
    unrealized = held.reduce((sum, p) => sum + p.unrealizedPnl!, 0);
    unrealizedSource = 'live';
  } else if (latest?.ibUnrealizedPnl !== null && latest?.ibUnrealizedPnl !== undefined) {
    unrealized = latest.ibUnrealizedPnl;
    unrealizedSource = 'snapshot';
  }
  const realized = status.pnl.realized;
  const dayPnl = realized !== null && unrealized !== null ? realized + unrealized : null;
  const limit = nav !== null ? (nav * limitPct) / 100 : null;
  return {
    limitPct, nav, navSource, limit, realized, unrealized, unrealizedSource, dayPnl,
    headroom: limit !== null && dayPnl !== null ? limit + dayPnl : null,
    usedRatio: limit !== null && dayPnl !== null && limit > 0 ? Math.max(0, -dayPnl / limit) : null,
    breached: limit !== null && dayPnl !== null && dayPnl <= -limit,
  };
}
