import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BarDataError } from '../../shared/bars/bar-errors';
import { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { previousTradingDay, type TradingDay } from '../../shared/time/trading-calendar';
import { fillFromModel, importCsvDirectory, tradingDaysFrom } from '../bars/fill';
import { marketModel } from '../bars/market-model-source';
import { ProgressBar } from './progress';

/** Trading days of history a run needs before its first day (daily context: 15 days; the scanner's usual volume: 10). */
export const WARMUP_TRADING_DAYS = 20;

export interface BarsSpec {
  /** What --bars said (recorded with the run). */
  label: string;
  /** The bar store file the engine reads. */
  file: string;
}

/**
 * `--bars`: a bar store file (`*.db`), a folder of `<SYMBOL>.csv` files (imported into a cached store next to
 * the system's temp files, re-imported when a file changes), `synthetic[:seed[:universe]]` (the simulator's
 * seeded market, generated for the range plus its warm-up into a cached store), or nothing (BARS_DB_PATH).
 */
export function resolveBars(option: string | undefined, defaultStore: string, range: { from?: TradingDay; to?: TradingDay }, options: { quiet?: boolean; cacheDir?: string } = {}): BarsSpec {
  const cacheDir = options.cacheDir ?? process.env.BACKTEST_BARS_CACHE ?? path.join(os.tmpdir(), 'ibdt-bars-cache');
  if (!option) {
    if (!fs.existsSync(defaultStore)) throw new BarDataError(`no bar store at ${defaultStore}: fill it first (npm run bars -- import --csv <dir> | --synthetic, or npm run bars -- download), or pass --bars <dir|synthetic|file.db>`);
    return { label: defaultStore, file: defaultStore };
  }
  const synthetic = /^synthetic(?::(\d+))?(?::(\d+))?$/.exec(option);
  if (synthetic) {
    const seed = Number(synthetic[1] ?? 42);
    const universe = Number(synthetic[2] ?? 40);
    if (!range.from || !range.to) throw new BarDataError('--bars synthetic needs --from and --to (the days to generate)');
    if (universe < 30 || universe > 2_000) throw new BarDataError(`synthetic universe must be 30 to 2000 symbols, got ${universe}`);
    fs.mkdirSync(cacheDir, { recursive: true });
    const file = path.join(cacheDir, `synthetic-${seed}-${universe}.db`);
    const store = BarStore.open(file);
    try {
      let first = range.from;
      for (let i = 0; i < WARMUP_TRADING_DAYS; i++) first = previousTradingDay(first);
      const days = tradingDaysFrom(first, range.to);
      const model = marketModel({ seed, universeSize: universe });
      const symbols = model.universe.map((u) => u.symbol);
      const progress = new ProgressBar('generating bars', { quiet: options.quiet });
      fillFromModel(store, model, symbols, days, `synthetic:${seed}:${universe}`, (done, total) => progress.update(done, total));
    } finally {
      store.close();
    }
    return { label: `synthetic:${seed}:${universe}`, file };
  }
  if (option.endsWith('.db')) {
    if (!fs.existsSync(option)) throw new BarDataError(`no bar store at ${path.resolve(option)}`);
    return { label: path.resolve(option), file: path.resolve(option) };
  }
  const dir = path.resolve(option);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new BarDataError(`--bars ${option}: not a folder of <SYMBOL>.csv files, a bar store (.db) or synthetic[:seed[:universe]]`);
  const stamp = fs.readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.csv')).sort().map((f) => `${f}:${fs.statSync(path.join(dir, f)).mtimeMs}:${fs.statSync(path.join(dir, f)).size}`).join('|');
  const key = crypto.createHash('sha256').update(`${dir}\n${stamp}`).digest('hex').slice(0, 16);
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `csv-${key}.db`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    const store = BarStore.open(tmp);
    try {
      importCsvDirectory(store, dir);
      store.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      store.close();
      fs.rmSync(tmp, { force: true });
      throw error;
    }
    store.close();
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${tmp}${suffix}`, { force: true });
    fs.renameSync(tmp, file);
  }
  return { label: dir, file };
}
