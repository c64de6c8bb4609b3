import { exp, floor, imul, isSafeInteger, log, sqrt } from './fast-math';
/**
 * Small deterministic randomness. Never Math.random: the whole market must be a pure function of
 * (seed, symbol, day, minute) so that any day can be computed directly, in any order, in any process.
 */

/** 32-bit string hash (FNV-1a followed by a murmur3 finaliser so similar tickers spread well). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = imul(hash, 0x01000193);
  }
  return finalise32(hash);
}

function finalise32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines keys into one 32-bit seed. Integers beyond 32 bits (epoch ms) keep both halves. */
export function seedFrom(...keys: ReadonlyArray<number | string>): number {
  let h = 0x9e3779b9;
  const absorb = (word: number) => {
    h = finalise32((h ^ (word >>> 0)) + 0x9e3779b9 + imul(h, 0x27d4eb2d));
  };
  for (const key of keys) {
    if (typeof key === 'string') absorb(hashString(key));
    else if (isSafeInteger(key)) {
      absorb(key >>> 0);
      absorb(floor(key / 4294967296) >>> 0);
    } else absorb(hashString(String(key)));
  }
  return h;
}

/** mulberry32: 32-bit state, fast, good enough for simulation (not for cryptography). */
export class SeededRandom {
  private state: number;
  // A number plus a flag rather than number | undefined: one field type keeps V8 on its fast path.
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed32: number) {
    this.state = seed32 >>> 0;
  }

  static from(...keys: ReadonlyArray<number | string>): SeededRandom {
    return new SeededRandom(seedFrom(...keys));
  }

  /** Uniform in [0, 1). */
  unit(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.unit();
  }

  /** Uniform on a log scale: prices and volumes spread over orders of magnitude. */
  logUniform(min: number, max: number): number {
    return exp(this.between(log(min), log(max)));
  }

  /** Integer in [0, n). */
  intBelow(n: number): number {
    return floor(this.unit() * n);
  }

  chance(probability: number): boolean {
    return this.unit() < probability;
  }

  /**
   * Standard normal (Marsaglia's polar method: no sin/cos, ~2.5x faster than Box-Muller here, and the
   * generator draws ~4 normals per simulated minute). The second value of each pair is kept.
   */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    let u: number;
    let v: number;
    let radiusSquared: number;
    do {
      u = 2 * this.unit() - 1;
      v = 2 * this.unit() - 1;
      radiusSquared = u * u + v * v;
    } while (radiusSquared >= 1 || radiusSquared === 0);
    const scale = sqrt((-2 * log(radiusSquared)) / radiusSquared);
    this.spareNormal = v * scale;
    this.hasSpareNormal = true;
    return u * scale;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.intBelow(items.length)]!;
  }
}
