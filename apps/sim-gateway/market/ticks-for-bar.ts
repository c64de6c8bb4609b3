import { MarketDataError } from './market-data-error';
import type { MinuteBar, Tick } from './market-types';
import { SeededRandom } from './seeded-random';
import { floor, log, max, min, round, sqrt } from './fast-math';

const MS_PER_MINUTE = 60_000;
/** Typical print size: a bar of 300 shares is a handful of trades, not `ticksPerBar` one-share prints. */
const TYPICAL_TRADE_SHARES = 100;

/**
 * Trades inside one bar: first at the open, last at the close, passing through the high and the low
 * (bars that close up usually dip first, bars that close down usually spike first), prices on the
 * bar's grid inside [low, high], offsets strictly increasing in [0, 59 999], sizes summing to the
 * bar's volume (in round lots when the volume allows).
 *
 * Degenerate input: when a bar's volume is smaller than the number of prices it must touch (only a
 * malformed replay file can do that), the extra anchor prints get size 0 so that volume still adds up.
 */
export function ticksForBar(seed: number, symbolHash: number, bar: MinuteBar, ticksPerBar: number): Tick[] {
  if (!Number.isInteger(ticksPerBar) || ticksPerBar < 1) {
    throw new MarketDataError('bad-argument', `ticksPerBar must be a positive integer, got ${ticksPerBar}`);
  }
  const random = SeededRandom.from(seed, symbolHash, 'ticks', bar.startMs);
  const anchors = anchorPrices(bar, random);
  const wanted = min(ticksPerBar, max(1, floor(bar.volume / TYPICAL_TRADE_SHARES)));
  const count = min(MS_PER_MINUTE, max(anchors.length, wanted));
  const path = anchors.length === 1 && count > 1 ? [bar.open, bar.close] : anchors;
  const prices = pricePath(bar, path, count, random);
  const offsets = increasingOffsets(count, random);
  const sizes = splitVolume(bar.volume, count, random);
  return prices.map((price, i) => ({ offsetMs: offsets[i]!, price, size: sizes[i]! }));
}

/** open → first extreme → second extreme → close, with repeats removed. */
function anchorPrices(bar: MinuteBar, random: SeededRandom): number[] {
  const highFirst = random.chance(bar.close >= bar.open ? 0.3 : 0.7);
  const anchors = [bar.open];
  for (const price of highFirst ? [bar.high, bar.low, bar.close] : [bar.low, bar.high, bar.close]) {
    if (price !== anchors[anchors.length - 1]) anchors.push(price);
  }
  return anchors;
}

/** Places the anchors at sorted random positions and fills between them with a noisy bridge on the cent grid. */
function pricePath(bar: MinuteBar, anchors: readonly number[], count: number, random: SeededRandom): number[] {
  const positions = [0];
  if (anchors.length > 2) {
    const interior = new Set<number>();
    while (interior.size < anchors.length - 2) interior.add(1 + random.intBelow(count - 2));
    positions.push(...[...interior].sort((a, b) => a - b));
  }
  if (anchors.length > 1) positions.push(count - 1);
  const prices = new Array<number>(count);
  const noiseUsd = (bar.high - bar.low) / 4;
  for (let segment = 0; segment < positions.length; segment++) {
    const from = positions[segment]!;
    const to = segment + 1 < positions.length ? positions[segment + 1]! : from;
    prices[from] = anchors[segment]!;
    for (let i = from + 1; i < to; i++) {
      const fraction = (i - from) / (to - from);
      const straight = anchors[segment]! + (anchors[segment + 1]! - anchors[segment]!) * fraction;
      const wobble = noiseUsd * sqrt(fraction * (1 - fraction)) * random.normal();
      prices[i] = min(bar.high, max(bar.low, round((straight + wobble) * 100) / 100));
    }
  }
  return prices;
}

/** One offset per equal integer slot of the minute: strictly increasing by construction. */
function increasingOffsets(count: number, random: SeededRandom): number[] {
  const offsets = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const slotStart = floor((i * MS_PER_MINUTE) / count);
    const slotEnd = floor(((i + 1) * MS_PER_MINUTE) / count);
    offsets[i] = slotStart + random.intBelow(slotEnd - slotStart);
  }
  return offsets;
}

function splitVolume(volume: number, count: number, random: SeededRandom): number[] {
  if (volume < count) return Array.from({ length: count }, (_, i) => (i < volume ? 1 : 0));
  const unit = volume >= TYPICAL_TRADE_SHARES * count ? TYPICAL_TRADE_SHARES : 1;
  const units = floor(volume / unit);
  const sizes = new Array<number>(count).fill(unit);
  // Exponential weights: a few big prints among many small ones, as on a real tape.
  const weights = Array.from({ length: count }, () => -log(1 - random.unit()));
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  const extraUnits = units - count;
  let assigned = 0;
  for (let i = 0; i < count; i++) {
    const share = floor((extraUnits * weights[i]!) / weightSum);
    sizes[i]! += share * unit;
    assigned += share;
  }
  for (let left = extraUnits - assigned, i = random.intBelow(count); left > 0; left--, i = (i + 1) % count) sizes[i]! += unit;
  sizes[random.intBelow(count)]! += volume - units * unit; // the odd lot
  return sizes;
}
