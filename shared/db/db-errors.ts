import {
  AppError,
  DatabaseCorruptError,
  DatabaseLockedError,
  DatabaseReadOnlyError,
} from '../errors/errors';

interface SqliteLikeError {
  code?: string;
  message?: string;
}

/** Turns better-sqlite3's SqliteError into our typed errors with a message that says what to do. */
export function mapDbError(error: unknown, dbPath: string, busyTimeoutMs: number): unknown {
  if (error instanceof AppError) return error;
  const code = (error as SqliteLikeError)?.code ?? '';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new DatabaseCorruptError(dbPath, (error as Error).message, { cause: error });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DatabaseLockedError(dbPath, busyTimeoutMs, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new DatabaseReadOnlyError(dbPath, { cause: error });
  }
  return error;
}

export function isBusyError(error: unknown): boolean {
  return error instanceof DatabaseLockedError || String((error as SqliteLikeError)?.code ?? '').startsWith('SQLITE_BUSY');
}
