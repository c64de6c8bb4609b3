import type { ReportedPositionView, SimExecutionView, SimOrderView } from '../../../scripts/chaos/broker-state';
import { ForeignBook } from '../../../scripts/chaos/foreign-book';
import type { TradeRowView } from '../../../scripts/chaos/invariants';
import { combineSummaries, renderCombined } from '../../../scripts/chaos/multi-seed';
import {
  botPositionIds, correctionViolations, exposureSightings, exposureViolations, foreignViolations, workingEntryAfterCloseViolations,
} from '../../../scripts/chaos/realism-invariants';
import type { ChaosSummary } from '../../../scripts/chaos/summary';

const DAY = '2026-11-23';
const P = 'P-20261123-UMBR-0a1b2c';

function order(orderRef: string, fields: Partial<SimOrderView> = {}): SimOrderView {
  return { clientId: 12, orderId: 1, permId: 1, symbol: 'UMBR', action: 'SELL', totalQuantity: 10, filled: 0, orderType: 'STP', status: 'Submitted', orderRef, tradingDay: DAY, ...fields };
}
function exec(execId: string, orderRef: string, fields: Partial<SimExecutionView> = {}): SimExecutionView {
  return { execId, clientId: 11, orderId: 1, symbol: 'UMBR', side: 'BOT', shares: 10, price: 20, timeMs: 0, tradingDay: DAY, orderRef, realMs: 1_000, ...fields };
}
function trade(execId: string, fields: Partial<TradeRowView> = {}): TradeRowView {
  return { exec_id: execId, exec_base: null, position_id: P, symbol: 'UMBR', side: 'BUY', quantity: 10, price: 20, purpose: 'ENTRY', trading_day: DAY, executed_at: '', client_id: 11, ...fields };
}
const option: ReportedPositionView = { conId: 77, symbol: 'NOVA', secType: 'OPT', currency: 'USD', quantity: 2, averageCost: 300 };
const euro: ReportedPositionView = { conId: 88, symbol: 'SAP', secType: 'STK', currency: 'EUR', quantity: 40, averageCost: 118.4 };
const book = () => new ForeignBook('ignore', { floor: { UMBR: 100, 'BRK B': 15 }, statics: [option, euro] });

describe('never past flat (the simulator\'s exposure monitor)', () => {
  it('counts every interval not caused by a trade by hand, open or closed, and nothing of zero length', () => {
    const sightings = exposureSightings({
      checks: 10, longestMs: 400, longestExcludingManualMs: 300,
      intervals: [
        { symbol: 'UMBR', startRealMs: 1_000, endRealMs: 1_300, excessShares: 10, afterManualTrade: false },
        { symbol: 'DRFT', startRealMs: 2_000, endRealMs: 2_400, excessShares: 5, afterManualTrade: true },
        { symbol: 'ONYX', startRealMs: 3_000, endRealMs: 3_000, excessShares: 5, afterManualTrade: false },
      ],
      open: [{ symbol: 'BRK B', startRealMs: 4_000, endRealMs: 4_050, excessShares: 15, afterManualTrade: false }],
    });
    const violations = exposureViolations(sightings);
    expect(violations.map((v) => v.detail)).toEqual([expect.stringMatching(/^UMBR: .*10 share\(s\).* 300 ms/), expect.stringMatching(/^BRK B: .*15 share\(s\).*50 ms \(still open\)/)]);
    expect(violations.every((v) => v.invariant === 'neverPastFlat')).toBe(true);
    expect(exposureViolations(exposureSightings(undefined))).toEqual([]);
  });
});

describe('foreign holdings untouched', () => {
  const base = { positions: [{ symbol: 'UMBR', quantity: 100, averageCost: 1 }, { symbol: 'BRK B', quantity: 15, averageCost: 1 }], reported: [option, euro], orders: [], botPositionIds: new Set<string>(), usStockSymbols: new Set(['UMBR', 'BRK B']) };

  it('holds for an account as seeded, and for the bots trading a symbol the account also holds', () => {
    expect(foreignViolations({ ...base, book: book() })).toEqual([]);
    const trading = { ...base, positions: [{ symbol: 'UMBR', quantity: 150, averageCost: 1 }, base.positions[1]!], orders: [order(`${P}:SL:1`, { totalQuantity: 50 })], botPositionIds: new Set([P]) };
    expect(foreignViolations({ ...trading, book: book() })).toEqual([]);
  });

  it('fails when an option or the EUR stock changes, when the stock goes below what the bots must leave, and when a bot sells shares nobody of theirs bought', () => {
    const changed = foreignViolations({ ...base, book: book(), reported: [{ ...option, quantity: 1 }] });
    expect(changed.map((v) => v.detail)).toEqual([expect.stringMatching(/NOVA OPT USD .*held 2, the broker now reports 1/), expect.stringMatching(/SAP STK EUR .*held 40, the broker now reports 0/)]);
    const sold = foreignViolations({ ...base, book: book(), positions: [{ symbol: 'UMBR', quantity: 60, averageCost: 1 }, base.positions[1]!] });
    expect(sold.map((v) => v.detail)).toEqual([expect.stringMatching(/UMBR: the account holds 60, below the 100 foreign/)]);
    const adopted = foreignViolations({ ...base, book: book(), orders: [order('A-20261123-BRK_B-abcdef:SL:1', { symbol: 'BRK B', totalQuantity: 15 })] });
    expect(adopted.map((v) => v.detail)).toEqual([expect.stringMatching(/SELL 15 BRK B .*for shares no bot bought/)]);
    const euroOrder = foreignViolations({ ...base, book: book(), orders: [order('X', { symbol: 'SAP', action: 'BUY' })] });
    expect(euroOrder.map((v) => v.detail)).toEqual([expect.stringMatching(/SAP .*not a US stock/)]);
  });

  it('treats shares bought by hand as foreign under ignore, and lets the bots take them under adopt', () => {
    const ignoring = book();
    ignoring.recordManualOpen('DRFT', 13);
    const positions = [...base.positions, { symbol: 'DRFT', quantity: 0, averageCost: 1 }];
    expect(foreignViolations({ ...base, book: ignoring, positions }).map((v) => v.detail)).toEqual([expect.stringMatching(/DRFT: the account holds 0, below the 13/)]);
    const adopting = new ForeignBook('adopt', ignoring.baseline);
    adopting.recordManualOpen('DRFT', 13);
    expect(foreignViolations({ ...base, book: adopting, positions, orders: [order('A-20261123-DRFT-abcdef:SL:1', { symbol: 'DRFT' })] })).toEqual([]);
  });

  it('counts a purchase by hand only in snapshots that show it (recorded before the trade, judged by its execution)', () => {
    const b = book();
    b.recordManualOpen('DRFT', 37, 5_000);
    const before = [exec('e1', P, { symbol: 'UMBR' })]; // a snapshot fetched before the trade went through
    const after = [...before, exec('m1', 'manual-tws', { symbol: 'DRFT', clientId: 0, side: 'BOT', realMs: 5_010 })];
    expect(b.ignoredOf('DRFT', before)).toBe(0);
    expect(b.botQuantity({ symbol: 'DRFT', quantity: 0 }, before)).toBe(0);
    expect(b.ignoredOf('DRFT', after)).toBe(37);
    expect(b.ignoredOf('DRFT')).toBe(37); // after the fact
    // A snapshot from before the purchase is no evidence the bots sold it.
    expect(foreignViolations({ ...base, book: b, positions: [...base.positions, { symbol: 'DRFT', quantity: 0, averageCost: 1 }], executions: before })).toEqual([]);
    expect(foreignViolations({ ...base, book: b, positions: [...base.positions, { symbol: 'DRFT', quantity: 0, averageCost: 1 }], executions: after })).toHaveLength(1);
  });

  it('knows which positions bought something: entry executions, and BUYs of API clients booked for them', () => {
    const ids = botPositionIds([exec('e1', P), exec('m1', 'manual-tws', { clientId: 0 })], [trade('e2', { position_id: 'A-20261123-ONYX-abcdef' }), trade('m2', { position_id: 'A-20261123-DRFT-abcdef', client_id: 0 })]);
    expect([...ids].sort()).toEqual(['A-20261123-ONYX-abcdef', P]);
  });
});

describe('no entry working after its position closed', () => {
  it('flags a working BUY whose ref is a closed position, not a filled one or a leg', () => {
    const closed = new Set([P]);
    expect(workingEntryAfterCloseViolations([order(P, { action: 'BUY', orderType: 'LMT' })], closed)).toEqual([expect.objectContaining({ invariant: 'noEntryAfterClose', detail: expect.stringMatching(new RegExp(`^entry ${P}`)) })]);
    expect(workingEntryAfterCloseViolations([order(P, { action: 'BUY', status: 'Filled' }), order(`${P}:TP:1`), order('P-20261123-ONYX-abcdef', { action: 'BUY' })], closed)).toEqual([]);
  });
});

describe('every correction booked once', () => {
  it('requires the row of the base to carry the corrected id and price, after a grace for corrections on their way', () => {
    const corrected = [exec('0000sim.a.000001.02', P, { price: 20.01, realMs: 1_000 }), exec('0000sim.a.000002.01', P)];
    expect(correctionViolations(corrected, [trade('0000sim.a.000001.02', { exec_base: '0000sim.a.000001', price: 20.01 }), trade('0000sim.a.000002.01')])).toEqual([]);
    const stale = [trade('0000sim.a.000001.01', { exec_base: '0000sim.a.000001' })];
    expect(correctionViolations(corrected, stale).map((v) => v.detail)).toEqual([expect.stringMatching(/0000sim.a.000001.02 .*booked as 0000sim.a.000001.01 @ 20/)]);
    expect(correctionViolations(corrected, stale, { nowMs: 5_000, graceMs: 30_000 })).toEqual([]);
    expect(correctionViolations(corrected, stale, { nowMs: 40_000, graceMs: 30_000 })).toHaveLength(1);
    expect(correctionViolations(corrected, [...stale, trade('0000sim.a.000001.02')]).map((v) => v.detail)).toEqual([expect.stringMatching(/2 trades rows for its base/)]);
  });
});

describe('several seeds', () => {
  const summary = (seed: number, ok: boolean): ChaosSummary => ({
    ok, seed, reproduce: `npm run chaos -- --seed ${seed}`, daysSimulated: 1, durationMs: 60_000, dir: `/tmp/seed-${seed}`,
    faults: { requested: 26, injected: 25, notReached: 1, skipped: 0, byKind: {}, byTarget: {} },
    invariants: { checked: [], violationCounts: ok ? {} : { neverPastFlat: 1 }, violations: ok ? [] : [{ invariant: 'neverPastFlat', detail: 'x' }] },
    protection: { longestUnprotectedMs: 120 } as ChaosSummary['protection'],
    exposure: { longestMs: ok ? 0 : 300, intervals: ok ? 0 : 1, afterManualTrade: { intervals: 2, longestMs: 900 }, checksBySimulator: 1, examples: [] },
    trades: { executions: 30, booked: 30, corrected: 2, correctedBooked: 2, entries: 12, closedByReason: {} },
  } as unknown as ChaosSummary);

  it('combine into one table with the totals, the failed seeds and how to repeat them', () => {
    const combined = combineSummaries([summary(1, true), summary(2, false)]);
    expect(combined).toMatchObject({ ok: false, seeds: [1, 2], totals: { days: 2, faultsInjected: 50, violations: 1, entries: 24, failedSeeds: [2] } });
    const text = renderCombined(combined);
    expect(text).toMatch(/^Chaos runs over 2 seed\(s\): FAILED/);
    expect(text).toMatch(/\n2 +FAILED +1 +25\/26 +1: neverPastFlat 1/);
    expect(text).toMatch(/seed 2 failed: reproduce with npm run chaos -- --seed 2/);
    expect(combineSummaries([summary(1, true)]).ok).toBe(true);
    expect(combineSummaries([]).ok).toBe(false);
  });
});
