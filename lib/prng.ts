/**
 * A seeded pseudo-random number generator (mulberry32): the same seed gives the same sequence of
 * numbers in [0, 1), so generated data — load-test histories, benchmark classes, property tests —
 * is the same on every run. Not for anything that must be unpredictable (use crypto for that).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
