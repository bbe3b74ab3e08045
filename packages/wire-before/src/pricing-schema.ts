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
  bands: Type.Array(SlaBandSchema, { minItems: 1, maxItems: MAX_SLA_BANDS }),
  /** `interval` (default): a factor per interval; `period`: the period's worst value sets one factor. */
  window: Type.Optional(Type.Union([Type.Literal('interval'), Type.Literal('period')])),
  /** Value assumed when the metric was not measured. */
  default: Type.Optional(DecimalSchema),
  /** A value only the judged network reported counts. */
  selfReport: Type.Optional(Type.Boolean()),
  /** Factors above 1 are allowed. */
  bonus: Type.Optional(Type.Boolean())
})
export const SlaCriteriaSchema = Type.Array(SlaCriterionSchema, { maxItems: MAX_SLA_CRITERIA })
/** Weight keys: a neighbour's PeerId, `status:<customer|peer|transit>`, or `*` for anyone else. */
export const WeightKeySchema = Type.String({ pattern: '^(\\*|status:(customer|peer|transit)|12D3KooW[1-9A-HJ-NP-Za-km-z]{44})$' })
/** Per-class weight keys: a neighbour's PeerId or `status:<s>` (the tariff-wide `*` is the fallback). */
export const ClassWeightKeySchema = Type.String({ pattern: '^(status:(customer|peer|transit)|12D3KooW[1-9A-HJ-NP-Za-km-z]{44})$' })

export const MessageFeeSchema = Type.Union([
  NonNegDecimalSchema,
  Obj({ fee: NonNegDecimalSchema, weighted: Type.Optional(Type.Boolean()) })
])
export const ServiceClassSchema = Obj({
  mode: Type.Union([Type.Literal('unicast'), Type.Literal('multicast')]),
  quality: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$' }),
  price: NonNegDecimalSchema,
  messageFee: Type.Optional(MessageFeeSchema),
  sla: Type.Optional(SlaCriteriaSchema),
  weights: Type.Optional(BoundedMap(ClassWeightKeySchema, WeightPairSchema, MAX_WEIGHT_KEYS))
})
/** A period fee toward one neighbour (or status, or `*`): a decimal, or `{ fee, whenIdle }`. */
export const PeriodFeeValueSchema = Type.Union([
  DecimalSchema,
  Obj({ fee: DecimalSchema, whenIdle: Type.Optional(Type.Boolean()) })
])
export const NeighbourStatusSchema = Type.Union([Type.Literal('customer'), Type.Literal('peer'), Type.Literal('transit')])

export const PricingTariffSchema = Obj({
  currency: CurrencySchema,
  decimals: DecimalsSchema,
  unit: Type.Union([Type.Literal('octet'), Type.Literal('packet'), Type.Literal('mbit-second')]),
  classes: BoundedMap(ClassIdSchema, ServiceClassSchema, MAX_CLASSES),
  weights: BoundedMap(WeightKeySchema, WeightPairSchema, MAX_WEIGHT_KEYS),
  statuses: Type.Optional(BoundedMap(PeerIdSchema, NeighbourStatusSchema, MAX_WEIGHT_KEYS)),
  /**
   * One fee for every neighbour, or per neighbour / status / `*` a fee or `{ fee, whenIdle }`
   * (`whenIdle: false` waives it for a period without attested traffic); negative: paid to the neighbour.
   */
  periodFee: Type.Optional(Type.Union([DecimalSchema, BoundedMap(WeightKeySchema, PeriodFeeValueSchema, MAX_WEIGHT_KEYS)])),
  /** Bilateral SLAs: per neighbour and class, criteria replacing the class's own. */
  bilateralSla: Type.Optional(BoundedMap(PeerIdSchema, BoundedMap(ClassIdSchema, SlaCriteriaSchema, MAX_CLASSES), MAX_WEIGHT_KEYS)),
  /** Per neighbour: its class -> our class carrying it. */
  classMap: Type.Optional(BoundedMap(PeerIdSchema, BoundedMap(ClassIdSchema, ClassIdSchema, MAX_CLASSES), MAX_WEIGHT_KEYS))
}, 'the pricing content of a tariff version (model PricingTariff)')

export type WirePricingTariff = Static<typeof PricingTariffSchema>
