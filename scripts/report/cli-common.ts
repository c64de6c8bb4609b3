import fs from 'node:fs';
import { loadConfig } from '../../shared/config/load-config';
import type { ResolvedConfig } from '../../shared/config/schema';
import { openDatabase, type Db } from '../../shared/db/open-database';
import { AppError, EXIT_SOFTWARE, EXIT_CONFIG, errorMessage } from '../../shared/errors/errors';
import { SystemClock, type Clock } from '../../shared/time/clock';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';

/** A problem the user fixes (no DB yet, a bad flag): printed as one message, no stack trace. */
export class CliUsageError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
}

/**
 * Market time for the command-line tools: the shared compressed clock when a simulated session is running
 * (SIM with speed > 1 and its anchor file present), otherwise the system clock. Never creates the anchor.
 */
export function cliClock(config: ResolvedConfig): Clock {
  if (config.mode === 'SIM' && config.sim.speed !== 1) {
    const anchor = readClockAnchor(config.paths.simClock);
    if (anchor) return new CompressedClock(anchor);
  }
  return new SystemClock();
}

/** Opens the shared DB read-only; a missing file is a clear message, not a stack trace. */
export function openExistingDatabase(dbPath: string, options: { readonly?: boolean } = {}): Db {
  if (!fs.existsSync(dbPath)) {
    throw new CliUsageError(
      `no database at ${dbPath}: nothing has been recorded yet. Start the bots once (they create it), ` +
        `import a journal (npm run journal -- import <file.json>), or point DB_PATH at your database.`,
    );
  }
  return openDatabase(dbPath, { readonly: options.readonly ?? true });
}

export function loadCliConfig(): ResolvedConfig {
  return loadConfig();
}

/** Number from a flag or an environment variable, else the default. */
export function numberOption(value: unknown, envName: string, fallback: number): number {
  const raw = value ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new CliUsageError(`${envName.toLowerCase().replace(/_/g, '-')} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

export function validDay(value: unknown, flag: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !Number.isFinite(Date.parse(`${text}T00:00:00Z`))) {
    throw new CliUsageError(`--${flag} must be a date YYYY-MM-DD, got ${JSON.stringify(text)}`);
  }
  return text;
}

/** Runs a CLI body: user errors print their message and exit with their code; bugs print the stack. */
export function runCli(name: string, body: () => void | Promise<void>): void {
  // `npm run stats | head`: the reader closing the pipe is normal, not a crash. The output is dropped and the
  // command finishes its work (liquidate must never stop half-way because nobody reads its table).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  Promise.resolve()
    .then(body)
    .catch((error: unknown) => {
      if (error instanceof AppError) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exit(error.exitCode);
      }
      process.stderr.write(`${name}: unexpected error: ${errorMessage(error)}\n${(error as Error)?.stack ?? ''}\n`);
      // 70 (EX_SOFTWARE), never 1: liquidate's 1 means "positions remain".
      process.exit(EXIT_SOFTWARE);
    });
}
