import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../shared/db';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../shared/db/migrations';
import { DatabaseCorruptError, DatabaseLockedError, SchemaTooNewError } from '../../shared/errors/errors';
import { copyForOtherUser } from '../helpers/copy-for-other-user';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';

describe('opening the shared DB', () => {
  const temp = makeTempDir('open');
  afterAll(() => temp.cleanup());

  it('migrates once when four processes open a new file together', async () => {
    const file = path.join(temp.dir, 'together.db');
    const script = `const { openDatabase } = require(${JSON.stringify(distFile('shared/db/index.ts'))});
      openDatabase(process.argv[1]).close();`;
    const codes = await Promise.all([0, 1, 2, 3].map(() => new Promise<number | null>((resolve) => {
      spawn(process.execPath, ['-e', script, file], { stdio: 'inherit', env: testEnv() }).on('exit', resolve);
    })));
    expect(codes).toEqual([0, 0, 0, 0]);
    const db = openDatabase(file);
    expect(db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    db.close();
  });

  it('refuses a schema newer than the code, without touching the file', () => {
    const file = path.join(temp.dir, 'newer.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')").run();
    raw.close();
    const before = fs.readFileSync(file);
    expect(() => openDatabase(file)).toThrow(SchemaTooNewError);
    expect(() => openDatabase(file)).toThrow(new RegExp(`schema version 99 but this code knows only up to ${LATEST_SCHEMA_VERSION}`));
    expect(() => openDatabase(file, { readonly: true })).toThrow(SchemaTooNewError);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('says a corrupt file is corrupt and what to do', () => {
    const file = path.join(temp.dir, 'corrupt.db');
    fs.writeFileSync(file, Buffer.from('this is not a database, it is a text file that got in the way'.repeat(100)));
    expect(() => openDatabase(file)).toThrow(DatabaseCorruptError);
    expect(() => openDatabase(file)).toThrow(/move the file aside/);
  });

  it('says a read-only file is read-only (checked as an unprivileged user: root ignores permissions)', () => {
    const dir = path.join(temp.dir, 'ro');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'ro.db');
    openDatabase(file).close();
    fs.chmodSync(file, 0o444);
    fs.chmodSync(dir, 0o555);
    fs.chmodSync(temp.dir, 0o755);
    const asRoot = process.getuid?.() === 0;
    // The unprivileged user may not be able to read the checkout (a 0700 folder as root): it runs a copy of
    // exactly the compiled code and packages openDatabase loads, in a folder everyone can read.
    const code = makeTempDir('open-code');
    fs.chmodSync(code.dir, 0o755);
    try {
      const warmUp = `entry.openDatabase(require('node:path').join(${JSON.stringify(code.dir)}, 'warm-up.db')).close()`;
      const openDb = copyForOtherUser(distFile('shared/db/index.ts'), path.join(code.dir, 'copy'), warmUp);
      const script = `const { openDatabase } = require(${JSON.stringify(openDb)});
        try { openDatabase(process.argv[1]); console.log('opened'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
      const result = spawnSync(process.execPath, ['-e', script, file], { encoding: 'utf8', cwd: code.dir, env: testEnv(), ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^DatabaseReadOnlyError: database .* is read-only .* Fix the permissions/);
    } finally {
      fs.chmodSync(dir, 0o755);
      code.cleanup();
    }
  });

  it('reports a lock held by another process past busy_timeout as DatabaseLockedError', () => {
    const file = path.join(temp.dir, 'locked.db');
    const holder = new Database(file);
    holder.exec('CREATE TABLE t (x)');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      expect(() => openDatabase(file, { busyTimeoutMs: 200 })).toThrow(DatabaseLockedError);
      expect(() => openDatabase(file, { busyTimeoutMs: 200 })).toThrow(/stayed locked by another process for more than 200 ms/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    openDatabase(file).close();
  });

  it('waits the open timeout while migrating and the (short) running timeout afterwards, as the bots open it', () => {
    const file = path.join(temp.dir, 'bot.db');
    const holder = new Database(file);
    holder.exec('CREATE TABLE t (x)');
    holder.exec('BEGIN IMMEDIATE');
    try {
      // Migrations need the write lock: they wait the open timeout, not the short one.
      expect(() => openDatabase(file, { busyTimeoutMs: 20, openBusyTimeoutMs: 300 })).toThrow(/stayed locked by another process for more than 300 ms/);
    } finally {
      holder.exec('ROLLBACK');
    }
    const db = openDatabase(file, { busyTimeoutMs: 20, openBusyTimeoutMs: 300 });
    try {
      expect(db.pragma('busy_timeout', { simple: true })).toBe(20);
      holder.exec('BEGIN IMMEDIATE');
      expect(() => db.prepare('INSERT INTO t VALUES (1)').run()).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      db.close();
    }
  });
});
