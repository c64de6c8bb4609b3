import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { decodeDayBars, encodeDayBars } from '../../bars/codec';
import { regularAggregate, type DailyAggregate, type DayBars } from '../../bars/day-bars';
import { SchemaTooNewError } from '../../errors/errors';
import { sessionHours } from '../../time/trading-calendar';
import { mapDbError } from '../db-errors';
import { BAR_STORE_MIGRATIONS } from './bar-store-migrations';

const LATEST = BAR_STORE_MIGRATIONS[BAR_STORE_MIGRATIONS.length - 1]!.version;

export interface BarCoverage {
  symbol: string;
  firstDay: string;
  lastDay: string;
  days: number;
  bars: number;
  sources: string;
}

export type RequestStatus = 'done' | 'empty' | 'failed';

/**
 * The bar store: minute bars per symbol and trading day in their own SQLite file. Writes are transactions
 * (an import or a download killed half-way keeps every day it committed); reads hand out typed arrays.
 */
export class BarStore {
  private readonly upsertStmt: Database.Statement;
  private readonly dayStmt: Database.Statement<[string, string]>;
  private readonly hasDayStmt: Database.Statement<[string, string]>;
  private readonly daysOfDayStmt: Database.Statement<[string]>;
  private readonly aggregatesStmt: Database.Statement<[string, string, string]>;
  private readonly requestStmt: Database.Statement;
  private readonly requestGetStmt: Database.Statement<[string, string]>;

  private constructor(readonly db: Database.Database, readonly file: string) {
    this.upsertStmt = db.prepare(`INSERT INTO bar_days (symbol, trading_day, bar_count, first_start_ms, last_start_ms, regular_open, regular_high, regular_low,
        regular_close, regular_volume, data, source, imported_at)
      VALUES (@symbol, @tradingDay, @count, @first, @last, @open, @high, @low, @close, @volume, @data, @source, @now)
      ON CONFLICT (symbol, trading_day) DO UPDATE SET bar_count = excluded.bar_count, first_start_ms = excluded.first_start_ms, last_start_ms = excluded.last_start_ms,
        regular_open = excluded.regular_open, regular_high = excluded.regular_high, regular_low = excluded.regular_low, regular_close = excluded.regular_close,
        regular_volume = excluded.regular_volume, data = excluded.data, source = excluded.source, imported_at = excluded.imported_at`);
    this.dayStmt = db.prepare('SELECT data FROM bar_days WHERE symbol = ? AND trading_day = ?');
    this.hasDayStmt = db.prepare('SELECT 1 FROM bar_days WHERE symbol = ? AND trading_day = ?').pluck();
    this.daysOfDayStmt = db.prepare('SELECT symbol, data FROM bar_days WHERE trading_day = ? ORDER BY symbol');
    this.aggregatesStmt = db.prepare(`SELECT trading_day, regular_open, regular_high, regular_low, regular_close, regular_volume FROM bar_days
      WHERE symbol = ? AND trading_day >= ? AND trading_day <= ? AND regular_open IS NOT NULL ORDER BY trading_day`);
    this.requestStmt = db.prepare(`INSERT INTO bar_requests (symbol, trading_day, status, attempts, last_error, updated_at) VALUES (@symbol, @tradingDay, @status, 1, @error, @now)
      ON CONFLICT (symbol, trading_day) DO UPDATE SET status = excluded.status, attempts = bar_requests.attempts + 1, last_error = excluded.last_error, updated_at = excluded.updated_at`);
    this.requestGetStmt = db.prepare('SELECT status, attempts, last_error FROM bar_requests WHERE symbol = ? AND trading_day = ?');
  }

  /** Opens (creating and migrating unless `readonly`) the store at `file`. */
  static open(file: string, options: { readonly?: boolean } = {}): BarStore {
    let db: Database.Database | undefined;
    try {
      if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
      db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly === true });
      db.pragma('busy_timeout = 10000');
      // Page size only takes on a new, empty file (before the first table): 16 KB pages hold a day's BLOB in 2.
      if (!options.readonly && currentVersion(db) === 0) db.pragma('page_size = 16384');
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      const version = currentVersion(db);
      if (version > LATEST) throw new SchemaTooNewError(file, version, LATEST);
      if (!options.readonly && version < LATEST) migrate(db, version);
      return new BarStore(db, file);
    } catch (error) {
      db?.close();
      throw mapDbError(error, file, 10_000);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Stores days (replacing what was there for the same symbol and day) in one transaction. */
  putDays(days: readonly DayBars[], source: string): void {
    const now = new Date().toISOString();
    const write = this.db.transaction(() => {
      for (const day of days) {
        const hours = sessionHours(day.tradingDay);
        const daily = hours ? regularAggregate(day, hours) : undefined;
        this.upsertStmt.run({
          symbol: day.symbol, tradingDay: day.tradingDay, count: day.length, first: day.length ? day.startMs[0] : null, last: day.length ? day.startMs[day.length - 1] : null,
          open: daily?.open ?? null, high: daily?.high ?? null, low: daily?.low ?? null, close: daily?.close ?? null, volume: daily?.volume ?? null,
          data: encodeDayBars(day), source, now,
        });
      }
    });
    write.immediate();
  }

  getDay(symbol: string, tradingDay: string): DayBars | undefined {
    const row = this.dayStmt.get(symbol, tradingDay) as { data: Buffer } | undefined;
    return row ? decodeDayBars(symbol, tradingDay, row.data) : undefined;
  }

  /** Every stored symbol's bars of one day (only `symbols` when given), by symbol. */
  getDayAll(tradingDay: string, symbols?: ReadonlySet<string>): Map<string, DayBars> {
    const out = new Map<string, DayBars>();
    for (const row of this.daysOfDayStmt.iterate(tradingDay) as Iterable<{ symbol: string; data: Buffer }>) {
      if (symbols && !symbols.has(row.symbol)) continue;
      out.set(row.symbol, decodeDayBars(row.symbol, tradingDay, row.data));
    }
    return out;
  }

  /** Regular-session aggregates of a symbol between two days, both included, oldest first. */
  dailyAggregates(symbol: string, fromDay: string, toDay: string): DailyAggregate[] {
    return (this.aggregatesStmt.all(symbol, fromDay, toDay) as Array<{ trading_day: string; regular_open: number; regular_high: number; regular_low: number; regular_close: number; regular_volume: number }>)
      .map((r) => ({ tradingDay: r.trading_day, open: r.regular_open, high: r.regular_high, low: r.regular_low, close: r.regular_close, volume: r.regular_volume }));
  }

  /** Trading days with bars between two days (any symbol; only `symbols` when given), ascending. */
  tradingDays(fromDay: string, toDay: string, symbols?: readonly string[]): string[] {
    if (symbols && symbols.length > 0) {
      const placeholders = symbols.map(() => '?').join(',');
      return (this.db.prepare(`SELECT DISTINCT trading_day FROM bar_days WHERE trading_day >= ? AND trading_day <= ? AND symbol IN (${placeholders}) ORDER BY trading_day`)
        .pluck().all(fromDay, toDay, ...symbols) as string[]);
    }
    return this.db.prepare('SELECT DISTINCT trading_day FROM bar_days WHERE trading_day >= ? AND trading_day <= ? ORDER BY trading_day').pluck().all(fromDay, toDay) as string[];
  }

  symbols(): string[] {
    return this.db.prepare('SELECT DISTINCT symbol FROM bar_days ORDER BY symbol').pluck().all() as string[];
  }

  coverage(symbols?: readonly string[]): BarCoverage[] {
    const rows = this.db.prepare(`SELECT symbol, MIN(trading_day) AS firstDay, MAX(trading_day) AS lastDay, COUNT(*) AS days, SUM(bar_count) AS bars,
        GROUP_CONCAT(DISTINCT source) AS sources FROM bar_days GROUP BY symbol ORDER BY symbol`).all() as BarCoverage[];
    return symbols && symbols.length > 0 ? rows.filter((r) => symbols.includes(r.symbol)) : rows;
  }

  hasDay(symbol: string, tradingDay: string): boolean {
    return this.hasDayStmt.get(symbol, tradingDay) !== undefined;
  }

  recordRequest(symbol: string, tradingDay: string, status: RequestStatus, error?: string): void {
    this.requestStmt.run({ symbol, tradingDay, status, error: error ?? null, now: new Date().toISOString() });
  }

  request(symbol: string, tradingDay: string): { status: RequestStatus; attempts: number; lastError: string | null } | undefined {
    const row = this.requestGetStmt.get(symbol, tradingDay) as { status: RequestStatus; attempts: number; last_error: string | null } | undefined;
    return row ? { status: row.status, attempts: row.attempts, lastError: row.last_error } : undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO bar_store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  getMeta<T>(key: string): T | undefined {
    const value = this.db.prepare('SELECT value FROM bar_store_meta WHERE key = ?').pluck().get(key) as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }
}

function currentVersion(db: Database.Database): number {
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'").get();
  if (!table) return 0;
  return (db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
}

function migrate(db: Database.Database, from: number): void {
  const apply = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const migration of BAR_STORE_MIGRATIONS) {
      if (migration.version <= from) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
    }
  });
  apply.immediate();
}
