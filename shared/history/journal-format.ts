import { z } from 'zod/v3'; // the same zod API as shared/config (see schema.ts)

/**
 * The JSON trade journal we import (and export): trades kept by hand or by another tool.
 *
 * ```json
 * {
 *   "version": 1,
 *   "trades": [
 *     { "symbol": "AAPL", "side": "LONG", "quantity": 100,
 *       "entryPrice": 187.20, "entryTime": "2026-11-23T09:41:00-05:00",
 *       "exitPrice": 188.95, "exitTime": "2026-11-23T11:02:30-05:00",
 *       "commission": 2.0, "exitReason": "PROFIT_TARGET", "agent": "gap-momentum" }
 *   ]
 * }
 * ```
 *
 * - `side`: LONG or SHORT (BUY and SELL are read as LONG and SHORT: the side of the entry).
 * - `quantity`: whole shares, > 0. Prices > 0, in the trade's currency.
 * - Times: ISO-8601 WITH an offset or `Z` ("2026-11-23T14:41:00Z"); a time without a zone is refused because
 *   it is ambiguous across DST. `exitTime` must not be before `entryTime`.
 * - `exitPrice` and `exitTime` come together or not at all; without them the trade is imported OPEN.
 * - `commission`: total of both legs (money, ≥ 0, default 0). Realized P&L is computed as in the bots:
 *   direction × (exit - entry) × quantity - commission.
 * - `exitReason` (default "MANUAL"), `agent` (default "journal") are free text.
 * - `positionId` (optional): our id of the trade; our exports carry it so that re-importing an export does not
 *   duplicate. Without it the id is derived from the entry (symbol, side, quantity, entry price and time), so
 *   importing the same journal twice gives the same rows, and a journal that later adds the exit of a trade
 *   imported OPEN closes that row.
 * Unknown fields are ignored (exports carry realizedPnl, status, ... for people, not for the import).
 */
const isoWithZone = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) && Number.isFinite(Date.parse(s)), {
    message: 'expected an ISO-8601 time with a zone, e.g. 2026-11-23T09:41:00-05:00 or 2026-11-23T14:41:00Z',
  });

const positive = z.number({ message: 'expected a number' }).gt(0, { message: 'must be greater than 0' });

export const journalTradeSchema = z
  .object({
    positionId: z.string().min(1).max(100).optional(),
    symbol: z.string().trim().min(1).max(20).regex(/^[A-Za-z0-9.\-/ ]+$/, 'letters, digits, ".", "-", "/" only'),
    side: z.enum(['LONG', 'SHORT', 'BUY', 'SELL', 'long', 'short', 'buy', 'sell']),
    quantity: z.number({ message: 'expected a number' }).int({ message: 'expected whole shares' }).gt(0, { message: 'must be greater than 0' }),
    entryPrice: positive,
    entryTime: isoWithZone,
    exitPrice: positive.optional().nullable(),
    exitTime: isoWithZone.optional().nullable(),
    commission: z.number().min(0, { message: 'must be 0 or more' }).optional().nullable(),
    exitReason: z.string().min(1).max(60).optional().nullable(),
    agent: z.string().min(1).max(60).optional().nullable(),
  })
  .superRefine((trade, ctx) => {
    const hasPrice = trade.exitPrice !== undefined && trade.exitPrice !== null;
    const hasTime = trade.exitTime !== undefined && trade.exitTime !== null;
    if (hasPrice !== hasTime) {
      ctx.addIssue({ code: 'custom', path: [hasPrice ? 'exitTime' : 'exitPrice'], message: 'exitPrice and exitTime go together (both or neither)' });
    }
    if (hasTime && Date.parse(trade.exitTime!) < Date.parse(trade.entryTime)) {
      ctx.addIssue({ code: 'custom', path: ['exitTime'], message: 'exitTime is before entryTime' });
    }
  });

export type JournalTrade = z.infer<typeof journalTradeSchema>;

/** The file: `{ version?: 1, trades: JournalTrade[] }`. */
export interface JournalFile {
  version?: 1;
  /** Exports say when and from what they were made; ignored on import. */
  exportedAt?: string;
  trades: JournalTrade[];
}

/** One problem of a journal: which row (0-based index in `trades`, null for the file), which field, what. */
export interface JournalProblem {
  row: number | null;
  field: string;
  message: string;
}
