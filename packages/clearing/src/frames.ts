/** The clearing protocols' request/response frames: DAG-CBOR maps checked by one schema each. */
import { Type, type Static } from '@sinclair/typebox'

export const CLEARING_PROTOCOLS = {
  /** A customer or operator asks a clearer for a signed quote. */
  quote: '/splitedge/clearing-quote/1.0.0',
  /** The clearer offers an operator its half-signed statement for a period, with the evidence. */
  settle: '/splitedge/clearing-settle/1.0.0'
} as const

export const MAX_CLEARING_FRAME_BYTES = { quote: 64 * 1024, settle: 8 * 1024 * 1024 } as const

const Bytes = Type.Uint8Array({ maxByteLength: 2 * 1024 * 1024 })
const PeerId = Type.String({ pattern: '^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$' })
const Reason = Type.String({ maxLength: 512 })
const O = <P extends Parameters<typeof Type.Object>[0]>(p: P) => Type.Object(p, { additionalProperties: false })
const Role = Type.Union([Type.Literal('sender'), Type.Literal('receiver')])

export const QuoteRequestFrame = O({
  ends: Type.Array(O({ operator: PeerId, role: Role }), { minItems: 2, maxItems: 16 }),
  class: Type.String({ minLength: 1, maxLength: 64 }),
  volume: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', maxLength: 80 }),
  apportion: Type.Union([
    O({ kind: Type.Literal('sender-pays') }),
    O({ kind: Type.Literal('receiver-pays') }),
    O({ kind: Type.Literal('shares'), shares: Type.Record(PeerId, Type.String({ maxLength: 80 }), { additionalProperties: false, maxProperties: 16 }) })
  ])
})
export const QuoteResponseFrame = Type.Union([
  O({ k: Type.Literal('quote'), doc: Bytes }),
  O({ k: Type.Literal('refused'), code: Type.String({ maxLength: 64 }), reason: Reason })
])

/** Per statement line, the documents that justify it. */
export const EvidenceItem = O({
  receipt: Bytes,
  role: Role,
  remote: PeerId,
  consent: Type.Optional(Bytes)
})
export const SettleOfferFrame = O({ statement: Bytes, evidence: Type.Array(EvidenceItem, { maxItems: 4096 }) })
export const SettleAnswerFrame = Type.Union([
  /** Co-signed by the operator, stored by it before answering. */
  O({ k: Type.Literal('statement'), doc: Bytes }),
  O({ k: Type.Literal('refused'), code: Type.String({ maxLength: 64 }), reason: Reason })
])

export type QuoteRequestFrame = Static<typeof QuoteRequestFrame>
export type QuoteResponseFrame = Static<typeof QuoteResponseFrame>
export type EvidenceItem = Static<typeof EvidenceItem>
export type SettleOfferFrame = Static<typeof SettleOfferFrame>
export type SettleAnswerFrame = Static<typeof SettleAnswerFrame>
