import type { BrokerPosition } from '../../../shared/broker/types';
import type { ActivePosition, ClosedPosition } from '../../../shared/db/types';
import { applyHighWater, computeSnapshot, type SnapshotInputs } from '../../../shared/portfolio/snapshot-model';

const DAY = '2026-11-23';
const AT = Date.parse('2026-11-23T15:00:00Z');

function row(symbol: string, quantity: number, entryPrice: number | null): ActivePosition {
  return {
    id: `P-20261123-${symbol}-abcdef`, symbol, quantity, entryPrice, entryTimestamp: '2026-11-23T14:40:00.000Z', agentName: 'gap', profitTargetPrice: null,
    stopLossPrice: null, status: 'PROTECTED', tradingDay: DAY, entryOrderRef: `P-20261123-${symbol}-abcdef`, entryOrderId: 1, requestedQuantity: quantity, ocaGroup: null,
    stopOrderId: null, targetOrderId: null, protectedQuantity: quantity, exitReason: null, conId: 100, entryReported: quantity, entryBooked: quantity, entryWorking: false,
    claimedAt: '2026-11-23T14:40:00.000Z', lastUpdated: '2026-11-23T14:40:00.000Z', metadata: {},
  };
}

function closed(symbol: string, realizedPnl: number): ClosedPosition {
  return {
    id: 1, symbol, closeDate: DAY, positionId: `P-20261123-${symbol}-000000`, quantity: 10, entryPrice: 10, exitPrice: 11, exitReason: 'PROFIT_TARGET',
    profitLossPct: 10, realizedPnl, commission: 2, agentName: 'gap', entryTimestamp: null, timestamp: '2026-11-23T14:50:00.000Z',
  };
}

function broker(symbol: string, quantity: number, averageCost: number, extra: Partial<BrokerPosition> = {}): BrokerPosition {
  return { account: 'DU1', conId: 100, symbol, secType: 'STK', currency: 'USD', description: symbol, quantity, averageCost, ...extra };
}

function inputs(overrides: Partial<SnapshotInputs> = {}): SnapshotInputs {
  return {
    takenAtMs: AT, takenAtRealMs: 1_000, tradingDay: DAY, kind: 'interval', account: 'DU1',
    ourRows: [row('NOVA', 100, 50)],
    closedToday: [closed('SRR', -40), closed('HELI', 25)],
    prices: new Map([['NOVA', 51], ['LRKS', 60]]),
    ibSummary: { accountId: 'DU1', netLiquidation: 101_000, totalCash: 40_000, buyingPower: 300_000, grossPositionValue: 11_100, availableFunds: 50_000 },
    ibPnl: { dailyPnl: 700, unrealizedPnl: 715, realizedPnl: -15 },
    ibPositions: [broker('NOVA', 100, 50.02), broker('LRKS', 100, 48, { conId: 200 })],
    previousCloseNav: 100_000,
    ...overrides,
  };
}

describe('portfolio snapshot: IB\'s figures beside ours', () => {
  it('takes the headline from IB, computes ours from the DB and the quotes, and records the differences', () => {
    const s = computeSnapshot(inputs())!;
    expect(s.portfolio).toMatchObject({
      nav: 101_000, navSource: 'ib', cash: 40_000, grossPositionValue: 11_100, positions: 2, ourPositions: 1,
      dayRealizedPnl: -15, dayUnrealizedPnl: 715,
      ibNetLiquidation: 101_000, ibDailyPnl: 700, ibUnrealizedPnl: 715, ibRealizedPnl: -15,
      // ours: realized -40 + 25 = -15, unrealized (51 - 50) x 100 = 100, opening NAV = the previous close
      ourStartNav: 100_000, ourRealizedPnl: -15, ourUnrealizedPnl: 100, ourNav: 100_085, ourGrossPositionValue: 5_100,
      navDifference: 915, dailyPnlDifference: 615, grossPositionValueDifference: 6_000,
    });
    expect(s.portfolio.detail).toMatchObject({ ourStartNavFrom: 'previous_close_snapshot', foreignGrossPositionValue: 6_000 });
  });

  it('marks each instrument, ours and not, against IB\'s average cost and our entry', () => {
    const { positions } = computeSnapshot(inputs({ ibPositions: [broker('NOVA', 120, 50.02), broker('LRKS', 100, 48, { conId: 200 }), broker('NOVA', 2, 287, { conId: 300, secType: 'OPT', description: 'NOVA 20270115 48 C' })] }))!;
    const nova = positions.find((p) => p.symbol === 'NOVA' && p.secType === 'STK')!;
    expect(nova).toMatchObject({ ours: true, quantity: 120, ourQuantity: 100, averageCost: 50.02, ourEntryPrice: 50, price: 51, marketValue: 6_120, unrealizedPnl: 117.6, ourUnrealizedPnl: 100, quantityDifference: 20 });
    expect(positions.find((p) => p.symbol === 'LRKS')).toMatchObject({ ours: false, price: 60, marketValue: 6_000, unrealizedPnl: 1_200, ourQuantity: null });
    // An option has its underlying's symbol: never priced with the stock's quote, never counted as ours.
    expect(positions.find((p) => p.secType === 'OPT')).toMatchObject({ ours: false, price: null, priceSource: 'none', marketValue: null, quantityDifference: null });
  });

  it('says unknown where a price is missing instead of counting it as zero', () => {
    const s = computeSnapshot(inputs({ prices: new Map() }))!;
    expect(s.portfolio.ourUnrealizedPnl).toBeNull();
    expect(s.portfolio.ourNav).toBeNull();
    expect(s.portfolio.navDifference).toBeNull();
    expect(s.portfolio.nav).toBe(101_000);
    expect(s.portfolio.detail.missingPrices).toEqual(['NOVA']);
  });

  it('falls back to our own figures when IB does not answer, and to nothing when there is no opening NAV', () => {
    const ours = computeSnapshot(inputs({ ibSummary: undefined, ibPnl: undefined, ibPositions: undefined }))!;
    expect(ours.portfolio).toMatchObject({ nav: 100_085, navSource: 'ours', cash: null, ibNetLiquidation: null, navDifference: null, positions: 1 });
    expect(ours.positions).toEqual([expect.objectContaining({ symbol: 'NOVA', ours: true, quantity: 100, quantityDifference: null })]);
    expect(ours.portfolio.detail).toMatchObject({ ibSummary: 'no answer', ibPositions: expect.stringContaining('no answer') });
    expect(computeSnapshot(inputs({ ibSummary: undefined, ibPnl: undefined, ibPositions: undefined, previousCloseNav: undefined }))).toBeUndefined();
  });

  it('derives the opening NAV from IB when there is no previous snapshot', () => {
    const s = computeSnapshot(inputs({ previousCloseNav: undefined }))!;
    expect(s.portfolio.ourStartNav).toBe(100_300); // 101,000 - IB's 700 of the day
    expect(s.portfolio.detail.ourStartNavFrom).toBe('ib_nav_minus_ib_daily_pnl');
  });

  it('lists a row of ours that the broker does not hold with the difference', () => {
    const s = computeSnapshot(inputs({ ibPositions: [broker('LRKS', 100, 48, { conId: 200 })] }))!;
    expect(s.positions.find((p) => p.symbol === 'NOVA')).toMatchObject({ ours: true, quantity: 0, ourQuantity: 100, quantityDifference: -100 });
  });

  it('keeps the high-water mark: it only rises, and the drawdown is measured from it', () => {
    expect(applyHighWater(100, undefined)).toEqual({ peakNav: 100, drawdown: 0, drawdownPct: 0 });
    expect(applyHighWater(110, 100)).toEqual({ peakNav: 110, drawdown: 0, drawdownPct: 0 });
    expect(applyHighWater(99, 110)).toEqual({ peakNav: 110, drawdown: -11, drawdownPct: -10 });
  });
});
