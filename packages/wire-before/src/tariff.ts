/** Between signed tariffs and the model's `PricingTariff` (packages/model/src/types.ts). */
import type { PricingTariff } from '@splitedge/model'
import type { Tariff } from './documents.js'

/** The pricing of a signed tariff, as the model's type: a mutable deep copy, nothing lost. */
export function tariffToPricing (tariff: Tariff): PricingTariff {
  return structuredClone(tariff.body.pricing) as PricingTariff
}
