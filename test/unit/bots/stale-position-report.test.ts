import { BrokerReportEvidence } from '../../../apps/exit-manager/broker-report-evidence';
import { ProtectionManager } from '../../../apps/exit-manager/protection-manager';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import type { ResolvedConfig } from '../../../shared/config/schema';
import type { Db, Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { makeTempDir } from '../../helpers/temp-dir';
import { DAY, flush, openFakeMarketDay } from './fake-market-day';


/**
 * The chaos find "protection cancelled for a position still held" (seed 12, 15.3 s unprotected): a gateway
 * silence right after a fill withheld its position report; once BROKER_SETTLE_MS had passed the exit
 * manager believed the report from BEFORE the fill, cancelled both legs ("covers 398 more than held"),
 * again after the reconnect, and protected again only when restarted. The shares held come from our own
 * fills; a report shrinks protection only when it is provably newer than them.
 * Real time is injected (`realNowMs`), so "BROKER_SETTLE_MS later" needs no sleep.
 */
describe('a position report older than our own fills never shrinks protection', () => {
  const temp = makeTempDir('stale-report');
  const baseConfig = loadConfig({ env: {} });
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  let nowMs: number;
  const managers: ProtectionManager[] = [];

  const manager = (brokerSettleMs: number) => {
    const config: ResolvedConfig = { ...baseConfig, exits: { ...baseConfig.exits, brokerSettleMs } };
    const m = new ProtectionManager({ app: 'exit-manager', broker, db, repos, clock, log: silentLogger(), config, onProtectingChanged: () => undefined, realNowMs: () => nowMs });
    m.start();
    managers.push(m);
    return m;
  };
  /** The day-trader's entry, booked in the DB: the broker's report of it is held back (a silent gateway). */
  const entryFilled = (symbol: string, quantity: number, price: number) => {
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: quantity });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId: `0000e.${symbol}.000001.01`, symbol, side: 'BUY', quantity, price, commission: 1, executedAtMs: clock.now() });
    repos.ledger.recordEntryStatus(claim.position.id, quantity, false);
    broker.setPosition(symbol, broker.trueQuantity(symbol) + quantity, price);
    return claim.position.id;
  };
  const workingQuantities = async (symbol: string) => (await broker.openOrders('own')).filter((o) => o.symbol === symbol).map((o) => [o.orderRef, o.quantity]);

  beforeEach(async () => {
    ({ db, repos, clock, broker } = await openFakeMarketDay(temp.dir, `s-${n++}.db`, { app: 'exit-manager', clientId: 12 }));
    broker.setPrice('XYZ', 20);
    nowMs = 1_000_000;
  });
  afterEach(() => {
    for (const m of managers.splice(0)) m.stop();
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('protects the shares of a fill whose report never came, however long nothing happens', async () => {
    const m = manager(0); // even with no settle time at all: a report from before the fill says nothing about it
    await m.resync('start');
    nowMs += 1;
    broker.holdPositionUpdates(); // the gateway goes silent 0.4 s after the fill: the report is withheld
    const positionId = entryFilled('XYZ', 398, 20);
    await m.checkAll();
    await flush();
    expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 398], [`${positionId}:TP:1`, 398]]);
    for (const step of [1_000, 5_000, 60_000]) {
      nowMs += step;
      await m.checkAll();
      await flush();
    }
    expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 398], [`${positionId}:TP:1`, 398]]);
    expect(broker.sent).toHaveLength(2);
  });

  it('keeps protecting through the reconnect, and still shrinks on a report that is provably newer (a sale by hand)', async () => {
    const m = manager(3_000);
    await m.resync('start');
    nowMs += 10_000;
    broker.holdPositionUpdates();
    const positionId = entryFilled('XYZ', 398, 20);
    await m.checkAll();
    nowMs += 10_000; // BROKER_SETTLE_MS is long gone: "no news" is still no evidence
    await m.checkAll();
    await flush();
    expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 398], [`${positionId}:TP:1`, 398]]);

    // The link is recycled; the gateway answers again and reports the truth.
    broker.simulateDisconnect('liveness timeout');
    broker.releasePositionUpdates();
    broker.holdPositionUpdates(false);
    nowMs += 1_000;
    await broker.connect(); // 'connected' runs the resync
    await m.resync('reconnected');
    await flush();
    expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 398], [`${positionId}:TP:1`, 398]]);
    expect(broker.sent).toHaveLength(2);

    // 98 shares sold by hand, reported long after our last fill: that report is evidence, protection shrinks.
    nowMs += 10_000;
    broker.setPosition('XYZ', 300, 20);
    nowMs += 3_000; // once the symbol is quiet (nothing of ours in flight)
    await m.checkAll();
    await flush();
    expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 300], [`${positionId}:TP:1`, 300]]);
  });
});

describe('BrokerReportEvidence: when the broker\'s word may cap our count', () => {
  let nowMs = 0;
  const evidence = () => new BrokerReportEvidence(3_000, () => nowMs);

  it('a report counts only when given BROKER_SETTLE_MS or more after the last change of our own count', () => {
    nowMs = 10_000;
    const e = evidence();
    e.noteHeld('XYZ', 398); // first sight of shares we hold: their report may still be on its way
    e.reported('XYZ', 12_999);
    expect(e.believable('XYZ')).toBe(false);
    e.reported('XYZ', 13_000);
    expect(e.believable('XYZ')).toBe(true);
    nowMs = 20_000;
    e.noteHeld('XYZ', 300); // a fill of ours: the earlier report says nothing about it
    expect(e.believable('XYZ')).toBe(false);
    nowMs = 60_000; // time alone is no evidence
    expect(e.believable('XYZ')).toBe(false);
    e.snapshotAnswered(59_000, ['XYZ'], ['XYZ']); // a snapshot requested long after it is
    expect(e.believable('XYZ')).toBe(true);
  });

  it('caps with the last believable report moved by our own fills since; never from one older than them', () => {
    nowMs = 10_000;
    const e = evidence();
    expect(e.cap('XYZ', 0, 0, true)).toBeUndefined(); // nothing of ours, no report yet
    e.snapshotAnswered(10_000, [], ['XYZ']); // flat at the broker, as of 10 s
    expect(e.cap('XYZ', 0, 0, true)).toBe(0);
    nowMs = 11_000;
    expect(e.cap('XYZ', 398, 0, true)).toBe(398); // bought 398: the stale flat report is moved by our fill
    nowMs = 30_000;
    expect(e.cap('XYZ', 398, 0, true)).toBe(398); // no report came (a silent gateway): still 398
    e.reported('XYZ', 30_000);
    expect(e.cap('XYZ', 398, 300, true)).toBe(300); // a report long after our fill: 98 sold by hand
  });

  it('first sight of no shares of ours has no fill for a report to trail: a report of foreign shares counts at once', () => {
    nowMs = 10_000;
    const e = evidence();
    e.reported('HAND', 10_000);
    e.noteHeld('HAND', 0);
    expect(e.believable('HAND')).toBe(true);
  });
});
