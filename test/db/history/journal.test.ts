import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from '../../../shared/db';
import { parseCsvRecords } from '../../../shared/analytics/report';
import {
  DailySummaryRepository, JournalValidationError, TRADE_CSV_COLUMNS, TradeHistoryRepository, importJournal, importJournalFile, parseJournal, tradesToCsv, tradesToJournal,
} from '../../../shared/history';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

const JOURNAL = {
  version: 1,
  trades: [
    { symbol: 'aapl', side: 'LONG', quantity: 100, entryPrice: 187.2, entryTime: '2026-11-23T09:41:00-05:00', exitPrice: 188.95, exitTime: '2026-11-23T11:02:30-05:00', commission: 2, exitReason: 'PROFIT_TARGET', agent: 'gap-momentum' },
    { symbol: 'MSFT', side: 'SELL', quantity: 50, entryPrice: 410, entryTime: '2026-11-23T18:50:00Z', exitPrice: 412, exitTime: '2026-11-23T19:20:00Z' },
    { symbol: 'TSLA', side: 'BUY', quantity: 10, entryPrice: 300, entryTime: '2026-11-24T10:00:00-05:00' },
  ],
};

function rows(db: Db) {
  return db.prepare('SELECT position_id, symbol, direction, status, quantity, entry_price, exit_price, realized_pnl, source FROM round_trips ORDER BY position_id').all();
}

describe('journal import and export', () => {
  const temp = makeTempDir('journal');
  let db: Db;
  let clock: ManualClock;
  let n = 0;

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `journal-${n++}.db`));
    clock = new ManualClock(newYorkTime('2026-11-24', '17:00'));
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  it('imports a journal with the right P&L, and importing it twice gives the same rows', () => {
    const first = importJournal(db, clock, JOURNAL);
    expect(first).toMatchObject({ inserted: 3, closed: 0, unchanged: 0, conflicts: [], recomputedDays: ['2026-11-23'] });
    const history = new TradeHistoryRepository(db, clock);
    const trades = history.list();
    expect(trades.map((t) => [t.symbol, t.direction, t.status, t.source])).toEqual([
      ['AAPL', 'LONG', 'CLOSED', 'import'], ['MSFT', 'SHORT', 'CLOSED', 'import'], ['TSLA', 'LONG', 'OPEN', 'import'],
    ]);
    // AAPL: (188.95 - 187.2) × 100 - 2 = 173; MSFT short: -(412 - 410) × 50 = -100
    expect(trades[0]!.realizedPnl).toBeCloseTo(173, 9);
    expect(trades[0]).toMatchObject({ exitReason: 'PROFIT_TARGET', agentName: 'gap-momentum', commission: 2, entryTime: '2026-11-23T14:41:00.000Z', tradingDay: '2026-11-23' });
    expect(trades[1]).toMatchObject({ realizedPnl: -100, exitReason: 'MANUAL', agentName: 'journal' });
    expect(new DailySummaryRepository(db, clock).get('2026-11-23')).toMatchObject({ trades: 2, wins: 1, losses: 1 });

    const before = rows(db);
    const second = importJournal(db, clock, JOURNAL);
    expect(second).toMatchObject({ inserted: 0, closed: 0, unchanged: 3, conflicts: [] });
    expect(rows(db)).toEqual(before);
  });

  it('closes a trade imported OPEN when a later journal has its exit, and reports conflicting exits', () => {
    importJournal(db, clock, JOURNAL);
    const later = structuredClone(JOURNAL);
    Object.assign(later.trades[2]!, { exitPrice: 310, exitTime: '2026-11-25T10:30:00-05:00', commission: 1 });
    later.trades[0]!.exitPrice = 200;
    const result = importJournal(db, clock, later);
    expect(result).toMatchObject({ inserted: 0, closed: 1, unchanged: 1, recomputedDays: ['2026-11-25'] });
    expect(result.conflicts).toEqual([{ row: 0, positionId: expect.stringMatching(/^J-[0-9a-f]{20}$/), reason: expect.stringContaining('stored exit differs') }]);
    const tsla = new TradeHistoryRepository(db, clock).list({ symbol: 'TSLA' })[0]!;
    expect(tsla).toMatchObject({ status: 'CLOSED', exitPrice: 310, commission: 1, realizedPnl: 99 }); // (310 - 300) × 10 - 1
  });

  it('lists every bad row and field at once and imports nothing', () => {
    const bad = {
      trades: [
        { symbol: 'OK', side: 'LONG', quantity: 1, entryPrice: 1, entryTime: '2026-11-23T10:00:00Z' },
        { symbol: '', side: 'UP', quantity: 1.5, entryPrice: -3, entryTime: '2026-11-23 10:00' },
        { symbol: 'X', side: 'LONG', quantity: 1, entryPrice: 1, entryTime: '2026-11-23T10:00:00Z', exitPrice: 2 },
        { symbol: 'Y', side: 'LONG', quantity: 1, entryPrice: 1, entryTime: '2026-11-23T10:00:00Z', exitPrice: 2, exitTime: '2026-11-23T09:00:00Z' },
        'not an object',
        { symbol: 'OK', side: 'LONG', quantity: 1, entryPrice: 1, entryTime: '2026-11-23T05:00:00-05:00' },
      ],
    };
    let error: unknown;
    try {
      importJournal(db, clock, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JournalValidationError);
    const problems = (error as JournalValidationError).problems;
    const where = problems.map((p) => `${p.row}:${p.field}`);
    expect(where).toEqual(expect.arrayContaining(['1:symbol', '1:side', '1:quantity', '1:entryPrice', '1:entryTime', '2:exitTime', '3:exitTime', '4:', '5:']));
    expect(where.some((w) => w.startsWith('0:'))).toBe(false);
    expect(problems.find((p) => p.row === 5)!.message).toMatch(/same trade as trades\[0\]/);
    expect((error as Error).message).toMatch(/trades\[1\]\.quantity/);
    expect(rows(db)).toEqual([]);
    expect(() => parseJournal({ nope: [] })).toThrow(JournalValidationError);
    expect(() => parseJournal({ version: 2, trades: [] })).toThrow(/unsupported version 2/);
  });

  it('reads a journal file and explains a file that is not JSON', () => {
    const file = path.join(temp.dir, 'journal.json');
    fs.writeFileSync(file, JSON.stringify(JOURNAL));
    expect(importJournalFile(db, clock, file).inserted).toBe(3);
    fs.writeFileSync(file, '{ "trades": [');
    expect(() => importJournalFile(db, clock, file)).toThrow(/is not valid JSON/);
    expect(() => importJournalFile(db, clock, path.join(temp.dir, 'missing.json'))).toThrow(/cannot read .*ENOENT/);
  });

  it('exports CSV that parses back to the same trades', () => {
    importJournal(db, clock, JOURNAL);
    const history = new TradeHistoryRepository(db, clock);
    history.recordTrade({ positionId: 'P-odd', symbol: 'BRK.B', agentName: 'agent "quoted", with comma\nand newline', quantity: 3, entryPrice: 0.1 + 0.2, entryTimeMs: newYorkTime('2026-11-24', '10:00') });
    const trades = history.list();
    const parsed = parseCsvRecords(tradesToCsv(trades));
    expect(Object.keys(parsed[0]!)).toEqual([...TRADE_CSV_COLUMNS]);
    expect(parsed).toHaveLength(trades.length);
    parsed.forEach((row, i) => {
      const t = trades[i]!;
      expect(row).toMatchObject({ position_id: t.positionId, symbol: t.symbol, agent_name: t.agentName, direction: t.direction, status: t.status, entry_time: t.entryTime, exit_time: t.exitTime ?? '', exit_reason: t.exitReason ?? '', trading_day: t.tradingDay, source: t.source });
      expect(Number(row.quantity)).toBe(t.quantity);
      expect(Number(row.entry_price)).toBe(t.entryPrice); // full precision: 0.30000000000000004 survives
      expect(row.realized_pnl === '' ? null : Number(row.realized_pnl)).toBe(t.realizedPnl);
      expect(row.exit_price === '' ? null : Number(row.exit_price)).toBe(t.exitPrice);
    });
  });

  it('exports JSON in the journal format that re-imports as a no-op, with filters', () => {
    importJournal(db, clock, JOURNAL);
    const history = new TradeHistoryRepository(db, clock);
    const exported = JSON.parse(JSON.stringify(tradesToJournal(history.list(), '2026-11-24T22:00:00.000Z')));
    expect(exported.trades).toHaveLength(3);
    expect(exported.trades[0]).toMatchObject({ symbol: 'AAPL', side: 'LONG', status: 'CLOSED', exitReason: 'PROFIT_TARGET' });
    expect(exported.trades[2].exitPrice).toBeUndefined();
    const before = rows(db);
    expect(importJournal(db, clock, exported)).toMatchObject({ inserted: 0, unchanged: 3 });
    expect(rows(db)).toEqual(before);
    // The same export imported into an empty DB recreates the trades with their ids
    const other = openDatabase(path.join(temp.dir, `journal-copy-${n}.db`));
    try {
      expect(importJournal(other, clock, exported).inserted).toBe(3);
      expect(rows(other)).toEqual(before);
    } finally {
      other.close();
    }
    expect(tradesToJournal(history.list({ symbol: 'MSFT' }), 'now').trades.map((t) => t.symbol)).toEqual(['MSFT']);
  });
});
