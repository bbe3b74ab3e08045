/**
 * The views the dashboard needs beyond the plain lists: one overview row per border, the status of
 * each interval of a border, and both signed reports of an interval side by side. Each reads only
 * what one screen shows (the current period, a bounded range of intervals).
 */
import { Type } from '@sinclair/typebox'
import { decodeDocument } from '@splitedge/wire'
import { borderOf, fromMinorUnits } from '@splitedge/store'
import type { AgentSurface as Agent } from './surface.js'
import { HttpError } from './errors.js'
import type { RouteSpec } from '@splitedge/node'
import type { Views } from './views.js'

const MAX_INTERVALS = 500
const key = (start: number): string => String(start).padStart(16, '0')

export class DashboardViews {
  constructor (private readonly agent: Agent, private readonly views: Views) {}
  private get ctx () { return this.agent.ctx }

  /** One row per neighbour: what an operator looks at first, with the problems named. */
  async overview (): Promise<unknown> {
    const { intervalMs, periodIntervals } = this.ctx.config
    const len = intervalMs * periodIntervals
    const now = this.ctx.now()
    const period = { start: Math.floor(now / len) * len, end: Math.floor(now / len) * len + len }
    const connected = new Set(this.agent.connected())
    const rows = []
    for (const n of this.ctx.neighbours.values()) {
      const border = borderOf(this.ctx.identity.peerId, n.peerId)
      const last = await this.ctx.store.pageAttestations({ border, from: Math.max(0, now - 4 * len), limit: 1000 })
      const lastAttested = last.items.at(-1)?.intervalStart ?? null
      const pending = (await this.agent.border.pending(n.peerId)).map(p => p.start)
      const disputes = (await this.ctx.store.listDisputes(border, 'open')).length
      const balance = (await this.ctx.store.balances(`neighbour:${n.peerId}`)).find(b => b.account === `neighbour:${n.peerId}`)
      const running = await this.running(n.peerId, period)
      const late = pending.filter(s => s + 2 * intervalMs + this.ctx.config.graceMs < now).length
      const problems = [
        ...(connected.has(n.peerId) ? [] : ['not connected']),
        ...(disputes > 0 ? [`${disputes} open dispute${disputes > 1 ? 's' : ''}`] : []),
        ...(late > 0 ? [`${late} interval${late > 1 ? 's' : ''} late`] : []),
        ...(this.agent.clock.problems().some(c => c.neighbour === n.name) ? ['clock skew'] : [])
      ]
      rows.push({
        name: n.name, peerId: n.peerId, status: n.status, connected: connected.has(n.peerId), lastAttested,
        pendingIntervals: pending.length, lateIntervals: late, openDisputes: disputes, period, runningNet: running.net, slaFactors: running.factors,
        balance: balance === undefined ? '0' : fromMinorUnits(balance.net, balance.decimals), currency: balance?.currency ?? running.currency, problems
      })
    }
    return { name: this.ctx.config.name, peerId: this.ctx.identity.peerId, now, intervalMs, periodIntervals, neighbours: rows }
  }

  /** What the current period would settle at from the attestations so far (our side: + is owed to us). */
  private async running (peer: string, p: { start: number, end: number }): Promise<{ net: string | null, currency: string | null, factors: Record<string, string[]> }> {
    let st
    try { st = await this.agent.settle.compute(peer, p) } catch { st = undefined }
    if (st === undefined) return { net: null, currency: null, factors: {} }
    const [a] = st.body.border
    const net = st.body.net
    const ours = a === this.ctx.identity.peerId ? (net.startsWith('-') ? net.slice(1) : net === '0' ? net : `-${net}`) : net
    const factors: Record<string, Set<string>> = {}
    for (const l of st.body.lines) {
      for (const [who, f] of Object.entries(l.factors)) (factors[`${l.class ?? '-'}/${this.views.name(who)}`] ??= new Set()).add(f)
    }
    return { net: ours, currency: st.body.currency, factors: Object.fromEntries(Object.entries(factors).map(([k, v]) => [k, [...v].sort()])) }
  }

  /** The status of each interval of a border in [from, to): attested, disputed, pending, late or open. */
  async intervals (neighbour: string, from: number, to: number): Promise<unknown[]> {
    const peer = this.agent.usage.resolvePeer(neighbour, 'neighbour')
    const { intervalMs, graceMs } = this.ctx.config
    const start = Math.floor(from / intervalMs) * intervalMs
    if ((to - start) / intervalMs > MAX_INTERVALS) throw new HttpError('invalid', `to: at most ${MAX_INTERVALS} intervals at a time`, 'to')
    const border = borderOf(this.ctx.identity.peerId, peer)
    const since = await this.agent.border.since(peer)
    const pending = new Set((await this.agent.border.pending(peer)).map(p => p.start))
    const attested = new Map((await this.ctx.store.listAttestations(border, start, to)).map(a => [a.intervalStart, a.id]))
    const disputes = new Map((await this.ctx.store.listDisputes(border)).filter(d => d.kind === 'usage').map(d => [d.key, d.status]))
    const now = this.ctx.now()
    const out = []
    for (let s = Math.max(start, since); s < to; s += intervalMs) {
      const d = disputes.get(key(s))
      const status = attested.has(s) ? 'attested' : d === 'open' ? 'disputed' : s + intervalMs > now ? 'open' : pending.has(s) ? (s + 2 * intervalMs + graceMs < now ? 'late' : 'pending') : 'skipped'
      out.push({ intervalStart: s, status, ...(attested.has(s) ? { attestation: attested.get(s) } : {}), ...(d !== undefined ? { dispute: d } : {}) })
    }
    return out
  }

  /** Both sides' current signed reports of one interval, decoded, named, with their ids. */
  async reports (neighbour: string, start: number): Promise<unknown> {
    const peer = this.agent.usage.resolvePeer(neighbour, 'neighbour')
    const border = borderOf(this.ctx.identity.peerId, peer)
    const one = async (reporter: string): Promise<unknown> => {
      const r = await this.ctx.store.getReport(border, start, reporter)
      if (r === undefined) return null
      const d = decodeDocument(r.bytes, 'usage-report')
      if (!d.ok) return null
      const b = d.value.body
      return { reporter: this.views.name(reporter), id: r.id, revision: b.revision ?? 0, lines: b.lines.map(l => ({ class: l.class, from: this.views.name(l.from), to: this.views.name(l.to), volume: l.volume })), metrics: b.metrics }
    }
    return { neighbour: this.views.name(peer), intervalStart: start, ours: await one(this.ctx.identity.peerId), theirs: await one(peer) }
  }
}

const PEER = '12D3KooWGzL6a8vDgH7Sxk3N3H6b2sR9ZwV3gkq3tWn1yY7mJp4E'
const Num = (d: string): ReturnType<typeof Type.String> => Type.String({ pattern: '^[0-9]{1,16}$', description: d })
const Report = Type.Union([Type.Null(), Type.Object({ reporter: Type.String(), id: Type.String(), revision: Type.Integer(), lines: Type.Array(Type.Object({ class: Type.String(), from: Type.String(), to: Type.String(), volume: Type.String() })), metrics: Type.Array(Type.Unknown()) })])
const Row = Type.Object({
  name: Type.String(), peerId: Type.String(), status: Type.String(), connected: Type.Boolean(), lastAttested: Type.Union([Type.Integer(), Type.Null()]),
  pendingIntervals: Type.Integer(), lateIntervals: Type.Integer(), openDisputes: Type.Integer(), period: Type.Object({ start: Type.Integer(), end: Type.Integer() }),
  runningNet: Type.Union([Type.String(), Type.Null()]), slaFactors: Type.Record(Type.String(), Type.Array(Type.String())), balance: Type.String(), currency: Type.Union([Type.String(), Type.Null()]), problems: Type.Array(Type.String())
})

export const DASHBOARD_ROUTES: RouteSpec[] = [
  {
    method: 'GET', path: '/v1/overview', summary: 'One row per border: connection, last attested interval, pending and late intervals, open disputes, running net, ledger balance, SLA factors, problems', access: 'read',
    response: Type.Object({ name: Type.String(), peerId: Type.String(), now: Type.Integer(), intervalMs: Type.Integer(), periodIntervals: Type.Integer(), neighbours: Type.Array(Row) }),
    example: { name: 'edge-a', peerId: PEER, now: 1795314650000, intervalMs: 2000, periodIntervals: 3, neighbours: [{ name: 'transit-1', peerId: PEER, status: 'transit', connected: true, lastAttested: 1795314646000, pendingIntervals: 1, lateIntervals: 0, openDisputes: 0, period: { start: 1795314648000, end: 1795314654000 }, runningNet: '-1.25', slaFactors: { 'be/transit-1': ['1'] }, balance: '-2.362151', currency: 'EUR', problems: [] }] }
  },
  {
    method: 'GET', path: '/v1/intervals', summary: 'Status of each interval of a border: attested, disputed, pending, late, open or skipped', access: 'read',
    query: Type.Object({ neighbour: Type.String({ minLength: 1 }), from: Num('first interval, ms'), to: Num('end, ms (exclusive); at most 500 intervals') }),
    response: Type.Array(Type.Object({ intervalStart: Type.Integer(), status: Type.Union(['attested', 'disputed', 'pending', 'late', 'open', 'skipped'].map(s => Type.Literal(s))), attestation: Type.Optional(Type.String()), dispute: Type.Optional(Type.String()) })),
    example: [{ intervalStart: 1795314648000, status: 'attested', attestation: 'bafyrei…' }, { intervalStart: 1795314650000, status: 'disputed', dispute: 'open' }]
  },
  {
    method: 'GET', path: '/v1/reports', summary: 'Both sides\' signed reports of one interval, side by side', access: 'read',
    query: Type.Object({ neighbour: Type.String({ minLength: 1 }), interval: Num('the interval start, ms') }),
    response: Type.Object({ neighbour: Type.String(), intervalStart: Type.Integer(), ours: Report, theirs: Report }),
    example: { neighbour: 'transit-1', intervalStart: 1795314648000, ours: { reporter: 'edge-a', id: 'bafyrei…', revision: 0, lines: [{ class: 'be', from: 'edge-a', to: 'transit-1', volume: '1000' }], metrics: [] }, theirs: null }
  }
]
