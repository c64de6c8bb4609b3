import { AppError, EXIT_CONFIG } from '../errors/errors';
import type { JournalProblem } from './journal-format';

/** A journal that cannot be imported; `problems` lists every bad row and field at once. Nothing was written. */
export class JournalValidationError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
  constructor(readonly problems: readonly JournalProblem[]) {
    super(
      `journal has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was imported:\n  - ` +
        problems.map((p) => `${p.row === null ? 'file' : `trades[${p.row}]`}${p.field ? `.${p.field}` : ''}: ${p.message}`).join('\n  - '),
    );
  }
}
