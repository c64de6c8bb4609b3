import path from 'node:path';
import { Reconciler } from '../../../apps/reconciler/reconciler';
import { classifySymbol } from '../../../apps/reconciler/classify';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

const DAY = '2026-11-23';
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('reconciler against the fake broker', () => {
  const temp = makeTempDir('reconciler');
  const config = loadConfig({ env: {} });
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  let reconciler: Reconciler;

  beforeEach(async () => {
    db = openDatabase(path.join(temp.dir, `r-${n++}.db`));
    clock = new ManualClock(newYorkTime(DAY, '11:00'));
    repos = createRepositories(db, clock, 'reconciler');
    broker = new FakeBroker(clock, { clientId: 13 });
    await broker.connect();
    reconciler = new Reconciler({ app: 'reconciler', broker, db, repos, clock, log: silentLogger(), config });
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
    }
    return claim.position.id;
  }

  it('reports OK and writes a log row when DB and broker agree', async () => {
    await entered('ABC', 100, 50, true);
    const result = await reconciler.run('test');
    expect(result.status).toBe('OK');
    expect(result.reports).toEqual([expect.objectContaining({ symbol: 'ABC', status: 'OK', dbQuantity: 100, brokerQuantity: 100 })]);
    expect(repos.reconciliation.latest()).toMatchObject({ status: 'OK', symbols: 1, discrepancies: 0, trigger: 'test' });
  });

  it('books an entry fill nobody booked, exactly once', async () => {
    const id = await entered('ABC', 100, 50, false);
    await reconciler.run('first');
    await reconciler.run('second');
    expect(repos.positions.getById(id)).toMatchObject({ status: 'OPEN', quantity: 100 });
    expect(repos.trades.getByPosition(id)).toHaveLength(1);
  });

  it('adopts a position opened by hand so the exit manager protects it', async () => {
    broker.setPrice('HAND', 20);
    broker.setPosition('HAND', 40, 20);
    const result = await reconciler.run('test');
    expect(result.status).toBe('REPAIRED');
    expect(result.reports[0]).toMatchObject({ symbol: 'HAND', status: 'MISSING_IN_DB', action: expect.stringMatching(/^adopted as A-/) });
    expect(repos.positions.getActivePosition('HAND')).toMatchObject({ status: 'OPEN', quantity: 40, agentName: 'adopted' });
  });

  it('does not adopt shares its snapshot still showed when the exit manager booked their exit meanwhile (found by chaos)', async () => {
    const id = await entered('ABC', 100, 50, true);
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
    expect(first.reports).toEqual([expect.objectContaining({ symbol: 'ABC', status: 'MISSING_IN_DB', action: expect.stringMatching(/^deferred/), flagged: false })]);
    expect(repos.positions.getActivePositions()).toEqual([]);
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
    const result = await reconciler.run('test');
    expect(result.reports[0]).toMatchObject({ status: 'MISSING_AT_BROKER', action: expect.stringMatching(/RECONCILED_FLAT/) });
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId: id, exitReason: 'RECONCILED_FLAT', exitPrice: 51.99 })]);
  });

  it('flags a flat symbol that no execution explains, and keeps the row', async () => {
    const id = await entered('ABC', 100, 50, true);
    broker.setPosition('ABC', 0, 0); // gone with no execution visible (e.g. closed on another day)
    const result = await reconciler.run('test');
    expect(result.status).toBe('FLAGGED');
    expect(result.reports[0]).toMatchObject({ status: 'MISSING_AT_BROKER', flagged: true });
    expect(repos.positions.getById(id)).toBeDefined();
  });

  it('sets the DB quantity to the broker quantity when they differ', async () => {
    const id = await entered('ABC', 100, 50, true);
    broker.setPosition('ABC', 60, 50.01);
    const result = await reconciler.run('test');
    expect(result.reports[0]).toMatchObject({ status: 'DISCREPANCY', action: expect.stringMatching(/quantity set to the broker's 60/) });
    expect(repos.positions.getById(id)?.quantity).toBe(60);
  });

  it('decides nothing on a snapshot that timed out (unknown is not empty)', async () => {
    const id = await entered('ABC', 100, 50, true);
    broker.setPosition('ABC', 0, 0);
    broker.positionsTimeouts = 1;
    const result = await reconciler.run('test');
    expect(result.status).toBe('FAILED');
    expect(repos.positions.getById(id)).toBeDefined();
    expect(repos.reconciliation.latest()).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/unknown, not empty/) });
  });

  it('classifies pending entries with nothing at the broker as in flight, not missing', () => {
    const row = { id: 'P-1', symbol: 'X', quantity: 0, entryPrice: null, status: 'PENDING_ENTRY' } as never;
    expect(classifySymbol('X', row, undefined, undefined).status).toBe('OK');
  });
});
