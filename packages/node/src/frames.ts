/**
 * The agent's request/response messages: DAG-CBOR maps checked against one TypeBox schema per
 * protocol before anything else reads them. Documents travel inside as their own encoded bytes and
 * are decoded (and verified) by the wire package by whoever receives them.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { fastDecode, fastEncode, type Refusals } from '@splitedge/wire'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'

export const PROTOCOLS = {
  tariffSync: '/splitedge/tariff-sync/1.0.0',
  border: '/splitedge/border/1.0.0',
  settle: '/splitedge/settle/1.0.0'
} as const

/** Frame size limits: a document of the largest type plus a few documents riding along. */
export const MAX_FRAME_BYTES = {
  tariffSync: 512 * 1024,
  border: 2 * 1024 * 1024,
  settle: 8 * 1024 * 1024
} as const

const Bytes = Type.Uint8Array({ maxByteLength: 4 * 1024 * 1024 })
const DocId = Type.String({ pattern: '^bafyrei[a-z2-7]{52}$' })
const Time = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const Dec = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', maxLength: 40 })
const Reason = Type.String({ maxLength: 512 })
const O = <P extends Parameters<typeof Type.Object>[0]>(p: P) => Type.Object(p, { additionalProperties: false })

export const TariffSyncRequest = Type.Union([
  O({ k: Type.Literal('current') }),
  O({ k: Type.Literal('by-id'), id: DocId })
])
export const TariffSyncResponse = Type.Union([
  O({ k: Type.Literal('tariff'), doc: Bytes }),
  O({ k: Type.Literal('none') })
])

/**
 * Border frames may carry the sender's clock (`time`, ms since the epoch) so each side can tell
 * how far apart the two clocks are (see clock/skew.ts); the connection authenticates who sent it.
 */
export const BorderRequest = Type.Union([
  /** Our signed report for an interval, and our reconciliation tolerance. */
  O({ k: Type.Literal('report'), doc: Bytes, tolerance: Dec, time: Type.Optional(Time) }),
  /** A fully co-signed attestation, delivered so both sides hold it. */
  O({ k: Type.Literal('attestation'), doc: Bytes }),
  /** Ask for the co-signed attestation of an interval. */
  O({ k: Type.Literal('get-attestation'), start: Time })
])
export const BorderResponse = Type.Union([
  /** The responder already holds the co-signed attestation. */
  O({ k: Type.Literal('attestation'), doc: Bytes, time: Type.Optional(Time) }),
  /** The responder's report and its half of the attestation it computed. */
  O({ k: Type.Literal('cosign'), report: Bytes, doc: Bytes, time: Type.Optional(Time) }),
  /** Beyond tolerance: the responder's report, so both record the same dispute. */
  O({ k: Type.Literal('dispute'), report: Bytes, time: Type.Optional(Time) }),
  /** The interval is outside what the responder settles (before it started, no tariff in force). */
  O({ k: Type.Literal('declined'), reason: Reason, time: Type.Optional(Time) }),
  /** Try again later (interval not closed here yet, tariffs still syncing). */
  O({ k: Type.Literal('not-ready'), reason: Reason, time: Type.Optional(Time) }),
  O({ k: Type.Literal('ok') }),
  O({ k: Type.Literal('none') })
])

export const SettleRequest = Type.Union([
  /** The initiator's statement, signed by it. */
  O({ k: Type.Literal('statement'), doc: Bytes })
])
export const SettleResponse = Type.Union([
  /** The co-signed statement (the responder stored it before answering). */
  O({ k: Type.Literal('statement'), doc: Bytes }),
  /** Documents the initiator lacks (attestations, tariffs) and ids the responder lacks. */
  O({ k: Type.Literal('need'), docs: Type.Array(Bytes, { maxItems: 4096 }), missing: Type.Array(DocId, { maxItems: 4096 }) }),
  /** The responder computed a different statement: its own version, signed by it. */
  O({ k: Type.Literal('dispute'), doc: Bytes }),
  O({ k: Type.Literal('declined'), reason: Reason }),
  O({ k: Type.Literal('not-ready'), reason: Reason })
])

export type TariffSyncRequest = Static<typeof TariffSyncRequest>
export type TariffSyncResponse = Static<typeof TariffSyncResponse>
export type BorderRequest = Static<typeof BorderRequest>
export type BorderResponse = Static<typeof BorderResponse>
export type SettleRequest = Static<typeof SettleRequest>
export type SettleResponse = Static<typeof SettleResponse>

export class FrameError extends Error {
  /**
   * `malformed`: not one complete DAG-CBOR item (bad CBOR, trailing bytes, indefinite lengths,
   * non-minimal integers); `non-canonical`: decodes, but is not the canonical encoding of its value
   * (map keys out of order, floats); `schema`: the value is not a frame of this protocol.
   */
  constructor (readonly code: Refusals<'malformed' | 'non-canonical' | 'schema'>, message: string) {
    super(message)
    this.name = 'FrameError'
  }
}

export function encodeFrame<S extends TSchema> (_schema: S, frame: Static<S>): Uint8Array {
  return fastEncode(frame) ?? dagCbor.encode(frame)
}

/**
 * Decode and check a frame; throws FrameError naming the problem. Frames get the strictness of
 * documents: a frame is accepted only in its one canonical DAG-CBOR encoding, so every encoding
 * variant (key order, integer width, trailing bytes) is refused alike rather than some silently.
 */
export function decodeFrame<S extends TSchema> (schema: S, bytes: Uint8Array): Static<S> {
  // The fast decoder takes only canonical bytes of the plain subset; anything else goes the general way.
  const value = fastDecode(bytes)?.value ?? generalDecode(bytes)
  if (compiled(schema).Check(value)) return value as Static<S>
  const first = Value.Errors(schema, value).First()
  throw new FrameError('schema', first === undefined ? 'frame: not a frame of this protocol' : `${first.path === '' ? 'frame' : first.path}: ${first.message}`)
}

function generalDecode (bytes: Uint8Array): unknown {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new FrameError('malformed', `not DAG-CBOR: ${(err as Error).message}`)
  }
  let again: Uint8Array
  try {
    again = dagCbor.encode(value)
  } catch (err) {
    throw new FrameError('non-canonical', `does not re-encode: ${(err as Error).message}`)
  }
  if (again.length !== bytes.length || Buffer.compare(again, bytes) !== 0) {
    throw new FrameError('non-canonical', 'not the canonical DAG-CBOR encoding (map keys out of order, or a float)')
  }
  return value
}

// Each frame schema compiled once: checking a valid frame by `Value.Errors` interpreted the schema
// on every frame (the errors are still taken from it, for a frame that fails).
const checks = new WeakMap<TSchema, TypeCheck<TSchema>>()
function compiled (schema: TSchema): TypeCheck<TSchema> {
  let check = checks.get(schema)
  if (check === undefined) {
    check = TypeCompiler.Compile(schema)
    checks.set(schema, check)
  }
  return check
}
