/**
 * The signed documents of docs/protocol.md: one schema per body (it validates and documents),
 * the envelope that carries signatures, and the size limit of each type.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import {
  BorderSchema, BoundedMap, ClassIdSchema, CurrencySchema, DecimalSchema, DecimalsSchema, DocIdSchema,
  IntervalSchema, LabelSchema, MetricSchema, NonNegDecimalSchema, Obj, PeerIdSchema, PeriodSchema,
  TimeSchema, UintSchema
} from './primitives.js'
import { PricingTariffSchema } from './pricing-schema.js'

export const MAX_LINES = 4096
export const MAX_METRICS = 1024
export const MAX_ATTESTATIONS = 4096
export const MAX_QUOTE_ENDS = 16

// ---- tariff ----------------------------------------------------------------------------------

export const TariffBodySchema = Obj({
  issuer: PeerIdSchema,
  /** Strictly increasing per issuer. */
  seq: UintSchema,
  /** Id of the version this one replaces; null for an issuer's first version. */
  previous: Type.Union([DocIdSchema, Type.Null()]),
  published: TimeSchema,
  /** Applies to intervals that start at or after this time; at least `noticeMs` after `published`. */
  effective: TimeSchema,
  /** The issuer's notice period: how far ahead of its effective time a change must be published. */
  noticeMs: UintSchema,
  pricing: PricingTariffSchema
}, 'tariff: one version of an operator\'s prices, signed by its issuer')
export type TariffBody = Static<typeof TariffBodySchema>

// ---- usage -----------------------------------------------------------------------------------

/** Volume of one class crossing the border from `from` into `to`. */
export const UsageLineSchema = Obj({
  class: ClassIdSchema,
  from: PeerIdSchema,
  to: PeerIdSchema,
  volume: NonNegDecimalSchema,
  /** Number of messages, for per-message fees. */
  messages: Type.Optional(UintSchema)
})
export type UsageLine = Static<typeof UsageLineSchema>

/** One SLA metric measured for one class, judged against `subject`'s criteria. */
export const MetricLineSchema = Obj({
  subject: PeerIdSchema,
  class: ClassIdSchema,
  metric: MetricSchema,
  value: DecimalSchema
})
export type MetricLine = Static<typeof MetricLineSchema>

export const UsageReportBodySchema = Obj({
  border: BorderSchema,
  reporter: PeerIdSchema,
  interval: IntervalSchema,
  lines: Type.Array(UsageLineSchema, { maxItems: MAX_LINES }),
  metrics: Type.Array(MetricLineSchema, { maxItems: MAX_METRICS }),
  /**
   * Revision of the reporter's figures for this interval: absent for the first report (so reports
   * signed before revisions existed keep their ids), 1, 2, ... for each correction that resolves a
   * usage dispute. Zero is written by leaving the field out, so each revision has one encoding.
   */
  revision: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))
}, 'usage-report: one side\'s measurement of one border and interval, signed by the reporter')
export type UsageReportBody = Static<typeof UsageReportBodySchema>

export const ReconciliationRuleSchema = Obj({
  kind: Type.Literal('lower-within-relative'),
  tolerance: NonNegDecimalSchema
})
export type ReconciliationRule = Static<typeof ReconciliationRuleSchema>

export const UsageAttestationBodySchema = Obj({
  border: BorderSchema,
  interval: IntervalSchema,
  rule: ReconciliationRuleSchema,
  /** Ids of the two raw reports reconciled. */
  reports: Type.Tuple([DocIdSchema, DocIdSchema]),
  lines: Type.Array(UsageLineSchema, { maxItems: MAX_LINES }),
  metrics: Type.Array(MetricLineSchema, { maxItems: MAX_METRICS })
}, 'usage-attestation: the agreed figures of a border and interval, co-signed by both sides')
export type UsageAttestationBody = Static<typeof UsageAttestationBodySchema>

// ---- settlement ------------------------------------------------------------------------------

/** Mirrors the model's StatementLine. `kind` names the charge (volume, message fee, period fee...). */
export const StatementLineSchema = Obj({
  kind: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
  class: Type.Union([ClassIdSchema, Type.Null()]),
  from: PeerIdSchema,
  to: PeerIdSchema,
  volume: NonNegDecimalSchema,
  /** Tariff version applied, per network, by id. */
  tariffs: BoundedMap(PeerIdSchema, DocIdSchema, 2),
  /** SLA factor applied, per network. */
  factors: BoundedMap(PeerIdSchema, NonNegDecimalSchema, 2),
  amount: DecimalSchema,
  /** Why a factor is what it is when no measurement decided it (an SLA default, or factor 1). */
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 }))
})
export type StatementLine = Static<typeof StatementLineSchema>

export const SettlementStatementBodySchema = Obj({
  border: BorderSchema,
  period: PeriodSchema,
  currency: CurrencySchema,
  decimals: DecimalsSchema,
  attestations: Type.Array(DocIdSchema, { maxItems: MAX_ATTESTATIONS }),
  lines: Type.Array(StatementLineSchema, { maxItems: MAX_LINES }),
  /** What border[0] pays border[1] (negative: border[1] pays). */
  net: DecimalSchema
}, 'settlement-statement: a border\'s charges for a period, co-signed by both sides')
export type SettlementStatementBody = Static<typeof SettlementStatementBodySchema>

// ---- clearing --------------------------------------------------------------------------------

export const NonceSchema = Type.String({ pattern: '^[0-9a-f]{16,64}$', description: 'lowercase hex nonce' })

export const QuoteBodySchema = Obj({
  clearer: PeerIdSchema,
  nonce: NonceSchema,
  ends: Type.Array(Obj({
    operator: PeerIdSchema,
    role: Type.Union([Type.Literal('sender'), Type.Literal('receiver')])
  }), { minItems: 2, maxItems: MAX_QUOTE_ENDS }),
  class: ClassIdSchema,
  volume: NonNegDecimalSchema,
  apportion: Obj({
    kind: Type.Union([Type.Literal('sender-pays'), Type.Literal('receiver-pays'), Type.Literal('shares')]),
    /** Percent per operator, present exactly when kind is `shares`. */
    shares: Type.Optional(BoundedMap(PeerIdSchema, NonNegDecimalSchema, MAX_QUOTE_ENDS))
  }),
  charges: Type.Array(Obj({ operator: PeerIdSchema, amount: DecimalSchema, payer: PeerIdSchema }), { maxItems: 256 }),
  margin: DecimalSchema,
  currency: CurrencySchema,
  decimals: DecimalsSchema,
  /** Ids of the tariff versions the price was computed from. */
  tariffs: Type.Array(DocIdSchema, { maxItems: 256 }),
  issued: TimeSchema,
  expires: TimeSchema
}, 'quote: a clearer\'s end-to-end price offer, valid until expires')
export type QuoteBody = Static<typeof QuoteBodySchema>

export const ReceiptBodySchema = Obj({
  operator: PeerIdSchema,
  seq: UintSchema,
  src: LabelSchema,
  dst: LabelSchema,
  class: ClassIdSchema,
  volume: NonNegDecimalSchema,
  interval: IntervalSchema,
  customer: Type.Optional(LabelSchema)
}, 'receipt: an edge operator\'s usage record that a customer presents for clearing')
export type ReceiptBody = Static<typeof ReceiptBodySchema>

export const ConsentBodySchema = Obj({
  /** The operator of the consenting (remote) end. */
  operator: PeerIdSchema,
  nonce: NonceSchema,
  src: LabelSchema,
  dst: LabelSchema,
  class: ClassIdSchema,
  /** Most volume the consent covers. */
  maxVolume: NonNegDecimalSchema,
  /** Percent of the charge the consenting end agrees to pay. */
  share: NonNegDecimalSchema,
  window: PeriodSchema
}, 'consent: the remote end\'s signed agreement to pay its share for traffic matching a receipt')
export type ConsentBody = Static<typeof ConsentBodySchema>

export const MAX_ANNOUNCED_OPERATORS = 1024
export const MAX_CLEARING_LINES = 4096

export const ClearerAnnouncementBodySchema = Obj({
  clearer: PeerIdSchema,
  /** Strictly increasing per clearer: a newer announcement replaces the older. */
  seq: UintSchema,
  /** The edge operators this clearer clears for, sorted, each once. */
  operators: Type.Array(PeerIdSchema, { maxItems: MAX_ANNOUNCED_OPERATORS }),
  /** Where customers reach the clearer's HTTP API, if it offers one. */
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  issued: TimeSchema,
  /** The announcement is stale after this time (the clearer re-announces before it). */
  expires: TimeSchema
}, 'clearer-announcement: which operators a clearer serves, published on the directory topic')
export type ClearerAnnouncementBody = Static<typeof ClearerAnnouncementBodySchema>

/** One cleared receipt as it moves money between a clearer and one operator. */
export const ClearingLineSchema = Obj({
  /** Id of the receipt cleared. */
  receipt: DocIdSchema,
  /** `pays`: the operator's end pays (its customer owes); `paid`: the operator is paid for its customer's charge. */
  side: Type.Union([Type.Literal('pays'), Type.Literal('paid')]),
  class: ClassIdSchema,
  volume: NonNegDecimalSchema,
  /** The local charge moved (for `pays`, the payer's share of it). */
  charge: DecimalSchema,
  /** The clearer's margin on this line, paid by the `pays` side; "0" on `paid` lines. */
  margin: DecimalSchema,
  /** Id of the local operator's tariff version the charge was computed from. */
  tariff: DocIdSchema
})
export type ClearingLine = Static<typeof ClearingLineSchema>

export const ClearingStatementBodySchema = Obj({
  clearer: PeerIdSchema,
  operator: PeerIdSchema,
  period: PeriodSchema,
  currency: CurrencySchema,
  decimals: DecimalsSchema,
  lines: Type.Array(ClearingLineSchema, { maxItems: MAX_CLEARING_LINES }),
  /** What the operator pays the clearer for the period (negative: the clearer pays the operator). */
  net: DecimalSchema
}, 'clearing-statement: a clearer\'s batch settlement with one operator for a period, co-signed by both')
export type ClearingStatementBody = Static<typeof ClearingStatementBodySchema>

// ---- registry ---------------------------------------------------------------------------------

/** Body schema of each document type. */
export const BODY_SCHEMAS = {
  tariff: TariffBodySchema,
  'usage-report': UsageReportBodySchema,
  'usage-attestation': UsageAttestationBodySchema,
  'settlement-statement': SettlementStatementBodySchema,
  quote: QuoteBodySchema,
  receipt: ReceiptBodySchema,
  consent: ConsentBodySchema,
  'clearer-announcement': ClearerAnnouncementBodySchema,
  'clearing-statement': ClearingStatementBodySchema
} as const satisfies Record<string, TSchema>

export type DocType = keyof typeof BODY_SCHEMAS
export const DOC_TYPES = Object.keys(BODY_SCHEMAS) as DocType[]
export type BodyOf<T extends DocType> = Static<(typeof BODY_SCHEMAS)[T]>

/** The only envelope version so far; part of the signature's domain-separation tag. */
export const WIRE_VERSION = 1

/**
 * Largest encoded document accepted, per type, in bytes (checked before any decoding).
 * tariff: 64 classes with SLA scales and ~1000 weight keys fit in 256 KiB;
 * reports, attestations and statements (bilateral or clearing): up to 4096 lines; an announcement
 * names up to 1024 operators; quotes, receipts and consents are small.
 */
export const MAX_DOCUMENT_BYTES: Readonly<Record<DocType, number>> = {
  tariff: 256 * 1024,
  'usage-report': 1024 * 1024,
  'usage-attestation': 1024 * 1024,
  'settlement-statement': 1024 * 1024,
  quote: 32 * 1024,
  receipt: 4 * 1024,
  consent: 4 * 1024,
  'clearer-announcement': 96 * 1024,
  'clearing-statement': 1024 * 1024
}
/** The largest of MAX_DOCUMENT_BYTES: the limit before the type is known. */
export const MAX_ANY_DOCUMENT_BYTES = Math.max(...Object.values(MAX_DOCUMENT_BYTES))

export const SignatureSchema = Obj({
  signer: PeerIdSchema,
  sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 })
})
export interface Signature { readonly signer: string; readonly sig: Uint8Array }

/** A signed document. `sigs` is sorted by signer; co-signed types carry two. */
export interface Document<T extends DocType = DocType> {
  readonly type: T
  readonly v: typeof WIRE_VERSION
  readonly body: BodyOf<T>
  readonly sigs: readonly Signature[]
}
/** Any document, discriminated on `type`. */
export type AnyDocument = { [T in DocType]: Document<T> }[DocType]

export type Tariff = Document<'tariff'>
export type UsageReport = Document<'usage-report'>
export type UsageAttestation = Document<'usage-attestation'>
export type SettlementStatement = Document<'settlement-statement'>
export type Quote = Document<'quote'>
export type Receipt = Document<'receipt'>
export type Consent = Document<'consent'>
export type ClearerAnnouncement = Document<'clearer-announcement'>
export type ClearingStatement = Document<'clearing-statement'>

/** Envelope schema of one type (body checked by its own schema). */
export const envelopeSchema = (type: DocType) => Obj({
  type: Type.Literal(type),
  v: Type.Literal(WIRE_VERSION),
  body: BODY_SCHEMAS[type],
  sigs: Type.Array(SignatureSchema, { minItems: 1, maxItems: 2 })
})
