/**
 * Weight resolution for a `PricingTariff` (section 2): a named neighbour, then the neighbour's
 * status, then the `*` default, else 0.
 */
import type { NetworkId, PricingTariff, WeightPair, WeightResolver } from './types.js'

export const ZERO_WEIGHTS: WeightPair = Object.freeze({ send: '0', receive: '0' })

/** `weights[neighbour]`, then `weights["status:" + statuses[neighbour]]`, then `weights["*"]`, else 0. */
export const resolveWeights: WeightResolver = (tariff: PricingTariff, neighbour: NetworkId): WeightPair => {
  const w = tariff.weights
  const named = own(w, neighbour)
  if (named !== undefined) return named
  const status = tariff.statuses !== undefined ? own(tariff.statuses, neighbour) : undefined
  if (status !== undefined) {
    const byStatus = own(w, `status:${status}`)
    if (byStatus !== undefined) return byStatus
  }
  return own(w, '*') ?? ZERO_WEIGHTS
}

/** Own-property lookup, so ids like `constructor` or `__proto__` never hit the prototype. */
export function own<T> (record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
