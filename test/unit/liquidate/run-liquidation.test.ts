import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LiquidationJournal } from '../../../scripts/liquidate/liquidation-journal';
import { renderDryRun, renderExecuted, type ReportContext } from '../../../scripts/liquidate/liquidation-report';
import { runLiquidation, type LiquidationOptions } from '../../../scripts/liquidate/run-liquidation';
import type { BrokerPosition } from '../../../shared/broker/types';
import { createRepositories, openDatabase } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { ScriptedBroker } from './scripted-broker';

const REGULAR = Date.parse('2026-11-23T15:15:00Z'); // Monday 10:15 ET
const PRE_MARKET = Date.parse('2026-11-23T12:00:00Z'); // 07:00 ET
const NIGHT = Date.parse('2026-11-23T07:00:00Z'); // 02:00 ET
const BOTS = new Set([11, 12, 13]);

let dir: string;
let dbPath: string;

function stock(symbol: string, quantity: number, conId: number, overrides: Partial<BrokerPosition> = {}): BrokerPosition {
  return { account: 'DU1', conId, symbol, secType: 'STK', currency: 'USD', description: symbol, quantity, averageCost: 50, ...overrides };
}

/** The bots hold NOVA (and ZETA); the owner holds KO, a NOVA option and a EUR stock. */
function account(): BrokerPosition[] {
  return [stock('NOVA', 100, 11), stock('ZETA', 40, 12), stock('KO', 200, 13), stock('NOVA', 3, 14, { secType: 'OPT', description: 'NOVA 20270115 50 C (OPT)' }), stock('SAP', 10, 15, { currency: 'EUR', description: 'SAP (STK EUR)' })];
}

function seedDb(clock: ManualClock): void {
  const db = openDatabase(dbPath);
  try {
    const repos = createRepositories(db, clock, 'test');
    for (const [symbol, quantity] of [['NOVA', 100], ['ZETA', 40]] as const) {
      repos.positions.addActivePosition({ symbol, quantity, entryPrice: 50, agentName: 'test-agent', status: 'PROTECTED', tradingDay: '2026-11-23' });
    }
  } finally {
    db.close();
  }
}

function activeHalt(): { set_at_ms: number; reason: string; set_by: string } | undefined {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM trading_halts WHERE lifted_at IS NULL').get() as { set_at_ms: number; reason: string; set_by: string } | undefined;
  } finally {
    db.close();
  }
}

async function liquidate(broker: ScriptedBroker, clock: ManualClock, options: Partial<LiquidationOptions> = {}) {
  const journal = LiquidationJournal.open({ dbPath, clock, log: silentLogger(), busyTimeoutMs: 1_000, forWriting: options.execute ?? true });
  try {
    const outcome = await runLiquidation(
      { broker: broker.asPort(), journal, clock, log: silentLogger(), botClientIds: BOTS },
      { execute: true, allStock: false, atOpen: false, fillTimeoutMs: 2_000, cancelTimeoutMs: 1_000, quoteTimeoutMs: 100, ...options },
    );
    const context: ReportContext = { endpoint: '127.0.0.1:4300', clientId: 19, accountId: 'DU1', marketTimeNewYork: '…', journal, elapsedMs: 1, botClientIds: BOTS };
    const text = outcome.execute ? renderExecuted(outcome, context) : renderDryRun(outcome, context);
    if (process.env.SHOW_OUTPUT) process.stderr.write(`${text}\n\n`);
    return { outcome, text };
  } finally {
    journal.close();
  }
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liquidate-unit-'));
  dbPath = path.join(dir, 'trading.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('runLiquidation', () => {
  it('sets the halt before the first global cancel, closes only the bots\' positions at market and leaves the halt on', async () => {
    const clock = new ManualClock(REGULAR);
    seedDb(clock);
    const broker = new ScriptedBroker(account(), { fills: () => true });
    broker.addWorking({ clientId: 12, orderRef: 'P-20261123-NOVA-3f9a1c:SL:1', symbol: 'NOVA' });
    broker.addWorking({ clientId: 0, orderRef: '', symbol: 'KO', type: 'LMT', stopPrice: undefined, limitPrice: 99 });
    const haltAtCancel: boolean[] = [];
    broker.onGlobalCancel = () => haltAtCancel.push(activeHalt() !== undefined);

    const { outcome, text } = await liquidate(broker, clock);

    expect(haltAtCancel).toEqual([true]); // the only global cancel went out with the halt already set
    expect(broker.calls).toEqual(['globalCancel', 'place SELL 100 NOVA MKT', 'place SELL 40 ZETA MKT']);
    expect(outcome.verdict).toBe('flat');
    expect(outcome.halt?.status).toBe('set');
    expect(outcome.cancel).toMatchObject({ globalCancels: 1, reappeared: [], timedOut: false });
    expect(activeHalt()).toMatchObject({ reason: 'emergency liquidation', set_by: 'liquidate' });
    expect(text).toContain('0. Trading halt SET at');
    expect(text).toContain('The trading halt STAYS ON');
    expect(text).toMatch(/Not touched \(3\)/);
    expect(text).toMatch(/KO .*\+200 .*not the bots' \(--all-stock closes it\)/);
    expect(text).toMatch(/NOVA 20270115 50 C \(OPT\) .*\+3 .*not a US stock in USD/);
  });

  it('in a dry run says which orders are the bots\' and which were placed by hand, and changes nothing', async () => {
    const clock = new ManualClock(REGULAR);
    seedDb(clock);
    const broker = new ScriptedBroker(account(), { fills: () => true });
    broker.addWorking({ clientId: 12, orderRef: 'P-20261123-NOVA-3f9a1c:SL:1', symbol: 'NOVA' });
    broker.addWorking({ clientId: 0, orderRef: '', symbol: 'KO', type: 'LMT', stopPrice: undefined, limitPrice: 99 });
    const { outcome, text } = await liquidate(broker, clock, { execute: false });
    expect(outcome.verdict).toBe('dry-run');
    expect(broker.calls).toEqual([]);
    expect(activeHalt()).toBeUndefined();
    expect(text).toMatch(/12 .*NOVA .*bots .*P-20261123-NOVA-3f9a1c:SL:1/);
    expect(text).toMatch(/0 .*KO .*BY HAND \/ other/);
    expect(text).toContain('NOTE: the global cancel also cancels the 1 order(s) placed by hand (TWS) or by another program');
    expect(text).toMatch(/NOVA .*\+100 .*close \+100 \(the bots'\) .*SELL 100 MKT/);
    expect(text).toContain('Trading halt: set FIRST, before any cancel');
  });

  it('closes every US stock with --all-stock, and never an option or a EUR stock', async () => {
    const clock = new ManualClock(REGULAR);
    seedDb(clock);
    const broker = new ScriptedBroker(account(), { fills: () => true });
    const { outcome } = await liquidate(broker, clock, { allStock: true });
    expect(broker.calls.filter((c) => c.startsWith('place'))).toEqual(['place SELL 200 KO MKT', 'place SELL 100 NOVA MKT', 'place SELL 40 ZETA MKT']);
    expect(outcome.verdict).toBe('flat');
    expect(outcome.finalScope!.filter((s) => s.keepQuantity !== 0).map((s) => s.instrument.description)).toEqual(['NOVA 20270115 50 C (OPT)', 'SAP (STK EUR)']);
  });

  it('bounds the global cancels when something that ignores the halt keeps re-placing, and reports it', async () => {
    const clock = new ManualClock(REGULAR);
    seedDb(clock);
    const broker = new ScriptedBroker(account(), { fills: () => true });
    broker.reappearAfterCancel = 100;
    const { outcome, text } = await liquidate(broker, clock, { cancelTimeoutMs: 300 });
    expect(outcome.cancel!.globalCancels).toBe(3);
    expect(outcome.cancel!.reappeared.length).toBeGreaterThanOrEqual(1);
    expect(outcome.cancel!.reappeared.every((o) => o.orderRef === 'P-20261123-NOVA-3f9a1c:SL:9')).toBe(true);
    expect(text).toContain('APPEARED after the global cancel');
    expect(outcome.warnings.join('\n')).toContain('although the trading halt was set: something that does not obey the halt is running');
    // The bots' positions are still closed.
    expect(broker.calls.filter((c) => c.startsWith('place'))).toEqual(['place SELL 100 NOVA MKT', 'place SELL 40 ZETA MKT']);
  });

  it('pre-market: a marketable limit outside regular hours where a quote came, a market order queued for the open where none did', async () => {
    const clock = new ManualClock(PRE_MARKET);
    seedDb(clock);
    const broker = new ScriptedBroker(account(), {
      fills: (request) => request.type === 'LMT', // market orders wait for the open
      quotes: { NOVA: { symbol: 'NOVA', bid: 51.48, ask: 51.6, receivedAtMs: 0 } },
    });
    const { outcome, text } = await liquidate(broker, clock);
    expect(broker.calls).toEqual(['globalCancel', 'place SELL 100 NOVA LMT 51.22 outsideRth', 'place SELL 40 ZETA MKT']);
    expect(outcome.path).toBe('extended-limit');
    expect(outcome.retried).toBe(false); // ZETA's order is queued for the open: nothing to retry
    expect(outcome.verdict).toBe('queued');
    expect(text).toContain('PRE-MARKET SESSION');
    expect(text).toContain('ZETA: no quote within 0.1 s, a DAY market order waits for the open');
    expect(text).toContain('3. Final state: QUEUED FOR THE OPEN Mon 2026-11-23 09:30 ET');
  });

  it('with the market closed refuses without --at-open and changes nothing', async () => {
    const clock = new ManualClock(NIGHT);
    seedDb(clock);
    const broker = new ScriptedBroker(account(), { fills: () => false });
    broker.addWorking({ clientId: 12, orderRef: 'P-20261123-NOVA-3f9a1c:SL:1', symbol: 'NOVA' });
    const { outcome } = await liquidate(broker, clock);
    expect(outcome.verdict).toBe('refused');
    expect(broker.calls).toEqual([]);
    expect(broker.working).toHaveLength(1);
    expect(activeHalt()).toBeUndefined();
  });

  it('with the market closed and --at-open sets the halt, cancels and queues DAY market orders for the open', async () => {
    const clock = new ManualClock(NIGHT);
    seedDb(clock);
    const broker = new ScriptedBroker(account(), { fills: () => false });
    broker.addWorking({ clientId: 12, orderRef: 'P-20261123-NOVA-3f9a1c:SL:1', symbol: 'NOVA' });
    const { outcome, text } = await liquidate(broker, clock, { atOpen: true });
    expect(broker.calls).toEqual(['globalCancel', 'place SELL 100 NOVA MKT', 'place SELL 40 ZETA MKT']);
    expect(broker.sent.every((r) => r.tif === 'DAY' && !r.outsideRth)).toBe(true);
    expect(outcome.verdict).toBe('queued');
    expect(activeHalt()).toBeDefined();
    expect(text).toContain('they execute at the open Mon 2026-11-23 09:30 ET');
  });

  it('with the DB missing still flattens every US stock, and says loudly that the halt could not be set', async () => {
    const clock = new ManualClock(REGULAR);
    const broker = new ScriptedBroker(account(), { fills: () => true });
    const { outcome, text } = await liquidate(broker, clock);
    expect(outcome.halt?.status).toBe('failed');
    expect(broker.calls).toEqual(['globalCancel', 'place SELL 200 KO MKT', 'place SELL 100 NOVA MKT', 'place SELL 40 ZETA MKT']);
    expect(outcome.verdict).toBe('flat');
    expect(text).toContain('!!! THE TRADING HALT COULD NOT BE SET');
    expect(text).toContain('STOP THE BOTS NOW: npm stop');
    expect(outcome.warnings.join('\n')).toContain('EVERY US stock position in USD is closed');
    expect(fs.existsSync(dbPath)).toBe(false);
  });
});
