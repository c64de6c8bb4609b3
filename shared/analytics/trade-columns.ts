/** A closed trade as the statistics read it (trade-stats.ts hands the name on). */
export interface ClosedTradeInput {
  symbol: string;
  agentName?: string;
  /** Money, after commissions. */
  realizedPnl: number;
  entryTimeMs: number;
  exitTimeMs: number;
  commission?: number;
}

/**
 * What the trade figures read of each closed trade, one typed array per field, in exit order. 100,000 trade
 * objects lie all over the heap: every pass over them in exit order (the order the streaks and sums need) was
 * a cache miss per trade, three passes per metrics run. The objects are now read once, in their own order, and
 * every figure comes from these arrays.
 */
export interface TradeColumns {
  readonly length: number;
  readonly entryTimeMs: Float64Array;
  readonly exitTimeMs: Float64Array;
  readonly realizedPnl: Float64Array;
  /** `commission ?? 0`. */
  readonly commission: Float64Array;
}

/**
 * The trades' columns in exit order: the order `[...trades].sort((a, b) => a.exitTimeMs - b.exitTimeMs)` gives
 * (a stable sort: equal exit times keep their input order), or the input order when it is sorted already.
 */
export function exitOrderColumns(trades: readonly ClosedTradeInput[]): TradeColumns {
  const columns = newColumns(trades.length);
  const { sorted, finite } = readColumns(trades, columns);
  if (sorted) return columns;
  if (finite) return gather(columns, stableOrder(columns.exitTimeMs));
  // A NaN exit time makes the comparator inconsistent: whatever order the sort then gives is the figures' order.
  const inSortOrder = newColumns(trades.length);
  readColumns([...trades].sort((a, b) => a.exitTimeMs - b.exitTimeMs), inSortOrder);
  return inSortOrder;
}

function newColumns(n: number): TradeColumns {
  return { length: n, entryTimeMs: new Float64Array(n), exitTimeMs: new Float64Array(n), realizedPnl: new Float64Array(n), commission: new Float64Array(n) };
}

/**
 * The trades' fields into the columns, in input order; whether the exit times are in order and all finite.
 * Each loop of this file has a function of its own: V8 compiles a long loop while it runs, and code after it in
 * the same function, not yet run at that point, would throw that compiled loop away on every call.
 */
function readColumns(trades: readonly ClosedTradeInput[], columns: TradeColumns): { sorted: boolean; finite: boolean } {
  const { entryTimeMs, exitTimeMs, realizedPnl, commission } = columns;
  let sorted = true;
  let finite = true;
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const exit = t.exitTimeMs;
    entryTimeMs[i] = t.entryTimeMs;
    exitTimeMs[i] = exit;
    realizedPnl[i] = t.realizedPnl;
    commission[i] = t.commission ?? 0;
    if (i > 0 && exit < exitTimeMs[i - 1]!) sorted = false;
    if (!Number.isFinite(exit)) finite = false;
  }
  return { sorted, finite };
}

function gather(columns: TradeColumns, order: Uint32Array): TradeColumns {
  const n = order.length;
  const out = newColumns(n);
  const { entryTimeMs, exitTimeMs, realizedPnl, commission } = columns;
  for (let i = 0; i < n; i++) {
    const from = order[i]!;
    out.entryTimeMs[i] = entryTimeMs[from]!;
    out.exitTimeMs[i] = exitTimeMs[from]!;
    out.realizedPnl[i] = realizedPnl[from]!;
    out.commission[i] = commission[from]!;
  }
  return out;
}

/** Buckets holding more keys than this are sorted by comparison instead of by insertion. */
const INSERTION_SORT_MAX = 32;

/**
 * The indices of finite `keys` in ascending key order, equal keys in index order: what a stable sort by
 * `a - b` gives. A bucket sort: the key range is cut into n buckets, bucket(k) = floor((k - min) × n / range),
 * which never decreases as k grows (each rounding step keeps the order), so sorting each bucket sorts the
 * whole. Indices enter their buckets in index order and each bucket is sorted stably, so equal keys keep it.
 * Exit times spread over days and sessions: a bucket holds a few trades and the sort is linear in practice.
 */
export function stableOrder(keys: Float64Array): Uint32Array {
  const n = keys.length;
  const order = new Uint32Array(n);
  if (n === 0) return order;
  const { min, max } = keyRange(keys);
  // All keys equal (0 and -0 too): the input order is the stable order.
  if (!(max > min)) return identity(order);
  const scale = n / (max - min);
  if (!Number.isFinite(scale) || !Number.isFinite(max - min)) {
    sortRange(keys, identity(order), 0, n);
    return order;
  }
  // starts[b] counts bucket b - 1's keys, then (summed) is where bucket b starts; the scatter moves it to bucket
  // b's end, which is bucket b + 1's start: afterwards bucket b is order[starts[b - 1], starts[b]).
  const starts = new Uint32Array(n + 1);
  countBuckets(keys, min, scale, starts);
  prefixSums(starts);
  scatter(keys, min, scale, starts, order);
  sortBuckets(keys, order, starts);
  return order;
}

function identity(order: Uint32Array): Uint32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order;
}

function prefixSums(values: Uint32Array): void {
  for (let i = 1; i < values.length; i++) values[i] = values[i]! + values[i - 1]!;
}

function keyRange(keys: Float64Array): { min: number; max: number } {
  let min = keys[0]!;
  let max = keys[0]!;
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    if (k < min) min = k;
    if (k > max) max = k;
  }
  return { min, max };
}

function bucketOf(key: number, min: number, scale: number, buckets: number): number {
  return Math.min(buckets - 1, Math.floor((key - min) * scale));
}

function countBuckets(keys: Float64Array, min: number, scale: number, starts: Uint32Array): void {
  const n = keys.length;
  for (let i = 0; i < n; i++) {
    const b = bucketOf(keys[i]!, min, scale, n);
    starts[b + 1] = starts[b + 1]! + 1;
  }
}

function scatter(keys: Float64Array, min: number, scale: number, starts: Uint32Array, order: Uint32Array): void {
  const n = keys.length;
  for (let i = 0; i < n; i++) {
    const b = bucketOf(keys[i]!, min, scale, n);
    order[starts[b]!] = i;
    starts[b] = starts[b]! + 1;
  }
}

function sortBuckets(keys: Float64Array, order: Uint32Array, ends: Uint32Array): void {
  let from = 0;
  for (let b = 0; b < keys.length; b++) {
    const to = ends[b]!;
    if (to - from > 1) sortRange(keys, order, from, to);
    from = to;
  }
}

/** Sorts order[from, to) by key, stably (equal keys keep their order). */
function sortRange(keys: Float64Array, order: Uint32Array, from: number, to: number): void {
  if (to - from > INSERTION_SORT_MAX) {
    const part = Array.from(order.subarray(from, to)).sort((a, b) => keys[a]! - keys[b]! || a - b);
    order.set(part, from);
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const index = order[i]!;
    const key = keys[index]!;
    let j = i - 1;
    while (j >= from && keys[order[j]!]! > key) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = index;
  }
}
