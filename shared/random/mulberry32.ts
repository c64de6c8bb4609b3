/**
 * mulberry32: a tiny seeded PRNG, uniform in [0, 1). Used where a sequence must be replayable from a printed
 * seed (parameter searches, benchmark data); never for anything a trader's money depends on.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
