/**
 * Session-level server messages at v193: the post-handshake greeting (MANAGED_ACCTS then
 * NEXT_VALID_ID, which un-pauses the client's request queue: controller.js `emitEvent`
 * resumes on nextValidId), errors/notices, and the server clock.
 */
import { FieldEncodingError } from './errors';
import { ServerMessageId } from './message-ids';
import type { WireField } from './wire-format';

/** decodeMsg_MANAGED_ACCTS: version, comma-separated account list. */
export function managedAccountsFields(accountIds: readonly string[]): WireField[] {
  return [ServerMessageId.MANAGED_ACCTS, 1, accountIds.join(',')];
}

/** decodeMsg_NEXT_VALID_ID: version, orderId. */
export function nextValidIdFields(nextOrderId: number): WireField[] {
  return [ServerMessageId.NEXT_VALID_ID, 1, nextOrderId];
}

/** decodeMsg_CURRENT_TIME: version, epoch seconds (read with readInt). */
export function currentTimeFields(epochSeconds: number): WireField[] {
  return [ServerMessageId.CURRENT_TIME, 1, Math.floor(epochSeconds)];
}

/** The id of notices that belong to no request: decoder.js emits them as `info(msg, code)`. */
export const NO_REQUEST_ID = -1;

export interface ErrorMessageInput {
  /** Request or order id the error is about; NO_REQUEST_ID (-1) for connection-level notices. */
  readonly id: number;
  /** IB message code, e.g. 201 (order rejected), 202 (cancelled), 2104 (farm OK). */
  readonly code: number;
  readonly message: string;
  /** Sent as JSON; the client JSON.parses it and passes it as 4th argument of its error event. */
  readonly advancedOrderReject?: Readonly<Record<string, unknown>>;
}

/**
 * decodeMsg_ERR_MSG at v193: version 2, id, code, message, advancedOrderRejectJson — exactly
 * `4, 2, id, code, msg, ""` without a reject; leave the last field out and the notice is lost
 * (505). id -1 arrives as `info`, any other id as `error(Error, code, id)`.
 *
 * From ENCODE_MSG_ASCII7 (153) the client un-escapes `\uXXXX` in the message and the JSON, so
 * non-ASCII text is escaped the way TWS does. Its un-escaping re-scans the whole text after each
 * replacement, so no escaping can protect a literal backslash-u: such a message is refused rather
 * than delivered altered. The JSON is parsed with a bare JSON.parse inside the client's decode
 * loop: text that is not valid JSON after un-escaping would throw out of the client's socket
 * handler, so it is checked here.
 */
export function errorMessageFields(input: ErrorMessageInput): WireField[] {
  if (input.message.includes('\\u')) {
    throw new FieldEncodingError(4, `error text contains a literal "\\u" the client would un-escape: ${JSON.stringify(input.message)}`);
  }
  let rejectJson = '';
  if (input.advancedOrderReject !== undefined) {
    const json = JSON.stringify(input.advancedOrderReject);
    if (json.includes('\\u')) {
      // JSON.stringify writes control characters as \u00XX and a backslash as \\; the client's
      // un-escaping would turn either into text JSON.parse rejects or misreads.
      throw new FieldEncodingError(5, 'advancedOrderReject JSON contains "\\u" (a control character or a literal backslash-u) the client would un-escape');
    }
    rejectJson = escapeNonAscii(json);
  }
  return [ServerMessageId.ERR_MSG, 2, input.id, input.code, escapeNonAscii(input.message), rejectJson];
}

/** Every UTF-16 code unit above 0x7f as `\uXXXX` (decoder.js `decodeUnicodeEscapedString` inverts it). */
export function escapeNonAscii(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
