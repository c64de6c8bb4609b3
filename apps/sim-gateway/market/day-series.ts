import { floor, max, isNaNNumber } from './fast-math';
/**
 * A lazily filled number per day number, stored in 512-day Float64Array blocks: the daily walk reads
 * ~1 500 consecutive days per symbol-day, and a Map lookup per day (let alone an LRU touch) was 10x
 * slower than this. NaN marks "not computed yet", so the values themselves must never be NaN.
 */
const BLOCK_DAYS = 512;

export class DaySeries {
  private readonly blocks = new Map<number, Float64Array>();

  constructor(private readonly compute: (dayNumber: number) => number) {}

  get(dayNumber: number): number {
    const block = this.blockOf(dayNumber);
    const offset = dayNumber - floor(dayNumber / BLOCK_DAYS) * BLOCK_DAYS;
    let value = block[offset]!;
    if (isNaNNumber(value)) value = block[offset] = this.compute(dayNumber);
    return value;
  }

  /**
   * Σ weights[i] · value(lastDay - i) for i from weights.length - 1 down to 0: always the same order,
   * so the float result does not depend on which days were asked before.
   */
  weightedSumBackFrom(lastDay: number, weights: Float64Array): number {
    let sum = 0;
    for (let i = weights.length - 1; i >= 0; ) {
      const dayNumber = lastDay - i;
      const blockStart = floor(dayNumber / BLOCK_DAYS) * BLOCK_DAYS;
      const block = this.blockOf(dayNumber);
      // Walk this block up to its end or the last day, whichever comes first.
      const stopI = max(0, lastDay - (blockStart + BLOCK_DAYS - 1));
      for (; i >= stopI; i--) {
        const offset = lastDay - i - blockStart;
        let value = block[offset]!;
        if (isNaNNumber(value)) value = block[offset] = this.compute(lastDay - i);
        if (value !== 0) sum += weights[i]! * value;
      }
    }
    return sum;
  }

  private blockOf(dayNumber: number): Float64Array {
    const key = floor(dayNumber / BLOCK_DAYS);
    let block = this.blocks.get(key);
    if (!block) this.blocks.set(key, (block = new Float64Array(BLOCK_DAYS).fill(NaN)));
    return block;
  }
}
