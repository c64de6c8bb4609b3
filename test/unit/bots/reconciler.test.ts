import { Reconciler } from '../../../apps/reconciler/reconciler';
import { classifySymbol } from '../../../apps/reconciler/classify';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import type { ResolvedConfig } from '../../../shared/config/schema';
import type { Db, Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { makeTempDir } from '../../helpers/temp-dir';
import { DAY, flush, openFakeMarketDay } from './fake-market-day';

/** Longer than the broker reports' lag (exits.brokerSettleMs at speed 1): fills before this are visible in positions. */
const SETTLED_MS = 10_000;

describe('reconciler against the fake broker', () => {
  const temp = makeTempDir('reconciler');
  const baseConfig = loadConfig({ env: {} });
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  let reconciler: Reconciler;
  const reconcilerWith = (foreignPolicy: ResolvedConfig['positions']['foreignPolicy']) =>
    new Reconciler({ app: 'reconciler', broker, db, repos, clock, log: silentLogger(), config: { ...baseConfig, positions: { foreignPolicy } } });

  beforeEach(async () => {
    ({ db, repos, clock, broker } = await openFakeMarketDay(temp.dir, `r-${n++}.db`, { app: 'reconciler', clientId: 13, at: '11:00' }));
    reconciler = reconcilerWith('ignore');
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  /** An entry the day-trader sent and the broker filled; `book` false = the day-trader died before booking it. */
  async function entered(symbol: string, quantity: number, price: number, book: boolean): Promise<string> {
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: quantity });
    if (!claim.ok) throw new Error(claim.reason);
    broker.setPrice(symbol, price);
    await broker.placeOrder({ orderRef: claim.position.id, symbol, side: 'BUY', quantity, type: 'MKT', tif: 'DAY' });
    await flush();
    if (book) {
      const [execution] = await broker.executions({ symbol });
      repos.ledger.recordEntryFill(claim.position.id, { ...execution!, executedAtMs: execution!.timeMs });
      repos.ledger.recordEntryStatus(claim.position.id, quantity, false);
    }
    return claim.position.id;
  }

  it('reports OK and writes a log row when DB and broker agree', async () => {
    await entered('ABC', 100, 50, true);
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.status).toBe('OK');
    expect(result.reports).toEqual([expect.objectContaining({ symbol: 'ABC', status: 'OK', dbQuantity: 100, brokerQuantity: 100, foreignQuantity: 0 })]);
    expect(repos.reconciliation.latest()).toMatchObject({ status: 'OK', symbols: 1, discrepancies: 0, trigger: 'test' });
  });

  it('books an entry fill nobody booked, exactly once', async () => {
    const id = await entered('ABC', 100, 50, false);
    await reconciler.run('first');
    await reconciler.run('second');
    expect(repos.positions.getById(id)).toMatchObject({ status: 'OPEN', quantity: 100 });
    expect(repos.trades.getByPosition(id)).toHaveLength(1);
  });

  it('defers a symbol whose latest fill is younger than the broker\'s reports lag, then judges it', async () => {
    broker.holdPositionUpdates(); // the broker does not report the entry's position yet
    await entered('ABC', 100, 50, true);
    const first = await reconciler.run('young');
    expect(first.reports).toEqual([expect.objectContaining({ symbol: 'ABC', status: 'MISSING_AT_BROKER', action: expect.stringMatching(/^deferred/), flagged: false })]);
    // Not judged yet, so nothing was repaired: the run is not REPAIRED (and raises no alert).
    expect(first.status).toBe('OK');
    expect(repos.reconciliation.latest()).toMatchObject({ status: 'OK', discrepancies: 0, repaired: 0, flagged: 0 });
    broker.holdPositionUpdates(false);
    clock.advance(SETTLED_MS);
    expect((await reconciler.run('settled')).status).toBe('OK');
  });

  it('reports a stock position nobody of ours bought as FOREIGN and leaves it alone by default', async () => {
    broker.setPrice('HAND', 20);
    broker.setPosition('HAND', 40, 20);
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.status).toBe('OK');
    expect(result.reports).toEqual([expect.objectContaining({ symbol: 'HAND', status: 'FOREIGN', foreignQuantity: 40, action: expect.stringMatching(/left alone/) })]);
    expect(repos.positions.getActivePositions()).toEqual([]);
    expect(repos.brokerPositions.all()).toEqual([expect.objectContaining({ symbol: 'HAND', quantity: 40, oursQuantity: 0, foreignQuantity: 40, handling: 'ignored' })]);
  });

  it('adopts a foreign stock position when FOREIGN_POSITIONS=adopt (and protect-only under protect)', async () => {
    broker.setPrice('HAND', 20);
    broker.setPosition('HAND', 40, 20);
    clock.advance(SETTLED_MS);
    const result = await reconcilerWith('adopt').run('test');
    expect(result.reports[0]).toMatchObject({ symbol: 'HAND', status: 'FOREIGN', action: expect.stringMatching(/^adopted as A-.*policy adopt/) });
    expect(repos.positions.getActivePosition('HAND')).toMatchObject({ status: 'OPEN', quantity: 40, agentName: 'adopted', metadata: expect.not.objectContaining({ protectOnly: true }) });
    broker.setPrice('KEEP', 30);
    broker.setPosition('KEEP', 10, 30);
    clock.advance(SETTLED_MS);
    await reconcilerWith('protect').run('test');
    expect(repos.positions.getActivePosition('KEEP')).toMatchObject({ quantity: 10, metadata: expect.objectContaining({ protectOnly: true }) });
  });

  it('adopts as ours the shares our own executions of today explain when the DB lost the row', async () => {
    const id = await entered('ABC', 100, 50, true);
    db.prepare('DELETE FROM active_positions WHERE id = ?').run(id); // the DB lost it
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.reports[0]).toMatchObject({ symbol: 'ABC', status: 'MISSING_IN_DB', action: expect.stringMatching(/^adopted as A-.*our own fills/) });
    expect(repos.positions.getActivePosition('ABC')).toMatchObject({ quantity: 100, metadata: expect.objectContaining({ recovered: expect.any(String) }) });
  });

  it('records options and other currencies as not tradable and never compares them with the DB', async () => {
    await entered('NOVA', 100, 50, true);
    broker.setPosition('NOVA', 2, 310, { conId: 77_001, secType: 'OPT', description: 'NOVA 20270115 50 C (OPT)' });
    broker.setPosition('SAP', 40, 118, { conId: 77_002, currency: 'EUR' });
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.status).toBe('OK');
    expect(result.reports.map((r) => [r.symbol, r.status])).toEqual([['NOVA', 'OK']]);
    expect(repos.brokerPositions.all().map((p) => [p.description, p.handling])).toEqual([
      ['NOVA 20270115 50 C (OPT)', 'not-tradable'], ['NOVA', 'ours'], ['SAP (STK EUR)', 'not-tradable'],
    ]);
  });

  it('does not adopt shares its snapshot still showed when the exit manager booked their exit meanwhile (found by chaos)', async () => {
    const id = await entered('ABC', 100, 50, true);
    clock.advance(SETTLED_MS);
    const original = broker.executions.bind(broker);
    let raced = false;
    // The positions and executions snapshots are taken; before they are compared, the stop fills and the exit
    // manager books it (the row leaves active_positions).
    broker.executions = async (filter) => {
      const stale = await original(filter);
      if (!raced) {
        raced = true;
        await broker.placeOrder({ orderRef: `${id}:SL:1`, symbol: 'ABC', side: 'SELL', quantity: 100, type: 'MKT', tif: 'GTC' });
        await flush();
        const exit = (await original({ symbol: 'ABC' })).find((e) => e.side === 'SELL')!;
        expect(repos.ledger.recordExit(id, { ...exit, executedAtMs: exit.timeMs }, 'STOP_LOSS').status).toBe('recorded');
      }
      return stale;
    };
    const first = await reconciler.run('raced');
    expect(first.reports).toEqual([expect.objectContaining({ symbol: 'ABC', action: expect.stringMatching(/^deferred/), flagged: false })]);
    expect(repos.positions.getActivePositions()).toEqual([]);
    clock.advance(SETTLED_MS);
    const second = await reconciler.run('next');
    expect(second.status).toBe('OK');
    expect(repos.positions.getActivePositions()).toEqual([]);
    expect(repos.trades.getByPosition(id).map((t) => t.purpose)).toEqual(['ENTRY', 'EXIT']);
  });

  it('closes a row whose symbol went flat as RECONCILED_FLAT from the real exit execution', async () => {
    const id = await entered('ABC', 100, 50, true);
    broker.setPrice('ABC', 52);
    await broker.placeOrder({ orderRef: 'manual-tws', symbol: 'ABC', side: 'SELL', quantity: 100, type: 'MKT', tif: 'DAY' });
    await flush();
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.reports[0]).toMatchObject({ status: 'MISSING_AT_BROKER', action: expect.stringMatching(/RECONCILED_FLAT/) });
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId: id, exitReason: 'RECONCILED_FLAT', exitPrice: 51.99 })]);
  });

  it('books part of a position sold by hand as a MANUAL exit instead of overwriting the DB quantity', async () => {
    const id = await entered('ABC', 100, 50, true);
    await broker.placeOrder({ orderRef: 'manual-tws', symbol: 'ABC', side: 'SELL', quantity: 40, type: 'MKT', tif: 'DAY' });
    await flush();
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.reports[0]).toMatchObject({ status: 'DISCREPANCY', dbQuantity: 100, brokerQuantity: 60, action: expect.stringMatching(/booked \(MANUAL\)/), flagged: false });
    expect(repos.positions.getById(id)).toMatchObject({ quantity: 60 });
    expect(repos.trades.getByPosition(id).map((t) => [t.purpose, t.exit_reason, t.quantity])).toEqual([['ENTRY', null, 100], ['EXIT', 'MANUAL', 40]]);
  });

  it('flags a difference no execution explains, and keeps the DB as it was (never copies the broker\'s number)', async () => {
    const id = await entered('ABC', 100, 50, true);
    broker.setPosition('ABC', 60, 50.01);
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.status).toBe('FLAGGED');
    expect(result.reports[0]).toMatchObject({ status: 'DISCREPANCY', flagged: true, action: expect.stringMatching(/no unbooked execution explains it/) });
    expect(repos.positions.getById(id)?.quantity).toBe(100);
  });

  it('flags a flat symbol that no execution explains, and keeps the row', async () => {
    const id = await entered('ABC', 100, 50, true);
    broker.setPosition('ABC', 0, 0); // gone with no execution visible (e.g. closed on another day)
    clock.advance(SETTLED_MS);
    const result = await reconciler.run('test');
    expect(result.status).toBe('FLAGGED');
    expect(result.reports[0]).toMatchObject({ status: 'MISSING_AT_BROKER', flagged: true });
    expect(repos.positions.getById(id)).toBeDefined();
  });

  it.each(['positions', 'openOrders', 'executions'] as const)('decides nothing when the %s snapshot times out (unknown is not empty)', async (kind) => {
    const id = await entered('ABC', 100, 50, true);
    broker.setPosition('ABC', 0, 0);
    clock.advance(SETTLED_MS);
    broker.failNextSnapshot(kind);
    const result = await reconciler.run('test');
    expect(result).toEqual({ status: 'FAILED', reports: [], booked: 0 });
    expect(repos.positions.getById(id)).toMatchObject({ quantity: 100 });
    expect(repos.reconciliation.latest()).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/unknown, not empty/) });
  });

  it('settles an entry whose order ended while the day-trader was down, so the position can close', async () => {
    const id = await entered('ABC', 100, 50, false);
    repos.ledger.recordEntryStatus(id, 0, true); // the day-trader sent it and died before any status
    clock.advance(SETTLED_MS);
    await reconciler.run('test');
    expect(repos.positions.getById(id)).toMatchObject({ quantity: 100, entryBooked: 100, entryWorking: false });
  });

  it('classifies pending entries with nothing at the broker as in flight, not missing', () => {
    const row = { id: 'P-1', symbol: 'X', quantity: 0, entryPrice: null, status: 'PENDING_ENTRY', entryWorking: true } as never;
    expect(classifySymbol('X', row, undefined, undefined, 0)).toMatchObject({ status: 'OK' });
  });
});
