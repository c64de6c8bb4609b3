/**
 * Historical bars at v193.
 *
 * There is no separate end message for this client: @stoqey/ib 1.6.10 has no HISTORICAL_DATA_END
 * (108) in its IN_MSG_ID and would answer one with a 505 "No parser implementation". Instead
 * `decodeMsg_HISTORICAL_DATA` reads ALL bars of a request from one message and then emits the
 * end marker itself: historicalData(reqId, "finished-<start>-<end>", -1, ...). So every
 * REQ_HISTORICAL_DATA gets exactly one HISTORICAL_DATA message (zero bars is fine) and, with
 * keepUpToDate, HISTORICAL_DATA_UPDATE messages afterwards.
 */
import { ServerMessageId } from './message-ids';
import type { WireField } from './wire-format';

export interface HistoricalBar {
  /** "yyyymmdd hh:mm:ss[ tz]" (formatDate 1) or epoch seconds as text (formatDate 2); "yyyymmdd" for daily bars. */
  readonly time: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Volume-weighted average price. */
  readonly wap: number;
  /** Number of trades in the bar. */
  readonly tradeCount: number;
}

export interface HistoricalDataInput {
  readonly reqId: number;
  /** Start and end of the returned period, same format as bar times; part of the end marker text. */
  readonly startDateTime: string;
  readonly endDateTime: string;
  readonly bars: readonly HistoricalBar[];
}

/**
 * decodeMsg_HISTORICAL_DATA: no version field from SYNT_REALTIME_BARS (124); reqId, startDateStr,
 * endDateStr, itemCount, then per bar: date, open, high, low, close, volume, WAP, barCount
 * (no hasGaps field from 124).
 */
export function historicalDataFields(input: HistoricalDataInput): WireField[] {
  const fields: WireField[] = [ServerMessageId.HISTORICAL_DATA, input.reqId, input.startDateTime, input.endDateTime, input.bars.length];
  for (const bar of input.bars) {
    fields.push(bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.wap, bar.tradeCount);
  }
  return fields;
}

/**
 * decodeMsg_HISTORICAL_DATA_UPDATE: reqId, barCount, date, open, CLOSE, HIGH, LOW, WAP, VOLUME.
 * The order differs from HISTORICAL_DATA (close before high/low, WAP before volume).
 */
export function historicalDataUpdateFields(reqId: number, bar: HistoricalBar): WireField[] {
  return [ServerMessageId.HISTORICAL_DATA_UPDATE, reqId, bar.tradeCount, bar.time, bar.open, bar.close, bar.high, bar.low, bar.wap, bar.volume];
}
