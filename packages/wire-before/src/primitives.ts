/**
 * Building blocks of the document schemas. Every object is closed (`additionalProperties: false`)
 * and every string, array and map is bounded, so a schema alone bounds what a decoder accepts.
 */
import { Type, type TSchema } from '@sinclair/typebox'

/** Signed exact decimal: `-?digits(.digits)?` (docs/pricing.md; no exponent, no `+`). */
export const DecimalSchema = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: 80, description: 'exact decimal' })
/** Decimal that may not be negative: prices, weights, volumes, factors, tolerances. */
export const NonNegDecimalSchema = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', maxLength: 80, description: 'non-negative exact decimal' })

/**
 * An Ed25519 PeerId in its usual base58btc form. The identity multihash of an Ed25519 public key
 * always starts `12D3KooW` and is 52 characters; anything else cannot name a signer here.
 */
export const PeerIdSchema = Type.String({ pattern: '^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$', description: 'Ed25519 PeerId' })

/** A document id: CIDv1, dag-cbor, sha2-256, base32 (see `docId`). */
export const DocIdSchema = Type.String({ pattern: '^bafyrei[a-z2-7]{52}$', description: 'document id (CIDv1 dag-cbor sha2-256)' })

/** Milliseconds since the epoch, or a duration in milliseconds. */
export const TimeSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'ms since epoch' })
export const UintSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const ClassIdSchema = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'class of service id' })
export const CurrencySchema = Type.String({ pattern: '^[A-Z][A-Z0-9]{1,11}$', description: 'ISO 4217-like currency code' })
export const DecimalsSchema = Type.Integer({ minimum: 0, maximum: 18, description: 'decimal places of the currency' })
export const MetricSchema = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'SLA metric name, e.g. delay_ms' })
/** Free text that identifies something outside the protocol (an address, a customer reference). */
export const LabelSchema = Type.String({ minLength: 1, maxLength: 256 })

/** A closed object: unknown properties are refused. */
export const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description === undefined ? {} : { description }) })

/** A bounded map whose keys must all match `key` (TypeBox records are open unless told otherwise). */
export const BoundedMap = <K extends TSchema, V extends TSchema>(key: K, value: V, maxProperties: number) =>
  Type.Record(key, value, { additionalProperties: false, maxProperties })

/** A border: its two agents' PeerIds, sorted (checked semantically), so both sides name it alike. */
export const BorderSchema = Type.Tuple([PeerIdSchema, PeerIdSchema], { description: 'the two agents of a border, sorted' })

/** A measurement interval: `[start, start + length)`. */
export const IntervalSchema = Obj({ start: TimeSchema, length: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })
/** A settlement period or time window: `[start, end)`. */
export const PeriodSchema = Obj({ start: TimeSchema, end: TimeSchema })
