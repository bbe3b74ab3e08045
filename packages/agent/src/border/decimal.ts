/** Exact comparisons on decimal strings for reconciliation, on the model's decimal arithmetic. */
import { cmp, dec, mul, sub, neg } from '@splitedge/model'

export function compareDecimal (a: string, b: string): number {
  return cmp(dec(a), dec(b))
}

/** |a - b| <= tolerance * max(a, b), exactly. */
export function isWithinRelative (a: string, b: string, tolerance: string): boolean {
  const x = dec(a)
  const y = dec(b)
  const d = sub(x, y)
  const diff = d.c < 0n ? neg(d) : d
  const max = cmp(x, y) >= 0 ? x : y
  return cmp(diff, mul(dec(tolerance), max)) <= 0
}
