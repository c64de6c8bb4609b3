/**
 * Market scanner messages at v193. One SCANNER_DATA message carries a whole result set; the
 * client emits scannerData per row and then scannerDataEnd itself (decodeMsg_SCANNER_DATA), so
 * there is no separate end message.
 */
import { ServerMessageId } from './message-ids';
import type { ServerContract } from './server-contract';
import type { WireField } from './wire-format';

export interface ScannerRow {
  /** 0-based position in the result. */
  readonly rank: number;
  readonly contract: ServerContract;
  readonly marketName?: string;
  readonly distance?: string;
  readonly benchmark?: string;
  readonly projection?: string;
  readonly comboLegsDescription?: string;
}

/**
 * decodeMsg_SCANNER_DATA with version 3 (conId from 3, legsStr from 2): version, reqId, count,
 * then per row: rank, conId, symbol, secType, lastTradeDateOrContractMonth, strike, right,
 * exchange, currency, localSymbol, marketName, tradingClass, distance, benchmark, projection,
 * legsStr (16 fields).
 */
export function scannerDataFields(reqId: number, rows: readonly ScannerRow[]): WireField[] {
  const fields: WireField[] = [ServerMessageId.SCANNER_DATA, 3, reqId, rows.length];
  for (const row of rows) {
    const contract = row.contract;
    fields.push(
      row.rank,
      contract.conId,
      contract.symbol,
      contract.secType,
      contract.lastTradeDateOrContractMonth ?? '',
      contract.strike ?? 0,
      contract.right ?? '',
      contract.exchange,
      contract.currency,
      contract.localSymbol ?? '',
      row.marketName ?? '',
      contract.tradingClass ?? '',
      row.distance ?? '',
      row.benchmark ?? '',
      row.projection ?? '',
      row.comboLegsDescription ?? '',
    );
  }
  return fields;
}

/** decodeMsg_SCANNER_PARAMETERS: version, xml. */
export function scannerParametersFields(xml: string): WireField[] {
  return [ServerMessageId.SCANNER_PARAMETERS, 1, xml];
}
