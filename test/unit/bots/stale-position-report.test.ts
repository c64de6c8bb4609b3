import { BrokerReportEvidence, fellOutsideOurOrders } from '../../../apps/exit-manager/broker-report-evidence';
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

  const manager = (brokerSettleMs: number, exits: Partial<ResolvedConfig['exits']> = {}) => {
    const config: ResolvedConfig = { ...baseConfig, exits: { ...baseConfig.exits, brokerSettleMs, ...exits } };
    const m = new ProtectionManager({ app: 'exit-manager', broker, db, repos, clock, log: silentLogger(), config, onProtectingChanged: () => undefined, realNowMs: () => nowMs });
    m.start();
    managers.push(m);
    return m;
  };
  /**
   * The day-trader's entry, booked in the DB; the broker's position becomes `reportedQuantity` (held back
   * while updates are held: a silent gateway).
   */
  const entryFilled = (symbol: string, quantity: number, price: number, reportedQuantity = broker.trueQuantity(symbol) + quantity) => {
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: quantity });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId: `0000e.${symbol}.000001.01`, symbol, side: 'BUY', quantity, price, commission: 1, executedAtMs: clock.now() });
    repos.ledger.recordEntryStatus(claim.position.id, quantity, false);
    broker.setPosition(symbol, reportedQuantity, price);
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

  /**
   * A sale by hand is known only from the lagging position stream. The chaos run's short GRNT (seed 371501):
   * the exit manager restarted 0.2 s before 100 shares were sold by hand; the report of the sale could not be
   * believed before BROKER_SETTLE_MS (it might have trailed a fill of ours), the report itself restarted the
   * quiet period it is judged by, and nothing booked another look: the pair stayed 4.5 s, until its stop
   * sold shares no longer there. Live, the next look was the periodic resync, 100 s away. A report that FELL
   * is evidence at once: only sales make a holding fall, and ours reach us before their report.
   */
  describe('a sale by hand shrinks protection at its report, without waiting for a resync', () => {
    let m: ProtectionManager;
    beforeEach(async () => {
      // unprotectedAlertSeconds 0: a second look at bare shares alerts (the coverage watch runs in real time).
      m = manager(3_000, { unprotectedAlertSeconds: 0 });
      await m.resync('start');
    });

    /** Our entry, booked; `reported` of its shares reach the position stream (the rest are still on their way). */
    const protectedEntry = async (quantity: number, reported = quantity) => {
      const positionId = entryFilled('XYZ', quantity, 20, reported);
      await m.checkAll();
      await flush();
      return positionId;
    };

    it('long after our last fill', async () => {
      const positionId = await protectedEntry(398);
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 398], [`${positionId}:TP:1`, 398]]);
      nowMs += 60_000;
      broker.setPosition('XYZ', 300, 20); // 98 sold in TWS: the stream reports it, nothing else happens
      await flush();
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 300], [`${positionId}:TP:1`, 300]]);
      // The reconciler has not booked the sale yet: the 98 shares gone need no stop, and no alarm says otherwise.
      await m.checkAll();
      await m.checkAll();
      expect(repos.events.byName('protection_missing')).toEqual([]);
    });

    it('half a second after our fill (the report of the fill came first)', async () => {
      const positionId = await protectedEntry(100);
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 100], [`${positionId}:TP:1`, 100]]);
      nowMs += 500;
      broker.setPosition('XYZ', 0, 20); // all 100 sold by hand
      await flush();
      expect(await workingQuantities('XYZ')).toEqual([]);
      expect(broker.trueQuantity('XYZ')).toBe(0);
    });

    it('counts the sale once when the reconciler books it after the report (the pair stays at what is left)', async () => {
      const positionId = await protectedEntry(310);
      nowMs += 60_000;
      broker.setPosition('XYZ', 207, 20); // 103 sold by hand: the report shrinks the pair at once
      await flush();
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 207], [`${positionId}:TP:1`, 207]]);
      // Seconds later the reconciler (master client) books that sale against the position.
      nowMs += 2_000;
      repos.ledger.recordExit(positionId, { execId: '0000h.XYZ.000002.01', symbol: 'XYZ', side: 'SELL', quantity: 103, price: 20.1, commission: 1, orderRef: '', orderId: 0, clientId: 0, executedAtMs: clock.now() }, 'MANUAL');
      const placedBefore = broker.sent.length;
      for (const step of [1, 500, 5_000]) {
        nowMs += step;
        await m.checkAll();
        await flush();
      }
      // Not shrunk a second time (207 - 103 = 104: the old double count), and nothing re-placed.
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 207], [`${positionId}:TP:1`, 207]]);
      expect(broker.sent.length).toBe(placedBefore);
      expect(repos.positions.getById(positionId)).toMatchObject({ quantity: 207, protectedQuantity: 207 });
    });

    it('after a restart, a sale by hand made since our last fill long ago caps protection at once (no second pair)', async () => {
      const positionId = await protectedEntry(36);
      nowMs += 60_000;
      clock.set(clock.now() + 60_000);
      broker.setPosition('XYZ', 22, 20); // 14 sold by hand: the pair shrinks to 22
      await flush();
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 22], [`${positionId}:TP:1`, 22]]);
      // The exit manager is killed and starts again a minute later: its count (36) is a minute old, the broker's
      // word (22) is not, and the pair over those 22 is all there should be.
      m.stop();
      nowMs += 60_000;
      clock.set(clock.now() + 60_000);
      m = manager(3_000);
      const sentBefore = broker.sent.length;
      await m.resync('startup');
      await m.checkAll();
      await flush();
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 22], [`${positionId}:TP:1`, 22]]);
      expect(broker.sent.length).toBe(sentBefore);
    });

    it('but a report that ROSE short of our count is only a fill of ours still on its way: protection stays', async () => {
      const positionId = await protectedEntry(398, 100); // the stream has shown 100 of our 398 so far
      nowMs += 500;
      await m.checkAll();
      await flush();
      expect(await workingQuantities('XYZ')).toEqual([[`${positionId}:SL:1`, 398], [`${positionId}:TP:1`, 398]]);
    });
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

  it('a stream report that fell counts at once, unless our count changed after it arrived', () => {
    nowMs = 10_000;
    const e = evidence();
    e.noteHeld('XYZ', 100);
    nowMs = 10_500;
    e.reported('XYZ', 10_500, true); // 100 -> 0: only a sale does that
    expect(e.believable('XYZ')).toBe(true);
    expect(e.cap('XYZ', 100, 0, false)).toBe(0); // even while our orders are busy: our own sales are counted already
    nowMs = 10_600;
    e.noteHeld('XYZ', 150); // a fill of ours after the report: it says nothing about that one
    expect(e.believable('XYZ')).toBe(false);
    e.reported('XYZ', 10_700); // a report that did not fall: back to the settle rule
    expect(e.believable('XYZ')).toBe(false);
  });

  it('first sight of no shares of ours has no fill for a report to trail: a report of foreign shares counts at once', () => {
    nowMs = 10_000;
    const e = evidence();
    e.reported('HAND', 10_000);
    e.noteHeld('HAND', 0);
    expect(e.believable('HAND')).toBe(true);
  });
});

describe('fellOutsideOurOrders: which fall of the position report is a sale by someone else', () => {
  it('a fall beyond what our own closing orders traded since the previous report', () => {
    expect(fellOutsideOurOrders(310, 207, 0)).toBe(true); // 103 sold by hand
    expect(fellOutsideOurOrders(100, 0, 0)).toBe(true);
    expect(fellOutsideOurOrders(310, 230, 50)).toBe(true); // our stop sold 50, someone else 30
    expect(fellOutsideOurOrders(-200, -50, 100)).toBe(true); // a short bought back beyond our orders
  });

  it('not a fall our own sales explain (the report may still trail a buy of ours), nor a rise, nor a flip', () => {
    expect(fellOutsideOurOrders(50, 0, 50)).toBe(false); // our stop sold those 50
    expect(fellOutsideOurOrders(310, 207, 150)).toBe(false);
    expect(fellOutsideOurOrders(100, 398, 0)).toBe(false);
    expect(fellOutsideOurOrders(0, 0, 0)).toBe(false);
    expect(fellOutsideOurOrders(100, -20, 0)).toBe(false); // through flat: not "towards flat", the time rule judges it
  });
});
