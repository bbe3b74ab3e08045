/**
 * The one seeded generator of the project (mulberry32): simulations, topologies, benchmarks and
 * tests take randomness from it, so the same seed repeats the same run. Not for keys or nonces
 * (those come from node:crypto).
 */
export type Rng = () => number

/** Numbers in [0, 1), the same sequence for the same seed. */
export function seededRng (seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An integer in [0, n). */
export function below (rng: Rng, n: number): number {
  return Math.floor(rng() * n)
}
