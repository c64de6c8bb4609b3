/**
 * TWS API v100+ framing, in one import: field formatting and `encodeFrame` (wire-format.ts), the
 * `API\0` + version-range handshake (handshake.ts) and the incremental `FrameReader`
 * (frame-reader.ts).
 */
export * from './wire-format';
export * from './handshake';
export * from './frame-reader';
