/** A small seeded PRNG (mulberry32): generators take randomness as an argument, so runs repeat. */
export type Rng = () => number

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
