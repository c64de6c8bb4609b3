import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../shared/db';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../shared/db/migrations';
import { upgradeVerdict } from '../../scripts/upgrade-check';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';

/**
 * A DB as an earlier release left it: only the migrations up to `version` applied (their SQL and data steps,
 * recorded in schema_migrations exactly as open-database.ts records them), then rows written in that
 * release's shape.
 */
function fixtureAt(file: string, version: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    db.exec(migration.sql);
    migration.up?.(db);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, '2026-11-20T21:00:00.000Z');
  }
  // The previous release's trading history: a closed position, its two fills, an audit event.
  db.prepare(`INSERT INTO closed_positions_today (symbol, close_date, position_id, quantity, entry_price, exit_price, exit_reason, profit_loss_pct, realized_pnl, commission, agent_name, entry_timestamp, timestamp)
    VALUES ('NOVA', '2026-11-20', 'P-20261120-NOVA-aaaaaa', 100, 52.04, 53.08, 'PROFIT_TARGET', 2.0, 102, 2, 'gap-momentum', '2026-11-20T14:35:00.000Z', '2026-11-20T14:41:00.000Z')`).run();
  const trade = db.prepare(`INSERT INTO trades (exec_id, position_id, symbol, side, quantity, price, commission, purpose, exit_reason, order_ref, order_id, perm_id, client_id, agent_name, trading_day, executed_at, recorded_at)
    VALUES (?, 'P-20261120-NOVA-aaaaaa', 'NOVA', ?, 100, ?, 1, ?, ?, ?, ?, ?, ?, 'gap-momentum', '2026-11-20', ?, ?)`);
  trade.run('0000e1.01.01', 'BUY', 52.04, 'ENTRY', null, 'P-20261120-NOVA-aaaaaa', 101, 9001, 11, '2026-11-20T14:35:00.000Z', '2026-11-20T14:35:01.000Z');
  trade.run('0000e2.01.01', 'SELL', 53.08, 'EXIT', 'PROFIT_TARGET', 'P-20261120-NOVA-aaaaaa:TP:1', 102, 9002, 12, '2026-11-20T14:41:00.000Z', '2026-11-20T14:41:01.000Z');
  // Schema 2's ledger books each fill with its execution's base id.
  if (version >= 2) db.prepare("UPDATE trades SET exec_base = substr(exec_id, 1, length(exec_id) - 3)").run();
  db.prepare("INSERT INTO events (at, app, event, level, data) VALUES ('2026-11-20T14:41:01.000Z', 'exit-manager', 'position_closed', 'info', '{}')").run();
  db.close();
}

describe('upgrading a DB written by an earlier release', () => {
  const temp = makeTempDir('upgrade');
  afterAll(() => temp.cleanup());

  for (const version of [1, 2]) {
    it(`from schema ${version}: the first process applies the missing migrations once, nothing written before is lost`, async () => {
      const file = path.join(temp.dir, `schema-${version}.db`);
      fixtureAt(file, version);
      expect(upgradeVerdict(applied(file), file)).toMatchObject({ status: 'migrations_pending', exitCode: 1, dbVersion: version, codeVersion: LATEST_SCHEMA_VERSION });
      const env = testEnv({ DB_PATH: file });
      const check = spawnSync(process.execPath, [distFile('scripts/upgrade-check.ts')], { env, encoding: 'utf8' });
      expect(check.status).toBe(1);
      expect(check.stdout).toMatch(new RegExp(`UPGRADE PENDING: the DB has schema ${version}`));
      // Four processes start together (PM2 starts the apps at once): one migrates, the others wait and find it done.
      const script = `const { openDatabase } = require(${JSON.stringify(distFile('shared/db/index.ts'))}); openDatabase(process.argv[1]).close();`;
      const codes = await Promise.all([0, 1, 2, 3].map(() => new Promise<number | null>((resolve) => {
        spawn(process.execPath, ['-e', script, file], { stdio: 'inherit', env: testEnv() }).on('exit', resolve);
      })));
      expect(codes).toEqual([0, 0, 0, 0]);
      const db = openDatabase(file);
      const migrations = db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all() as Array<{ version: number; applied_at: string }>;
      expect(migrations.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
      // The ones the earlier release applied keep their original time: nothing ran twice.
      expect(migrations.filter((m) => m.version <= version).every((m) => m.applied_at === '2026-11-20T21:00:00.000Z')).toBe(true);
      expect(db.prepare('SELECT symbol, position_id, realized_pnl FROM closed_positions_today').all()).toEqual([{ symbol: 'NOVA', position_id: 'P-20261120-NOVA-aaaaaa', realized_pnl: 102 }]);
      expect(db.prepare('SELECT exec_id, exec_base FROM trades ORDER BY id').all()).toEqual([{ exec_id: '0000e1.01.01', exec_base: '0000e1.01' }, { exec_id: '0000e2.01.01', exec_base: '0000e2.01' }]);
      expect(db.prepare("SELECT COUNT(*) FROM events WHERE event = 'position_closed'").pluck().get()).toBe(1);
      db.close();
      const after = spawnSync(process.execPath, [distFile('scripts/upgrade-check.ts')], { env, encoding: 'utf8' });
      expect(after.status).toBe(0);
      expect(after.stdout).toMatch(/OK: code and DB agree/);
    });
  }

  it('says a DB from a newer release or another branch is refused', () => {
    expect(upgradeVerdict([...MIGRATIONS.map((m) => ({ version: m.version, name: m.name })), { version: 99, name: 'future' }], 'x.db')).toMatchObject({ status: 'db_newer', exitCode: 2 });
    expect(upgradeVerdict([{ version: 1, name: 'something-else' }], 'x.db')).toMatchObject({ status: 'history_differs', exitCode: 2 });
    expect(upgradeVerdict(null, 'x.db')).toMatchObject({ status: 'no_db', exitCode: 0 });
  });
});

function applied(file: string): Array<{ version: number; name: string }> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as Array<{ version: number; name: string }>;
  } finally {
    db.close();
  }
}
