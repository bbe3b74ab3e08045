/**
 * JSON views of the agent's state for operators and tests, named by neighbour where possible.
 * Lists come a page at a time (see body.ts `listQuery`): the store is read for one page, never
 * whole, so a view's cost does not grow with the history an agent has kept.
 */
import { decodeDocument, type SettlementStatementBody } from '@splitedge/wire'
import { borderOf, fromMinorUnits, peersOf, type StatementRecord } from '@splitedge/store'
import { brokerageView, isModelError, type Statement } from '@splitedge/model'
import type { AgentSurface as Agent } from './surface.js'
import { UsageError } from '../usage/push.js'
import { pageOf, type ListQuery } from '@splitedge/node'
import { explainLine, type AppliedLine, type TariffVersion } from './statement-lines.js'

export interface Paged<T> { items: T[], next?: string }

export class Views {
  constructor (private readonly agent: Agent) {}
  private get ctx () { return this.agent.ctx }
  name (peer: string): string { return peer === this.ctx.identity.peerId ? this.ctx.config.name : this.ctx.neighbours.get(peer)?.name ?? peer }
  private other (border: string): string { const [a, b] = peersOf(border); return a === this.ctx.identity.peerId ? b : a }

  /** The border a `neighbour` filter names, or undefined for all; 400 for a stranger. */
  private borderOf (neighbour: string | undefined): string | undefined {
    if (neighbour === undefined) return undefined
    return borderOf(this.ctx.identity.peerId, this.agent.usage.resolvePeer(neighbour, 'neighbour'))
  }

  async neighbours (): Promise<unknown[]> {
    const connected = new Set(this.agent.connected())
    return await Promise.all([...this.ctx.neighbours.values()].map(async n => {
      const t = await this.agent.view.latest(n.peerId)
      return {
        name: n.name, peerId: n.peerId, status: n.status, connected: connected.has(n.peerId),
        since: await this.agent.border.since(n.peerId),
        pendingIntervals: (await this.agent.border.pending(n.peerId)).length,
        tariff: t === undefined ? null : { seq: t.seq, id: t.id, effective: t.body.effective },
        clock: this.agent.clock.offsetOf(n.peerId) ?? null
      }
    }))
  }

  async tariffs (q: ListQuery): Promise<Paged<unknown>> {
    const out = []
    for (const issuer of [this.ctx.identity.peerId, ...this.ctx.neighbours.keys()]) {
      if (q.neighbour !== undefined && issuer !== this.agent.usage.resolvePeer(q.neighbour, 'neighbour') && q.neighbour !== this.ctx.config.name) continue
      for (const rec of await this.ctx.store.tariffsOf(issuer)) {
        const t = await this.agent.view.byId(rec.id)
        if (t !== undefined) out.push({ issuer: this.name(issuer), peerId: issuer, seq: t.seq, id: t.id, published: t.body.published, effective: t.body.effective, pricing: t.pricing })
      }
    }
    return pageOf(out, q)
  }

  async attestations (q: ListQuery): Promise<Paged<unknown>> {
    const page = await this.ctx.store.pageAttestations({ ...q, border: this.borderOf(q.neighbour) })
    const items = []
    for (const a of page.items) {
      const d = decodeDocument(a.bytes, 'usage-attestation')
      if (!d.ok) continue
      items.push({ neighbour: this.name(this.other(a.border)), intervalStart: a.intervalStart, id: a.id, lines: d.value.body.lines, metrics: d.value.body.metrics, signers: d.value.sigs.map(s => s.signer) })
    }
    return withNext(items, page.next)
  }

  async disputes (q: ListQuery): Promise<Paged<unknown>> {
    const all = (await this.ctx.store.listDisputes(this.borderOf(q.neighbour))).map(d => ({ ...d, neighbour: this.name(this.other(d.border)) }))
    return pageOf(all, q)
  }

  /** Co-signed statements, decoded, with who pays whom. */
  async statementDocs (q: ListQuery): Promise<Paged<{ neighbour: string, peerId: string, id: string, body: SettlementStatementBody }>> {
    const page = await this.ctx.store.pageStatements({ ...q, border: this.borderOf(q.neighbour) })
    return withNext(decodeStatements(page.items, b => this.other(b), p => this.name(p)), page.next)
  }

  /** Each line of these statements explained from the tariff versions it names (statement-lines.ts). */
  async explainLines (statements: Array<{ body: SettlementStatementBody }>): Promise<AppliedLine[][]> {
    const versions = new Map<string, TariffVersion | undefined>()
    for (const id of new Set(statements.flatMap(s => s.body.lines.flatMap(l => Object.values(l.tariffs))))) {
      const t = await this.agent.view.byId(id)
      versions.set(id, t === undefined ? undefined : { seq: t.seq, pricing: t.pricing })
    }
    return statements.map(s => s.body.lines.map(l => explainLine(l, id => versions.get(id), p => this.name(p))))
  }

  async statements (q: ListQuery): Promise<Paged<unknown>> {
    const page = await this.statementDocs(q)
    const applied = await this.explainLines(page.items)
    return withNext(page.items.map((s, i) => {
      const [a, b] = s.body.border
      const net = s.body.net
      const payer = net.startsWith('-') ? b : a
      const payee = payer === a ? b : a
      return {
        neighbour: s.neighbour, id: s.id, period: s.body.period, currency: s.body.currency,
        net: s.body.net, payer: this.name(payer), payee: this.name(payee), amount: net.replace(/^-/, ''),
        lines: s.body.lines.map((l, j) => ({ ...l, from: this.name(l.from), to: this.name(l.to), applied: applied[i]?.[j] ?? { to: null, from: null } })),
        attestations: s.body.attestations.length
      }
    }), page.next)
  }

  async ledger (q: ListQuery): Promise<{ balances: unknown[], entries: unknown[], check: unknown, next?: string }> {
    const balances = (await this.ctx.store.balances()).map(b => ({
      account: b.account, currency: b.currency, debits: fromMinorUnits(b.debits, b.decimals), credits: fromMinorUnits(b.credits, b.decimals), net: fromMinorUnits(b.net, b.decimals)
    }))
    const entries = pageOf((await this.ctx.store.entries()).map(e => ({ ...e, amount: fromMinorUnits(e.amount, e.decimals) })), q)
    return { balances, entries: entries.items, check: await this.ctx.store.checkLedger(), ...(entries.next !== undefined ? { next: entries.next } : {}) }
  }

  /**
   * The brokerage view per period: what originators were charged, terminators paid, and retained.
   * A page holds up to `limit` periods from every border; the cursor is the next period's start.
   */
  async brokerage (q: ListQuery): Promise<Paged<unknown>> {
    const from = Math.max(q.from ?? 0, q.after === undefined ? 0 : Number(q.after))
    if (!Number.isSafeInteger(from)) throw new UsageError('invalid', 'cursor', 'not a cursor from a previous page')
    const byPeriod = new Map<number, Statement[]>()
    for (const peer of this.ctx.neighbours.keys()) {
      const page = await this.ctx.store.pageStatements({ border: borderOf(this.ctx.identity.peerId, peer), from, ...(q.to !== undefined ? { to: q.to } : {}), limit: q.limit + 1 })
      for (const s of decodeStatements(page.items, b => this.other(b), p => this.name(p))) {
        const list = byPeriod.get(s.body.period.start) ?? []
        list.push({ currency: s.body.currency, decimals: s.body.decimals, lines: s.body.lines.map(l => ({ ...l, kind: l.kind as Statement['lines'][number]['kind'] })), net: s.body.net })
        byPeriod.set(s.body.period.start, list)
      }
    }
    const periods = [...byPeriod.keys()].sort((x, y) => x - y)
    const out = periods.slice(0, q.limit).map(start => this.brokerageOf(start, byPeriod.get(start) ?? []))
    const following = periods[q.limit]
    return following === undefined ? { items: out } : { items: out, next: String(following) }
  }

  private brokerageOf (start: number, sts: Statement[]): unknown {
    try {
      const v = brokerageView(this.ctx.identity.peerId, sts)
      return { periodStart: start, ...v, self: this.ctx.config.name, classes: v.classes.map(c => ({ ...c, factors: Object.fromEntries(Object.entries(c.factors).map(([k, f]) => [this.name(k), f])) })) }
    } catch (err) {
      if (!isModelError(err)) throw err
      return { periodStart: start, error: (err as Error).message }
    }
  }
}

function withNext<T> (items: T[], next: string | undefined): Paged<T> {
  return next === undefined ? { items } : { items, next }
}

function decodeStatements (recs: StatementRecord[], other: (border: string) => string, name: (peer: string) => string): Array<{ neighbour: string, peerId: string, id: string, body: SettlementStatementBody }> {
  const out = []
  for (const s of recs) {
    const d = decodeDocument(s.bytes, 'settlement-statement')
    if (!d.ok) continue
    const peer = other(s.border)
    out.push({ neighbour: name(peer), peerId: peer, id: s.id, body: d.value.body })
  }
  return out
}
