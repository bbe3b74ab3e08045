/**
 * Schema of `@splitedge/model`'s `PricingTariff` (packages/model/src/types.ts), the pricing body
 * of a signed tariff. It mirrors that interface field for field so a signed tariff converts to the
 * model's types without loss; the compile-time check in test/pricing-compat.spec.ts keeps them in step.
 */
import { Type, type Static } from '@sinclair/typebox'
import {
  BoundedMap, ClassIdSchema, CurrencySchema, DecimalSchema, DecimalsSchema, MetricSchema,
  NonNegDecimalSchema, Obj, PeerIdSchema
} from './primitives.js'

export const MAX_CLASSES = 64
export const MAX_WEIGHT_KEYS = 1024
export const MAX_SLA_CRITERIA = 8
export const MAX_SLA_BANDS = 16

export const WeightPairSchema = Obj({ send: NonNegDecimalSchema, receive: NonNegDecimalSchema })

/** One band of a sliding scale: at most one bound (checked semantically); none matches anything. */
export const SlaBandSchema = Obj({
  upTo: Type.Optional(DecimalSchema),
  atLeast: Type.Optional(DecimalSchema),
  factor: NonNegDecimalSchema
})
export const SlaCriterionSchema = Obj({
  metric: MetricSchema,
  bands: Type.Array(SlaBandSchema, { minItems: 1, maxItems: MAX_SLA_BANDS })
})
export const ServiceClassSchema = Obj({
  mode: Type.Union([Type.Literal('unicast'), Type.Literal('multicast')]),
  quality: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$' }),
  price: NonNegDecimalSchema,
  messageFee: Type.Optional(NonNegDecimalSchema),
  sla: Type.Optional(Type.Array(SlaCriterionSchema, { maxItems: MAX_SLA_CRITERIA }))
})
export const NeighbourStatusSchema = Type.Union([Type.Literal('customer'), Type.Literal('peer'), Type.Literal('transit')])

/** Weight keys: a neighbour's PeerId, `status:<customer|peer|transit>`, or `*` for anyone else. */
export const WeightKeySchema = Type.String({ pattern: '^(\\*|status:(customer|peer|transit)|12D3KooW[1-9A-HJ-NP-Za-km-z]{44})$' })

export const PricingTariffSchema = Obj({
  currency: CurrencySchema,
  decimals: DecimalsSchema,
  unit: Type.Union([Type.Literal('octet'), Type.Literal('packet'), Type.Literal('mbit-second')]),
  classes: BoundedMap(ClassIdSchema, ServiceClassSchema, MAX_CLASSES),
  weights: BoundedMap(WeightKeySchema, WeightPairSchema, MAX_WEIGHT_KEYS),
  statuses: Type.Optional(BoundedMap(PeerIdSchema, NeighbourStatusSchema, MAX_WEIGHT_KEYS)),
  periodFee: Type.Optional(NonNegDecimalSchema)
}, 'the pricing content of a tariff version (model PricingTariff)')

export type WirePricingTariff = Static<typeof PricingTariffSchema>
