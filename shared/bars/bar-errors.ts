import { AppError } from '../errors/errors';

/** Exit code of bad input data (EX_DATAERR from sysexits.h): a CSV that breaks the schema, an empty range. */
export const EXIT_DATA = 65;

/** Bars that cannot be used, with what is wrong and where (file and line, or symbol and day). */
export class BarDataError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_DATA;
  constructor(readonly detail: string, readonly where?: { file?: string; line?: number; symbol?: string; tradingDay?: string }) {
    super(where ? `${describeWhere(where)}: ${detail}` : detail);
  }
}

function describeWhere(where: { file?: string; line?: number; symbol?: string; tradingDay?: string }): string {
  if (where.file) return where.line ? `${where.file}:${where.line}` : where.file;
  return [where.symbol, where.tradingDay].filter(Boolean).join(' ');
}
