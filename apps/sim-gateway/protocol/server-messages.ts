/**
 * Every server -> client message encoder at v193, in one import. Each `xxxFields(...)` returns
 * the message's fields (message id first) exactly as decoder.js reads them; `frame()` turns one
 * field list into wire bytes, `frameAll()` several into one buffer (one socket write).
 */
import { encodeFrame, WireField } from './wire-format';

export * from './encode-session';
export * from './encode-market-data';
export * from './encode-orders';
export * from './encode-open-order';
export * from './encode-completed-order';
export * from './encode-account';
export * from './encode-contract';
export * from './encode-historical';
export * from './encode-scanner';
export type { ServerContract } from './server-contract';
export type { ServerOrder } from './server-order';
export { ServerMessageId } from './message-ids';
export type { WireField } from './wire-format';

export function frame(fields: ReadonlyArray<WireField>): Buffer {
  return encodeFrame(fields);
}

export function frameAll(messages: ReadonlyArray<ReadonlyArray<WireField>>): Buffer {
  return Buffer.concat(messages.map((fields) => encodeFrame(fields)));
}
