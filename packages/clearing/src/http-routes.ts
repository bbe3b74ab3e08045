/**
 * The clearer's HTTP routes described as data (see @splitedge/node's http/spec.ts): request schemas
 * the server checks bodies with, the answer's shape and an example each. `/openapi.json` is built
 * from this table, and the server refuses to start with a route missing from it.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { uiRoutes, type RouteSpec } from '@splitedge/node'

const PEER = '12D3KooWGzL6a8vDgH7Sxk3N3H6b2sR9ZwV3gkq3tWn1yY7mJp4E'
const DOC = 'bafyreiaqt6vjzxhkq3nhq7w2n5dbz2u7o4g6y3wqk5l6h2yb4d3xq7e2ma'
const Str = Type.String()
const Int = Type.Integer()
const Obj = (props: Record<string, TSchema>): TSchema => Type.Object(props, { additionalProperties: true })
const Base64 = Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'base64 of a signed document' })
const Role = Type.Union([Type.Literal('sender'), Type.Literal('receiver')])

export const QuoteRequestSchema = Type.Object({
  ends: Type.Array(Type.Object({ operator: Type.String({ minLength: 1, description: 'the operator\'s PeerId' }), role: Role }, { additionalProperties: false }), { minItems: 2, maxItems: 16 }),
  class: Type.String({ minLength: 1 }),
  volume: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' }),
  apportion: Type.Union([
    Type.Object({ kind: Type.Literal('sender-pays') }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('receiver-pays') }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('shares'), shares: Type.Record(Str, Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' })) }, { additionalProperties: false })
  ])
}, { additionalProperties: false })

export const ReceiptRequestSchema = Type.Object({
  receipt: Base64,
  role: Role,
  remote: Type.String({ minLength: 1, description: 'the remote operator\'s PeerId' }),
  consent: Type.Optional(Base64),
  dispute: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'why the remote end did not consent (sender liable)' }))
}, { additionalProperties: false })

export const QuoteListQuerySchema = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', description: 'quotes per page (default 50, at most 1000)' })),
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'the X-Next-Cursor of the previous page' }))
}, { additionalProperties: false })
const IssuedQuote = Type.Object({
  seq: Int, id: Str, issued: Int, expires: Int, class: Str, volume: Str, apportion: Str,
  ends: Type.Array(Type.Object({ name: Str, peerId: Str, role: Role })),
  charges: Type.Array(Type.Object({ operator: Str, payer: Str, amount: Str })),
  total: Str, margin: Str, currency: Str,
  status: Type.Union([Type.Literal('open'), Type.Literal('expired'), Type.Literal('used')], { description: 'used: a receipt between its operators, of its class, was cleared while it was valid' }),
  receipt: Type.Union([Str, Type.Null()], { description: 'the receipt that used it' })
})
const Balance = Obj({ account: Str, currency: Str, debits: Str, credits: Str, net: Str })
const Receipt = Obj({ receipt: Str, local: Str, remote: Str, role: Str, class: Str, volume: Str, charge: Str, margin: Str, periodStart: Int, evidence: Str })
const Statement = Obj({ operator: Str, peerId: Str, id: Str, period: Type.Object({ start: Int, end: Int }), currency: Str, net: Str, lines: Type.Array(Type.Unknown()), signers: Type.Array(Str) })

export function clearerRouteSpecs (name: string): RouteSpec[] {
  return [
    ...uiRoutes(`splitedge clearer ${name}`),
    { method: 'GET', path: '/health', summary: 'Liveness', access: 'public', response: Obj({ ok: Type.Boolean(), name: Str, peerId: Str, operators: Int, connected: Int }), example: { ok: true, name: 'clearer', peerId: PEER, operators: 2, connected: 2 } },
    { method: 'GET', path: '/metrics', summary: 'Prometheus metrics', access: 'public', response: Str, responseType: 'text/plain', example: '# TYPE splitedge_statements_total counter\n' },
    { method: 'GET', path: '/v1/operators', summary: 'The operators this clearer serves, connected or not', access: 'read', response: Type.Array(Obj({ name: Str, peerId: Str, connected: Type.Boolean() })), example: [{ name: 'edge-a', peerId: PEER, connected: true }] },
    { method: 'GET', path: '/v1/directory', summary: 'Clearers serving all of these operators', access: 'read', query: Type.Object({ operators: Type.Optional(Type.String({ description: 'comma-separated PeerIds' })) }), response: Type.Array(Type.Unknown()), example: [] },
    { method: 'POST', path: '/v1/quotes', summary: 'Quote an end-to-end price', access: 'write', writeAccess: 'open', body: QuoteRequestSchema, response: Obj({ quote: Type.Unknown(), total: Str, ends: Type.Array(Type.Unknown()) }), example: { quote: {}, doc: {}, total: '0.0031', ends: [], encoded: '' } },
    {
      method: 'GET', path: '/v1/quotes', summary: 'The quotes this clearer issued, newest first, a page at a time (X-Next-Cursor, Link), with expiry and the receipt that used each', access: 'read',
      query: QuoteListQuerySchema, response: Type.Array(IssuedQuote),
      example: [{ seq: 2, id: DOC, issued: 1795314600000, expires: 1795314900000, class: 'be', volume: '1000000', apportion: 'sender-pays', ends: [{ name: 'edge-a', peerId: PEER, role: 'sender' }, { name: 'edge-b', peerId: PEER, role: 'receiver' }], charges: [{ operator: 'edge-a', payer: 'edge-a', amount: '0.75' }, { operator: 'edge-b', payer: 'edge-a', amount: '1.5' }], total: '2.2725', margin: '0.0225', currency: 'EUR', status: 'used', receipt: DOC }]
    },
    { method: 'POST', path: '/v1/receipts', summary: 'Clear a receipt with the remote end\'s consent or a dispute', access: 'write', writeAccess: 'open', body: ReceiptRequestSchema, response: Obj({ status: Type.Literal('cleared'), receipt: Str }), example: { status: 'cleared', receipt: DOC, local: PEER, remote: PEER, role: 'receiver', class: 'be', volume: '1000000', localCharge: '1.5', share: '100', charge: '1.5', margin: '0.015', periodStart: 1795314600000, evidence: 'consent', reason: null } },
    { method: 'GET', path: '/v1/receipts', summary: 'Cleared receipts', access: 'read', response: Type.Array(Receipt), example: [{ receipt: DOC, local: 'edge-b', remote: 'edge-a', role: 'receiver', class: 'be', volume: '1000000', charge: '1.5', margin: '0.015', periodStart: 1795314600000, evidence: 'consent' }] },
    { method: 'GET', path: '/v1/evidence', summary: 'Evidence that a receipt was cleared and settled', access: 'read', query: Type.Object({ receipt: Type.String({ minLength: 1 }) }), response: Obj({ status: Type.Union([Type.Literal('cleared'), Type.Literal('settled')]), settled: Type.Boolean() }), example: { status: 'settled', settled: true, line: {}, statement: {}, signers: [PEER, PEER], doc: '' } },
    { method: 'GET', path: '/v1/statements', summary: 'Co-signed clearing statements', access: 'read', response: Type.Array(Statement), example: [{ operator: 'edge-a', peerId: PEER, id: DOC, period: { start: 1795314600000, end: 1795314610000 }, currency: 'EUR', net: '1.515', lines: [], signers: [PEER, PEER] }] },
    { method: 'GET', path: '/v1/ledger', summary: 'The clearer\'s balances and entries', access: 'read', response: Obj({ balances: Type.Array(Balance), entries: Type.Array(Type.Unknown()), check: Type.Unknown() }), example: { balances: [], entries: [], check: { ok: true } } },
    { method: 'GET', path: '/v1/audit', summary: 'Ledger and statement consistency', access: 'read', response: Obj({ ok: Type.Boolean(), problems: Type.Array(Str) }), example: { ok: true, problems: [] } },
    { method: 'GET', path: '/v1/tariffs', summary: 'Each served operator\'s tariff in force', access: 'read', response: Type.Array(Obj({ operator: Str, peerId: Str, inForce: Type.Unknown() })), example: [{ operator: 'edge-a', peerId: PEER, inForce: null }] },
    { method: 'POST', path: '/v1/settle', summary: 'Settle every closed period now', access: 'write', writeAccess: 'loopback', response: Type.Array(Obj({ operator: Str, start: Int, result: Str })), example: [{ operator: PEER, start: 1795314600000, result: 'settled' }] }
  ]
}
