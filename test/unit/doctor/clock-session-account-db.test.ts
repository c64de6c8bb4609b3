import { LATEST_SCHEMA_VERSION } from '../../../shared/db/migrations';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../shared/config/load-config';
import { ConfigError } from '../../../shared/errors/errors';
import { openDatabase, TradingHaltsRepository } from '../../../shared/db';
import { ManualClock, SystemClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { accountCheck } from '../../../scripts/doctor/account-check';
import { clockCheck } from '../../../scripts/doctor/clock-check';
import { configCheck, invalidConfigCheck } from '../../../scripts/doctor/config-check';
import { databaseCheck, readDatabaseState } from '../../../scripts/doctor/database-check';
import { sessionCheck } from '../../../scripts/doctor/session-check';
import { parseSymbols } from '../../../scripts/doctor/test-symbols';

describe('clock skew', () => {
  const context = { mode: 'PAPER', clock: new SystemClock() };
  const at = (differenceMs: number, requestSpanMs = 40) => ({ gatewayMs: 1_000_000 + differenceMs - 500, localMs: 1_000_000, requestSpanMs });

  it('is ok within 2 s once the measurement\'s own uncertainty is taken off, warns above, fails above 30 s', () => {
    expect(clockCheck(at(1_500), context).status).toBe('ok');
    expect(clockCheck(at(2_500), context).status).toBe('ok'); // 2.5 s apart, but 0.52 s of that is second resolution and the request's duration
    expect(clockCheck(at(3_000), context).status).toBe('warn');
    expect(clockCheck(at(-3_000), context).finding).toContain('behind this machine\'s clock');
    const far = clockCheck(at(31_000), context);
    expect(far.status).toBe('fail');
    expect(far.action).toContain('synchronise this machine\'s clock');
  });

  it('does not blame the clock for a slow answer', () => {
    expect(clockCheck(at(5_000, 8_000), context).status).toBe('ok');
  });

  it('in SIM compares against the bots\' compressed market clock and says when its anchor file is missing', () => {
    const sim = clockCheck(at(120_000), { mode: 'SIM', clock: new SystemClock(), simAnchorMissing: '/tmp/x/sim-clock.json' });
    expect(sim.status).toBe('fail');
    expect(sim.finding).toContain('the simulator\'s market clock');
    expect(sim.action).toContain('/tmp/x/sim-clock.json is missing');
    expect(clockCheck(undefined, context, 'timeout').status).toBe('warn');
  });
});

describe('trading session', () => {
  const config = loadConfig({ env: {} });
  it('says open now until the close, with the entry cut-off and the flatten', () => {
    const result = sessionCheck(config, newYorkTime('2026-11-23', '10:00'), 1);
    expect(result.finding).toBe('open now until 16:00 ET (in 6 h 00 min)');
    expect(result.lines![0]).toBe('new entries stop at 15:30 ET (ENTRY_CUTOFF_MINUTES=30); everything is flattened from 15:50 ET (EOD_FLATTEN_MINUTES=10)');
  });

  it('names an early close, the next open on a weekend or holiday, and the real time on a compressed clock', () => {
    expect(sessionCheck(config, newYorkTime('2026-11-27', '10:00'), 1).finding).toContain('EARLY CLOSE today');
    expect(sessionCheck(config, newYorkTime('2026-11-28', '10:00'), 1).finding).toBe('closed today (weekend); the next session opens Mon 2026-11-30 09:30–16:00 ET (in 1 d 23 h)');
    expect(sessionCheck(config, newYorkTime('2026-11-26', '10:00'), 1).finding).toContain('closed today (Thanksgiving Day); the next session opens Fri 2026-11-27 09:30–13:00 ET (early close');
    expect(sessionCheck(config, newYorkTime('2026-11-23', '17:00'), 60).finding).toBe('closed for the day; the next session opens Tue 2026-11-24 09:30–16:00 ET (in 16 h 30 min; 17 min of real time at ×60)');
    expect(sessionCheck(config, newYorkTime('2026-11-23', '08:00'), 1).finding).toBe('pre-market; the next session opens Mon 2026-11-23 09:30–16:00 ET (in 1 h 30 min)');
  });
});

describe('account', () => {
  it('applies the bots\' own rule: a wrong IB_ACCOUNT or a live login outside LIVE fails', () => {
    const wrong = accountCheck(loadConfig({ env: { IB_ACCOUNT: 'DU9999999' } }), ['DU1000007'], undefined);
    expect(wrong).toMatchObject({ status: 'fail', finding: 'IB_ACCOUNT=DU9999999 but the gateway manages DU1000007: log in with the right user or fix IB_ACCOUNT' });
    expect(wrong.action).toContain('exit 78');
    expect(accountCheck(loadConfig({ env: { MODE: 'PAPER' } }), ['U1234567'], undefined).status).toBe('fail');
  });

  it('is ok on the right account, and warns when several accounts are managed and none is pinned', () => {
    const ok = accountCheck(loadConfig({ env: { MODE: 'PAPER', IB_ACCOUNT: 'DU1000007' } }), ['DU1000007'], { accountId: 'DU1000007', netLiquidation: 100_000, buyingPower: 400_000, totalCash: 0, grossPositionValue: 0, availableFunds: 0 });
    expect(ok).toMatchObject({ status: 'ok', finding: 'DU1000007 (paper), matches IB_ACCOUNT, MODE=PAPER; net liquidation $100,000.00, buying power $400,000.00' });
    expect(accountCheck(loadConfig({ env: { MODE: 'PAPER' } }), ['DU1', 'DU2'], undefined).status).toBe('warn');
  });
});

describe('configuration', () => {
  it('summarises the valid configuration with the doctor\'s own client id', () => {
    const result = configCheck(loadConfig({ env: { MODE: 'PAPER', CLIENT_ID_DOCTOR: '27' } }), undefined);
    expect(result.status).toBe('ok');
    expect(result.finding).toBe('valid: MODE=PAPER, gateway 127.0.0.1:4002, IB_ACCOUNT not set, MARKET_DATA_TYPE=auto, FOREIGN_POSITIONS=ignore');
    expect(result.lines![0]).toContain('doctor 27');
  });

  it('refuses a doctor client id that is a bot\'s (IB would refuse the second connection)', () => {
    expect(() => loadConfig({ env: { CLIENT_ID_DOCTOR: '13' } })).toThrow(ConfigError);
    const error = (() => { try { loadConfig({ env: { MARKET_DATA_TYPE: 'bogus' } }); } catch (e) { return e as ConfigError; } return undefined; })()!;
    expect(invalidConfigCheck(error)).toMatchObject({ status: 'fail', lines: [expect.stringContaining('MARKET_DATA_TYPE')] });
  });
});

describe('database', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibdt-doctor-db-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is ok without a DB yet (the bots create it), and never creates one', () => {
    const dbPath = path.join(dir, 'none', 'trading.db');
    const state = readDatabaseState(dbPath, 500);
    expect(databaseCheck(state)).toMatchObject({ status: 'ok', finding: expect.stringContaining('the first bot to start creates it') });
    expect(fs.existsSync(dbPath)).toBe(false);
  });

  it('reads the schema, the active rows, and warns on an active trading halt', () => {
    const dbPath = path.join(dir, 'trading.db');
    const db = openDatabase(dbPath);
    db.close();
    expect(databaseCheck(readDatabaseState(dbPath, 500))).toMatchObject({ status: 'ok', finding: `${dbPath} opens, schema ${LATEST_SCHEMA_VERSION} (current), 0 active position row(s)` });
    const again = openDatabase(dbPath);
    new TradingHaltsRepository(again, new ManualClock(Date.UTC(2026, 10, 23, 15))).set('emergency liquidation', 'liquidate');
    again.close();
    const halted = databaseCheck(readDatabaseState(dbPath, 500));
    expect(halted.status).toBe('warn');
    expect(halted.finding).toMatch(/^TRADING HALT active since .* \(set by liquidate: emergency liquidation\): the bots will not enter, protect or exit/);
    expect(halted.action).toBe('lift it when the account is as you want it: npm run liquidate -- --resume');
  });

  it('fails on a file that is not a database', () => {
    const dbPath = path.join(dir, 'garbage.db');
    fs.writeFileSync(dbPath, 'this is not sqlite, just text long enough to have a header............................................');
    expect(databaseCheck(readDatabaseState(dbPath, 500)).status).toBe('fail');
  });
});

describe('--symbols', () => {
  it('upper-cases, trims, dedupes and keeps share-class spaces', () => {
    expect(parseSymbols(' spy, aapl ,SPY,brk  b')).toEqual(['SPY', 'AAPL', 'BRK B']);
    expect(parseSymbols(undefined)).toBeUndefined();
  });
});
