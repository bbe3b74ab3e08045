/**
 * The border protocol's checks (docs/protocol.md 8.3): a neighbour's report and a co-signed
 * attestation for our border, the attestation both sides compute from the two reports, whether we
 * can settle an interval at all, and the refusals, counted and logged at a bounded rate.
 */
import {
  checkAttestationParties, checkReportTime, decodeDocument, docId, verifyDocument,
  type Refusal, type UsageAttestation, type UsageAttestationBody, type UsageReport
} from '@splitedge/wire'
import { HandlerError } from '@splitedge/node'
import { borderOf } from '@splitedge/store'
import type { PricingTariff } from '@splitedge/model'
import { sortedPair } from '../context.js'
import { attestationBodyOf, metricRulesFrom, reconcile, type Reconciled } from './reconcile.js'
import { compareDecimal } from './decimal.js'
import type { BorderComponents } from './components.js'
import { closesAt } from './interval.js'

/** A refused request or answer; as a HandlerError its reason goes back to the peer in the error frame. */
export class ProtocolRefusal extends HandlerError {
  constructor (readonly reason: Refusal, message: string) { super(message) }
}

/** Why we cannot settle an interval yet, or ever; undefined when we can. */
export type Eligibility = { k: 'declined' | 'not-ready', reason: string } | undefined

type Line = { class: string, from: string, to: string, volume: string }

export class BorderChecks {
  constructor (private readonly c: BorderComponents, private readonly since: (peer: string) => Promise<number>) {}

  get me (): string { return this.c.identity.peerId }

  border (peer: string): string { return borderOf(this.me, peer) }

  nameOf (peer: string): string { return this.c.neighbours.get(peer)?.name ?? peer }

  /** Count every refusal; log it at most once a minute per neighbour and reason (a skewed clock repeats one often). */
  refuse (peer: string, kind: string, reason: Refusal, message: string): ProtocolRefusal {
    this.c.metrics.rejected.inc({ kind, reason })
    if (this.c.skew.shouldLog(`refused:${peer}:${kind}:${reason}`)) this.c.log.warn({ peer: this.nameOf(peer), kind, reason }, `rejected: ${message}`)
    return new ProtocolRefusal(reason, `${reason}: ${message}`)
  }

  /** A document we stored ourselves. */
  decode<T extends 'usage-report' | 'usage-attestation'> (bytes: Uint8Array, type: T) {
    const d = decodeDocument(bytes, type)
    if (!d.ok) throw new Error(`stored ${type} does not decode: ${d.error.message}`)
    return d.value
  }

  /** Check a neighbour's report for this border; throws ProtocolRefusal with a reason. */
  peerReport (bytes: Uint8Array, peer: string, start?: number): UsageReport {
    const { config } = this.c
    const d = decodeDocument(bytes, 'usage-report')
    if (!d.ok) throw this.refuse(peer, 'usage-report', d.error.code, d.error.message)
    const doc = d.value
    const v = verifyDocument(doc)
    if (!v.ok) throw this.refuse(peer, 'usage-report', v.error.code, v.error.message)
    if (doc.body.reporter !== peer) throw this.refuse(peer, 'usage-report', 'wrong-reporter', `report signed by ${doc.body.reporter}, not the sending neighbour`)
    const [a, b] = sortedPair(this.me, peer)
    if (doc.body.border[0] !== a || doc.body.border[1] !== b) throw this.refuse(peer, 'usage-report', 'wrong-parties', 'report is not for our border')
    const { start: s, length } = doc.body.interval
    if (length !== config.intervalMs || s % length !== 0) throw this.refuse(peer, 'usage-report', 'interval-mismatch', `interval ${s}+${length} is not one of ours (${config.intervalMs} ms)`)
    if (start !== undefined && s !== start) throw this.refuse(peer, 'usage-report', 'interval-mismatch', `report for ${s}, expected ${start}`)
    const t = checkReportTime(doc.body.interval, this.c.clock.now(), config.clockSkewMs)
    if (!t.ok) throw this.refuse(peer, 'usage-report', t.reason, t.message)
    for (const l of [...doc.body.lines]) {
      if (!((l.from === a && l.to === b) || (l.from === b && l.to === a))) throw this.refuse(peer, 'usage-report', 'wrong-parties', 'a line is not between the border\'s two networks')
    }
    return doc
  }

  /** Check a co-signed attestation for our border with `peer`. */
  attestation (bytes: Uint8Array, peer: string): UsageAttestation {
    const d = decodeDocument(bytes, 'usage-attestation')
    if (!d.ok) throw this.refuse(peer, 'usage-attestation', d.error.code, d.error.message)
    const parties = checkAttestationParties(d.value, [this.me, peer])
    if (!parties.ok) throw this.refuse(peer, 'usage-attestation', parties.reason, parties.message)
    const v = verifyDocument(d.value)
    if (!v.ok) throw this.refuse(peer, 'usage-attestation', v.error.code, v.error.message)
    const { start, length } = d.value.body.interval
    if (length !== this.c.config.intervalMs || start % length !== 0) throw this.refuse(peer, 'usage-attestation', 'interval-mismatch', 'not one of our intervals')
    return d.value
  }

  /** The attestation both sides must compute from the two reports. */
  attestationBody (mine: UsageReport, theirs: UsageReport, tolerance: string, r: Reconciled & { ok: true }): UsageAttestationBody {
    const [first, second] = mine.body.border[0] === this.me ? [mine, theirs] : [theirs, mine]
    return attestationBodyOf(first, second, tolerance, r)
  }

  /**
   * Reconcile the two reports under the SLA rules of both tariffs in force for the interval (which
   * way a metric is worse, whether a self-report counts), so both sides attest the same figures.
   */
  async reconcile (mine: UsageReport, theirs: UsageReport, tolerance: string): Promise<Reconciled & { oursFirst: boolean }> {
    const [x, y] = mine.body.border[0] === this.me ? [mine, theirs] : [theirs, mine]
    const fig = (r: UsageReport) => ({
      reporter: r.body.reporter,
      lines: r.body.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) })),
      metrics: r.body.metrics.map(m => ({ ...m }))
    })
    const start = mine.body.interval.start
    const pricing: Record<string, PricingTariff> = {}
    for (const p of [mine.body.reporter, theirs.body.reporter]) {
      const t = await this.c.view.inForce(p, start)
      if (t !== undefined) pricing[p] = t.pricing
    }
    const r = reconcile(fig(x), fig(y), tolerance, metricRulesFrom(pricing))
    // DEFECT (simulator only): attest the higher figure of each line instead of the lower.
    if (r.ok && this.c.defects.has('attest-higher')) r.lines = r.lines.map(l => ({ ...l, volume: higherOf(l, mine.body.lines, theirs.body.lines) }))
    return { ...r, oursFirst: x === mine }
  }

  /** The lower of our tolerance with `peer` and the one it sent. */
  toleranceWith (peer: string, theirs: string): string {
    const mine = this.tolerance(peer)
    return compareDecimal(mine, theirs) <= 0 ? mine : theirs
  }

  tolerance (peer: string): string { return this.c.neighbours.get(peer)?.tolerance ?? '0' }

  /** Can we settle this interval with `peer`? `undefined` = yes; otherwise why not. */
  async eligibility (peer: string, start: number): Promise<Eligibility> {
    if (start < await this.since(peer)) return { k: 'declined', reason: 'interval before this agent started settling the border' }
    const mine = await this.c.view.inForce(this.me, start)
    if (mine === undefined) return { k: 'declined', reason: 'no tariff of ours in force for the interval' }
    const theirs = await this.c.view.inForce(peer, start)
    if (theirs === undefined) {
      // Before the neighbour's very first version took effect nothing can ever be priced (its
      // own side declines it too); waiting would block the border's settlement for good.
      if (await this.beforeFirstTariff(peer, start)) return { k: 'declined', reason: 'no tariff of the neighbour in force for the interval' }
      void this.c.tariffs.sync(peer)
      return { k: 'not-ready', reason: 'neighbour tariff in force not known yet' }
    }
    if (closesAt(start, this.c.config) > this.c.clock.now()) return { k: 'not-ready', reason: 'interval not closed here yet' }
    return undefined
  }

  /** Do we hold `peer`'s first tariff version (no previous), effective after `start`? */
  private async beforeFirstTariff (peer: string, start: number): Promise<boolean> {
    const first = (await this.c.store.tariffsOf(peer))[0]
    if (first === undefined || first.effective <= start) return false
    return (await this.c.view.byId(first.id))?.body.previous === null
  }
}

/** The higher of the two reports' volumes for a line (the simulator's attest-higher defect). */
function higherOf (l: Line, a: readonly Line[], b: readonly Line[]): string {
  const vs = [...a, ...b].filter(x => x.class === l.class && x.from === l.from && x.to === l.to).map(x => x.volume)
  return vs.reduce((m, v) => compareDecimal(v, m) > 0 ? v : m, l.volume)
}
