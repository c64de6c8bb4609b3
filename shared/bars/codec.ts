import type { DayBars } from './day-bars';

/**
 * A day of minute bars as one BLOB: header (magic "BAR1", flags, count), then columns. Prices are stored as
 * integer ten-thousandths of a dollar (Int32, exact for prices with up to 4 decimals below $214,748) and
 * volumes as Uint32 when every value fits, otherwise as Float64; bar starts as Int32 minutes since the epoch.
 * Decoding is a typed-array copy per column: no parsing, so the engine is never waiting for its bars.
 */
const MAGIC = 0x31524142; // "BAR1" little-endian
const PRICES_F64 = 1;
const VOLUME_F64 = 2;
const HEADER_BYTES = 12;
const PRICE_SCALE = 10_000;

export function encodeDayBars(day: DayBars): Buffer {
  const n = day.length;
  let flags = 0;
  const prices = [day.open, day.high, day.low, day.close];
  for (const column of prices) {
    for (let i = 0; i < n; i++) {
      const scaled = column[i]! * PRICE_SCALE;
      if (Math.abs(scaled - Math.round(scaled)) > 1e-6 || scaled > 2_147_483_647 || scaled < 0) {
        flags |= PRICES_F64;
        break;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const v = day.volume[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 4_294_967_295) {
      flags |= VOLUME_F64;
      break;
    }
  }
  const priceBytes = flags & PRICES_F64 ? 8 : 4;
  const volumeBytes = flags & VOLUME_F64 ? 8 : 4;
  const size = HEADER_BYTES + n * (4 + 4 * priceBytes + volumeBytes);
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  new Uint32Array(buffer, 0, 3).set([MAGIC, flags, n]);
  let offset = HEADER_BYTES;
  const minutes = new Int32Array(buffer, offset, n);
  for (let i = 0; i < n; i++) minutes[i] = Math.round(day.startMs[i]! / 60_000);
  offset += 4 * n;
  for (const column of prices) {
    if (priceBytes === 8) bytes.set(new Uint8Array(Float64Array.from(column).buffer), offset);
    else {
      const ints = new Int32Array(buffer, offset, n);
      for (let i = 0; i < n; i++) ints[i] = Math.round(column[i]! * PRICE_SCALE);
    }
    offset += priceBytes * n;
  }
  if (volumeBytes === 8) bytes.set(new Uint8Array(Float64Array.from(day.volume).buffer), offset);
  else new Uint32Array(buffer, offset, n).set(day.volume);
  return Buffer.from(buffer);
}

export function decodeDayBars(symbol: string, tradingDay: string, blob: Uint8Array): DayBars {
  if (blob.byteLength < HEADER_BYTES) throw new Error(`bars of ${symbol} ${tradingDay}: not a bar BLOB (too short)`);
  // One aligned copy, then typed-array views: a column is decoded in one tight loop.
  const bytes = new Uint8Array(blob.byteLength);
  bytes.set(blob);
  const header = new Uint32Array(bytes.buffer, 0, 3);
  if (header[0] !== MAGIC) throw new Error(`bars of ${symbol} ${tradingDay}: not a bar BLOB (bad header)`);
  const flags = header[1]!;
  const n = header[2]!;
  const priceBytes = flags & PRICES_F64 ? 8 : 4;
  const volumeBytes = flags & VOLUME_F64 ? 8 : 4;
  if (blob.byteLength !== HEADER_BYTES + n * (4 + 4 * priceBytes + volumeBytes)) throw new Error(`bars of ${symbol} ${tradingDay}: BLOB size does not match its ${n} bars`);
  let offset = HEADER_BYTES;
  const minutes = new Int32Array(bytes.buffer, offset, n);
  offset += 4 * n;
  const startMs = new Float64Array(n);
  for (let i = 0; i < n; i++) startMs[i] = minutes[i]! * 60_000;
  const columns: Float64Array[] = [];
  for (let c = 0; c < 4; c++) {
    let column: Float64Array;
    if (priceBytes === 8) column = new Float64Array(bytes.buffer.slice(offset, offset + 8 * n));
    else {
      const ints = new Int32Array(bytes.buffer, offset, n);
      column = new Float64Array(n);
      for (let i = 0; i < n; i++) column[i] = ints[i]! / PRICE_SCALE;
    }
    offset += priceBytes * n;
    columns.push(column);
  }
  const volume = volumeBytes === 8 ? new Float64Array(bytes.buffer.slice(offset, offset + 8 * n)) : Float64Array.from(new Uint32Array(bytes.buffer, offset, n));
  return { symbol, tradingDay, length: n, startMs, open: columns[0]!, high: columns[1]!, low: columns[2]!, close: columns[3]!, volume };
}
