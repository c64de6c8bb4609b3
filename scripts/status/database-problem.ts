import { mapDbError } from '../../shared/db/db-errors';
import { DatabaseCorruptError, DatabaseLockedError, DatabaseReadOnlyError, SchemaTooNewError, errorMessage } from '../../shared/errors/errors';
import type { DbProblem } from './status-model';

/**
 * Why the shared DB cannot be used, with the fix, for the tools that must keep working without it
 * (status and liquidate). The typed errors of shared/db already carry their fix in the message.
 */
export function dbProblemFrom(error: unknown, dbPath: string, busyTimeoutMs: number): DbProblem {
  const mapped = mapDbError(error, dbPath, busyTimeoutMs);
  if (mapped instanceof DatabaseCorruptError) return { kind: 'corrupt', message: mapped.message };
  if (mapped instanceof DatabaseLockedError) return { kind: 'locked', message: mapped.message };
  if (mapped instanceof DatabaseReadOnlyError) return { kind: 'read_only', message: mapped.message };
  if (mapped instanceof SchemaTooNewError) return { kind: 'schema_too_new', message: mapped.message };
  return { kind: 'unreadable', message: `database ${dbPath} cannot be used: ${errorMessage(error)}. Check the file (npm run db-check) or point DB_PATH at the right one.` };
}

export function missingDbProblem(dbPath: string): DbProblem {
  return {
    kind: 'missing',
    message: `no database at ${dbPath}: it was never created there, or it was moved or deleted. ` +
      `Fix: start the bots (npm start creates it and the reconciler rebuilds open positions from the broker), or set DB_PATH to your database.`,
  };
}
