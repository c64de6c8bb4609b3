/**
 * Errors have kinds (see docs/style.md): callers branch on the class, never on message text.
 *
 * - user errors (bad config, a DB from a newer version): exit with a message that says what to do;
 * - transient errors (broker down, DB busy): retry with back-off, never duplicate an order;
 * - bugs (invariant violations): log with context, exit non-zero, let the supervisor restart.
 */

/** Exit code for configuration problems (EX_CONFIG from sysexits.h); PM2 and operators key on it. */
export const EXIT_CONFIG = 78;
/** Exit code for an internal software error (EX_SOFTWARE). */
export const EXIT_SOFTWARE = 70;
/** Exit code for a temporary failure (EX_TEMPFAIL): the DB was locked, the gateway was down at start. */
export const EXIT_TEMPFAIL = 75;

export abstract class AppError extends Error {
  abstract readonly kind: 'user' | 'transient' | 'bug';
  abstract readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid configuration: `problems` lists every problem found, each with its fix. */
export class ConfigError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
  }
}

/** The DB file was written by a newer version of this software. */
export class SchemaTooNewError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
  constructor(readonly dbPath: string, readonly dbVersion: number, readonly codeVersion: number) {
    super(
      `database ${dbPath} has schema version ${dbVersion} but this code knows only up to ${codeVersion}: ` +
        `it was written by a newer release. Upgrade this installation (git pull && npm ci && npm run build) ` +
        `or point DB_PATH at another file. The file was not modified.`,
    );
  }
}

/** The DB file is not a SQLite database or failed its integrity check. */
export class DatabaseCorruptError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
  constructor(readonly dbPath: string, detail: string, options?: { cause?: unknown }) {
    super(
      `database ${dbPath} is corrupt or not a SQLite file (${detail}). Stop the bots (npm stop), ` +
        `move the file aside (mv ${dbPath} ${dbPath}.corrupt), then start again: the reconciler rebuilds open ` +
        `positions from the broker. The broker keeps protecting positions meanwhile; npm run liquidate works without the DB.`,
      options,
    );
  }
}

/** Another process held a write lock for longer than busy_timeout. */
export class DatabaseLockedError extends AppError {
  readonly kind = 'transient' as const;
  readonly exitCode = EXIT_TEMPFAIL;
  constructor(readonly dbPath: string, busyTimeoutMs: number, options?: { cause?: unknown }) {
    super(
      `database ${dbPath} stayed locked by another process for more than ${busyTimeoutMs} ms. ` +
        `Find the holder with \`fuser ${dbPath}\` (an open sqlite3 shell or a stuck script); the operation was not applied.`,
      options,
    );
  }
}

/** The DB file or its directory is not writable. */
export class DatabaseReadOnlyError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
  constructor(readonly dbPath: string, options?: { cause?: unknown }) {
    super(
      `database ${dbPath} is read-only for this user (the file, its -wal/-shm files or its directory). ` +
        `Fix the permissions (ls -l ${dbPath}*) or set DB_PATH to a writable location.`,
      options,
    );
  }
}

/** The broker cannot be reached; an order was NOT sent. Retry later; never queue the order. */
export class BrokerUnavailable extends AppError {
  readonly kind = 'transient' as const;
  readonly exitCode = EXIT_TEMPFAIL;
}

/** A broker request got no complete answer in time. Unknown is not empty: the caller must not act on it. */
export class BrokerTimeout extends AppError {
  readonly kind = 'transient' as const;
  readonly exitCode = EXIT_TEMPFAIL;
}

/** The gateway's account does not match the configured one, or a LIVE gateway is paper (or the reverse). */
export class AccountMismatchError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
}

/** Something that must never happen happened: a bug. Carries context for the log. */
export class InvariantViolation extends AppError {
  readonly kind = 'bug' as const;
  readonly exitCode = EXIT_SOFTWARE;
  constructor(message: string, readonly context: Record<string, unknown> = {}) {
    super(message);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
