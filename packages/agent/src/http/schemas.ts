/**
 * The agent's HTTP routes described as data (see spec.ts): the schemas requests are checked with
 * and the shape of every answer, with an example each. `/openapi.json` is built from this table.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import type { RouteSpec } from '@splitedge/node'
import { CSV_COLUMNS } from './csv.js'

const PEER = '12D3KooWGzL6a8vDgH7Sxk3N3H6b2sR9ZwV3gkq3tWn1yY7mJp4E'
const DOC = 'bafyreiaqt6vjzxhkq3nhq7w2n5dbz2u7o4g6y3wqk5l6h2yb4d3xq7e2ma'
const Str = Type.String()
const Int = Type.Integer()
const Dec = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'exact decimal as a string' })
const Obj = (props: Record<string, TSchema>): TSchema => Type.Object(props, { additionalProperties: true })
const Num = (description: string): TSchema => Type.String({ pattern: '^[0-9]{1,16}$', description })

/** `limit`, `cursor`, `neighbour`, `from`, `to` (body.ts `listQuery` checks their ranges). */
export const ListQuerySchema = Type.Object({
  limit: Type.Optional(Num('items per page (default 200, at most 1000)')),
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,1024}$', description: 'the X-Next-Cursor of the previous page' })),
  neighbour: Type.Optional(Type.String({ minLength: 1, description: 'a neighbour\'s name or PeerId' })),
  from: Type.Optional(Num('first period or interval start, ms')),
  to: Type.Optional(Num('end, ms (exclusive)'))
})

const UsageItemSchema = Type.Object({
  neighbour: Type.String({ description: 'a neighbour\'s name or PeerId' }),
  time: Type.Optional(Type.Integer({ minimum: 0, description: 'any time inside the interval, ms' })),
  intervalStart: Type.Optional(Type.Integer({ minimum: 0 })),
  class: Type.String({ description: 'class of service id, e.g. "be"' }),
  direction: Type.Optional(Type.Union([Type.Literal('in'), Type.Literal('out')])),
  volume: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', description: 'non-negative decimal string' })),
  messages: Type.Optional(Type.Integer({ minimum: 0 })),
  subject: Type.Optional(Type.Union([Type.Literal('self'), Type.Literal('neighbour')])),
  metric: Type.Optional(Type.String({ description: 'an SLA metric, e.g. delay_ms' })),
  value: Type.Optional(Type.String({ description: 'the measured value, a decimal string' })),
  id: Type.Optional(Type.String({ description: 'idempotency key of this item' }))
}, { additionalProperties: false, description: 'usage (direction + volume) or an SLA measurement (subject + metric + value)' })

/** One item or a list of up to 4,096 (the intake checks counts, intervals and classes). */
export const UsagePushSchema = Type.Union([UsageItemSchema, Type.Array(UsageItemSchema)])
export { UsageItemSchema }

const CorrectedLine = Type.Object({
  class: Str,
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  volume: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' }),
  messages: Type.Optional(Type.Integer({ minimum: 0 }))
}, { additionalProperties: false })

export const ReviseSchema = Type.Union([
  Type.Object({ neighbour: Str, intervalStart: Type.Integer({ minimum: 0 }), accept: Type.Literal(true) }, { additionalProperties: false, description: 'adopt the neighbour\'s figures' }),
  Type.Object({ neighbour: Str, intervalStart: Type.Integer({ minimum: 0 }), lines: Type.Array(CorrectedLine, { maxItems: 4096 }) }, { additionalProperties: false, description: 'corrected absolute figures' })
])

export const DiscardSchema = Type.Object({
  neighbour: Str,
  intervalStart: Type.Integer({ minimum: 0 }),
  classes: Type.Optional(Type.Array(Str))
}, { additionalProperties: false })

const Problem = Obj({ kind: Str, message: Str })
export const HealthSchema = Type.Object({ ok: Type.Boolean(), status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]), name: Str, peerId: Str, neighboursConnected: Int, neighbours: Int, problems: Type.Array(Problem) })
const TariffRef = Type.Union([Type.Null(), Obj({ seq: Int, id: Str, effective: Int })])
export const NeighbourSchema = Obj({ name: Str, peerId: Str, status: Str, connected: Type.Boolean(), since: Int, pendingIntervals: Int, tariff: TariffRef })
export const TariffSchema = Obj({ issuer: Str, peerId: Str, seq: Int, id: Str, published: Int, effective: Int, pricing: Type.Unknown() })
const Line = Obj({ class: Str, from: Str, to: Str, volume: Str })
export const AttestationSchema = Obj({ neighbour: Str, intervalStart: Int, id: Str, lines: Type.Array(Line), metrics: Type.Array(Type.Unknown()), signers: Type.Array(Str) })
export const DisputeSchema = Obj({ kind: Str, border: Str, key: Str, neighbour: Str, status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]), opened: Int, detail: Type.Unknown() })
const OrNull = (t: TSchema): TSchema => Type.Union([t, Type.Null()])
const AppliedSide = OrNull(Type.Object({
  network: Str, peerId: Str, tariff: OrNull(Str), version: OrNull(Int), class: OrNull(Str),
  weight: OrNull(Str), weightKind: OrNull(Type.Union([Type.Literal('send'), Type.Literal('receive')])),
  price: OrNull(Str), factor: Str, charge: OrNull(Str)
}, { description: 'what one side\'s tariff version applied: weight, price (per unit, per message, or the period fee), SLA factor, and the exact charge volume × weight × price × factor' }))
const Applied = Type.Object({ to: AppliedSide, from: AppliedSide }, { description: 'amount = to.charge − from.charge, rounded once' })
const StatementLine = Obj({ kind: Str, class: Type.Union([Str, Type.Null()]), from: Str, to: Str, volume: Str, tariffs: Type.Record(Str, Str), factors: Type.Record(Str, Str), amount: Dec, applied: Type.Optional(Applied) })
const Period = Type.Object({ start: Int, end: Int })
export const StatementSchema = Obj({ neighbour: Str, id: Str, period: Period, currency: Str, net: Dec, payer: Str, payee: Str, amount: Dec, lines: Type.Array(StatementLine), attestations: Int })
const Balance = Obj({ account: Str, currency: Str, debits: Dec, credits: Dec, net: Dec })
export const LedgerSchema = Obj({ balances: Type.Array(Balance), entries: Type.Array(Obj({ id: Str, debit: Str, credit: Str, amount: Dec, currency: Str, time: Int })), check: Type.Unknown() })
export const BrokerageSchema = Obj({ periodStart: Int })
export const UsageViewSchema = Obj({ neighbour: Str, intervalStart: Int, state: Type.Union([Type.Literal('open'), Type.Literal('closed')]), lines: Type.Array(Obj({ class: Str, direction: Str, volume: Str })), metrics: Type.Array(Type.Unknown()) })
const ReviseAnswer = Obj({ neighbour: Str, intervalStart: Int, report: Str, revision: Int, lines: Type.Array(Line) })

const list = (item: TSchema): TSchema => Type.Array(item)
const line = { class: 'be', from: 'edge-a', to: 'transit-1', volume: '998373' }
const stLine = {
  kind: 'usage', class: 'be', from: 'edge-a', to: 'transit-1', volume: '998373', tariffs: { [PEER]: DOC }, factors: { [PEER]: '1' }, amount: '1.247966',
  applied: {
    to: { network: 'transit-1', peerId: PEER, tariff: DOC, version: 1, class: 'be', weight: '2', weightKind: 'send', price: '0.000001', factor: '1', charge: '1.996746' },
    from: { network: 'edge-a', peerId: PEER, tariff: DOC, version: 1, class: 'be', weight: '0.5', weightKind: 'receive', price: '0.0000015', factor: '1', charge: '0.74877975' }
  }
}

/** The agent's routes apart from the dashboard and the OpenAPI document itself (see api.ts). */
export const AGENT_ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/health', summary: 'Liveness, and the problems an operator must act on', access: 'public', response: HealthSchema, example: { ok: true, status: 'ok', name: 'edge-a', peerId: PEER, neighboursConnected: 1, neighbours: 1, problems: [] } },
  { method: 'GET', path: '/metrics', summary: 'Prometheus metrics', access: 'public', response: Str, responseType: 'text/plain', example: '# TYPE splitedge_statements_total counter\nsplitedge_statements_total 4\n' },
  { method: 'GET', path: '/v1/neighbours', summary: 'Each configured neighbour: connection, first interval, pending intervals, tariff in force', access: 'read', response: list(NeighbourSchema), example: [{ name: 'transit-1', peerId: PEER, status: 'transit', connected: true, since: 1795314648000, pendingIntervals: 0, tariff: { seq: 1, id: DOC, effective: 1795314600000 }, clock: null }] },
  { method: 'GET', path: '/v1/tariffs', summary: 'Every tariff version of ours and of our neighbours', access: 'read', query: ListQuerySchema, response: list(TariffSchema), example: [{ issuer: 'edge-a', peerId: PEER, seq: 1, id: DOC, published: 1795314600000, effective: 1795314600000, pricing: {} }] },
  { method: 'GET', path: '/v1/attestations', summary: 'Co-signed usage attestations, a page at a time', access: 'read', query: ListQuerySchema, response: list(AttestationSchema), example: [{ neighbour: 'transit-1', intervalStart: 1795314648000, id: DOC, lines: [line], metrics: [], signers: [PEER, PEER] }] },
  { method: 'GET', path: '/v1/disputes', summary: 'Open and resolved disputes', access: 'read', query: ListQuerySchema, response: list(DisputeSchema), example: [{ kind: 'usage', border: `${PEER}|${PEER}`, key: '0001795314648000', neighbour: 'transit-1', status: 'open', opened: 1795314650000, detail: {} }] },
  { method: 'GET', path: '/v1/statements', summary: 'Co-signed settlement statements, line by line', access: 'read', query: ListQuerySchema, response: list(StatementSchema), example: [{ neighbour: 'transit-1', id: DOC, period: { start: 1795314648000, end: 1795314654000 }, currency: 'EUR', net: '1.247966', payer: 'edge-a', payee: 'transit-1', amount: '1.247966', lines: [stLine], attestations: 3 }] },
  { method: 'GET', path: '/v1/statements.csv', summary: 'Every statement line in the range as CSV for a billing system; `net_to_us` sums to the ledger', access: 'read', query: ListQuerySchema, response: Str, responseType: 'text/csv', example: `${CSV_COLUMNS.join(',')}\n` },
  { method: 'GET', path: '/v1/export/statements.ndjson', summary: 'Every statement in the range as JSON lines', access: 'read', query: ListQuerySchema, response: Str, responseType: 'application/x-ndjson', example: '{"neighbour":"transit-1","id":"…"}\n' },
  { method: 'GET', path: '/v1/brokerage', summary: 'Per period and class: charged to originators, paid to terminators, retained, SLA factors', access: 'read', query: ListQuerySchema, response: list(BrokerageSchema), example: [{ periodStart: 1795314648000, self: 'edge-a', currency: 'EUR', decimals: 6, classes: [], periodFees: { charged: '0', paid: '0', retained: '0' } }] },
  { method: 'GET', path: '/v1/ledger', summary: 'Double-entry balances per account and the entries (paged)', access: 'read', query: ListQuerySchema, response: LedgerSchema, example: { balances: [{ account: `neighbour:${PEER}`, currency: 'EUR', debits: '0', credits: '2.362151', net: '-2.362151' }], entries: [{ id: DOC, debit: 'interconnect:expense', credit: `neighbour:${PEER}`, amount: '2.362151', currency: 'EUR', decimals: 6, ref: 'statement', time: 1795314654000, seq: 0 }], check: { ok: true } } },
  { method: 'GET', path: '/v1/counters', summary: 'Protocol message and byte counters of the libp2p node', access: 'read', response: Type.Record(Str, Type.Unknown()), example: { requestResponse: {}, gossip: {} } },
  { method: 'GET', path: '/v1/usage', summary: 'The counters stored for one interval', access: 'read', query: Type.Object({ neighbour: Type.String({ minLength: 1 }), interval: Num('the interval start, ms') }), response: UsageViewSchema, example: { neighbour: 'transit-1', intervalStart: 1795314648000, state: 'open', version: 3, lines: [{ class: 'be', direction: 'out', volume: '1500000' }], metrics: [] } },
  { method: 'POST', path: '/v1/usage', summary: 'Push counters (2xx: counted exactly once)', access: 'write', writeAccess: 'open', body: UsagePushSchema, response: Obj({ accepted: Int, duplicates: Int }), example: { accepted: 1, duplicates: 0 } },
  { method: 'POST', path: '/v1/usage/discard', summary: 'Discard an open interval\'s counters', access: 'write', writeAccess: 'loopback', body: DiscardSchema, response: Obj({ neighbour: Str, intervalStart: Int, discarded: Int, reopened: Type.Boolean() }), example: { neighbour: 'transit-1', intervalStart: 1795314648000, discarded: 2, reopened: false } },
  { method: 'POST', path: '/v1/tariff', summary: 'Sign and publish a tariff (the YAML file in the body)', access: 'write', writeAccess: 'loopback', body: Type.String({ description: 'tariff YAML, as in docs/pricing.md' }), bodyType: 'application/yaml', response: Obj({ id: Str, seq: Int, status: Type.Union([Type.Literal('published'), Type.Literal('unchanged')]) }), example: { id: DOC, seq: 2, status: 'published' } },
  { method: 'POST', path: '/v1/disputes/revise', summary: 'Revise our figures of a disputed interval (accept the neighbour\'s, or corrected ones)', access: 'write', writeAccess: 'loopback', body: ReviseSchema, response: ReviseAnswer, example: { neighbour: 'transit-1', intervalStart: 1795314648000, report: DOC, revision: 1, lines: [line], metrics: [] } }
]
