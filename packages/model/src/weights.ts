/**
 * Weight and fee resolution for a `PricingTariff`. Weights: neighbour+class, neighbour,
 * status+class, status, `*`, else 0. The first match wins, so a class-specific weight for a status
 * is beaten by a weight for the named neighbour: naming a neighbour is the stronger statement.
 */
import type { ClassId, Decimal, NetworkId, PricingTariff, WeightPair } from './types.js'

export const ZERO_WEIGHTS: WeightPair = Object.freeze({ send: '0', receive: '0' })

/** The weights `tariff` applies toward `neighbour`, for class `cls` when given. */
export function resolveWeights (tariff: PricingTariff, neighbour: NetworkId, cls?: ClassId): WeightPair {
  const w = tariff.weights
  const byClass = cls !== undefined ? own(tariff.classes, cls)?.weights : undefined
  const status = tariff.statuses !== undefined ? own(tariff.statuses, neighbour) : undefined
  const statusKey = status !== undefined ? `status:${status}` : undefined
  return (byClass !== undefined ? own(byClass, neighbour) : undefined) ??
    own(w, neighbour) ??
    (byClass !== undefined && statusKey !== undefined ? own(byClass, statusKey) : undefined) ??
    (statusKey !== undefined ? own(w, statusKey) : undefined) ??
    own(w, '*') ?? ZERO_WEIGHTS
}

/** The period fee `tariff` charges `neighbour` (negative: paid to it): neighbour, status, `*`. */
export function resolvePeriodFee (tariff: PricingTariff, neighbour: NetworkId): Decimal | undefined {
  return resolvePeriodFeeTerms(tariff, neighbour)?.fee
}

/** The period fee with its terms: `whenIdle` false waives it for a period without attested traffic. */
export function resolvePeriodFeeTerms (tariff: PricingTariff, neighbour: NetworkId): { fee: Decimal, whenIdle: boolean } | undefined {
  const f = tariff.periodFee
  if (f === undefined) return undefined
  if (typeof f === 'string') return { fee: f, whenIdle: true }
  const status = tariff.statuses !== undefined ? own(tariff.statuses, neighbour) : undefined
  const v = own(f, neighbour) ?? (status !== undefined ? own(f, `status:${status}`) : undefined) ?? own(f, '*')
  if (v === undefined) return undefined
  return typeof v === 'string' ? { fee: v, whenIdle: true } : { fee: v.fee, whenIdle: v.whenIdle !== false }
}

/** Own-property lookup, so ids like `constructor` or `__proto__` never hit the prototype. */
export function own<T> (record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
