import { dbProblemFrom, missingDbProblem } from '../../../scripts/status/database-problem';
import { SchemaTooNewError } from '../../../shared/errors/errors';

function sqliteError(code: string): Error {
  return Object.assign(new Error(`${code} happened`), { code });
}

describe('dbProblemFrom', () => {
  it('classifies SQLite failures into kinds whose messages carry the fix', () => {
    const corrupt = dbProblemFrom(sqliteError('SQLITE_NOTADB'), '/d/t.db', 2_000);
    expect(corrupt.kind).toBe('corrupt');
    expect(corrupt.message).toContain('mv /d/t.db /d/t.db.corrupt');
    const locked = dbProblemFrom(sqliteError('SQLITE_BUSY'), '/d/t.db', 2_000);
    expect(locked).toMatchObject({ kind: 'locked' });
    expect(locked.message).toContain('more than 2000 ms');
    expect(dbProblemFrom(sqliteError('SQLITE_READONLY_DBMOVED'), '/d/t.db', 2_000).kind).toBe('read_only');
    expect(dbProblemFrom(new SchemaTooNewError('/d/t.db', 9, 1), '/d/t.db', 2_000).kind).toBe('schema_too_new');
    const other = dbProblemFrom(new Error('disk I/O error'), '/d/t.db', 2_000);
    expect(other).toMatchObject({ kind: 'unreadable' });
    expect(other.message).toContain('disk I/O error');
  });

  it('says what a missing DB means and how to fix it', () => {
    const problem = missingDbProblem('/d/t.db');
    expect(problem.kind).toBe('missing');
    expect(problem.message).toMatch(/^no database at \/d\/t\.db/);
    expect(problem.message).toContain('set DB_PATH');
  });
});
