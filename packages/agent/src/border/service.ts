/**
 * The border protocol (docs/protocol.md): for each closed interval both sides exchange signed
 * UsageReports, reconcile them, and co-sign a UsageAttestation that both persist. Every step is
 * idempotent per (border, interval) and driven from the store's pending records, so a restart at any
 * point resumes the exchange.
 *
 * One exchange: the initiator sends its report; the responder answers with its own report and its
 * half of the attestation it computed (or the finished attestation if it holds one, or a dispute);
 * the initiator checks that it computes the very same attestation, adds its signature, stores it,
 * and delivers the co-signed document back.
 *
 * Disputes and revisions: figures beyond tolerance make both sides record a usage dispute, and the
 * interval is excluded from settlement while it is open (it counts as final, so the period settles
 * without it). An operator resolves it on its side with `revise`: a new report with a higher
 * `revision` (the neighbour's figures accepted, or corrected absolute figures) supersedes ours (the
 * old one is kept for audit), our dispute is marked resolved and the interval is pending again, in
 * one durable write. The neighbour, holding its dispute open, reconciles again when a report comes
 * with a revision above the one its dispute recorded: within tolerance the normal co-signing path
 * runs and its dispute is resolved in the write that stores the attestation; beyond, the dispute
 * stays open with the new differences (and ours is reopened). A revision only helps before the
 * period settles: statements are immutable, so `revise` refuses once the period is co-signed.
 */
import {
  checkAttestationParties, checkReportTime, decodeDocument, docId, encodeDocument, cosign, sign, verifyDocument,
  type UsageAttestation, type UsageAttestationBody, type UsageReport, type UsageReportBody
} from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { handle, request, HandlerError } from '../net/index.js'
import { BorderRequest, BorderResponse, MAX_FRAME_BYTES, PROTOCOLS, decodeFrame, encodeFrame } from '../protocol/frames.js'
import type { AgentContext } from '../context.js'
import { sortedPair } from '../context.js'
import { metricRulesFrom, reconcile, type Difference, type Reconciled } from './reconcile.js'
import { compareDecimal } from './decimal.js'
import type { UsageSource } from '../usage/source.js'
import type { ClockWatch } from '../clock/skew.js'
import type { MetricInput, UsageLineInput } from '../usage/types.js'
import type { PricingTariff } from '@splitedge/model'
import type { TariffService } from '../tariff/service.js'
import type { TariffView } from '../tariff/view.js'
import { periodOf } from '../clock/intervals.js'
import { lineKey, metricKey, withoutClasses } from '../usage/counters.js'
import { UsageError } from '../usage/push.js'
import { revisedBody, revisionOf, type ReviseInput, type ReviseOutcome } from './revise.js'

/** Our report for an interval cannot be signed; the interval was closed as disputed. */
export class Unreportable extends Error {}

export const pad = (n: number): string => String(n).padStart(16, '0')
const intervalKey = (peer: string, start: number): string => `${peer}:${pad(start)}`

/** A refused request or answer; as a HandlerError its reason goes back to the peer in the error frame. */
export class ProtocolRefusal extends HandlerError {
  constructor (readonly reason: string, message: string) { super(message) }
}

export class BorderService {
  private readonly reporting = new Map<string, Promise<{ doc: UsageReport, bytes: Uint8Array }>>()

  constructor (
    private readonly ctx: AgentContext,
    private readonly usage: UsageSource,
    private readonly tariffs: TariffService,
    private readonly view: TariffView,
    private readonly clock: ClockWatch
  ) {}

  async start (): Promise<void> {
    await this.ctx.net.handle(PROTOCOLS.border, async (bytes, peer) => await this.serve(bytes, peer), {
      maxRequestBytes: MAX_FRAME_BYTES.border,
      allow: (peer) => this.ctx.neighbours.has(peer),
      timeoutMs: 15_000
    })
  }

  /** First interval this agent settles with `peer` (fixed the first time the border is seen). */
  async since (peer: string): Promise<number> {
    const key = `since:${borderOf(this.ctx.identity.peerId, peer)}`
    const v = await this.ctx.store.getMeta(key)
    if (typeof v === 'number') return v
    const { intervalMs } = this.ctx.config
    const s = Math.ceil(this.ctx.now() / intervalMs) * intervalMs
    await this.ctx.store.putMeta(key, s)
    return s
  }

  /** Record every interval with `peer` that has closed since the last call as pending work. */
  async schedule (peer: string): Promise<void> {
    const { intervalMs, graceMs } = this.ctx.config
    const border = borderOf(this.ctx.identity.peerId, peer)
    const last = await this.ctx.store.getMeta(`scheduled:${border}`)
    let next = typeof last === 'number' ? last + intervalMs : await this.since(peer)
    const batch = this.ctx.store.batch()
    let any = false
    let n = 0
    while (next + intervalMs + graceMs <= this.ctx.now() && n < 10_000) {
      batch.putPending('interval', intervalKey(peer, next), { peer, start: next })
      any = true
      next += intervalMs
      n++
    }
    if (!any) return
    batch.putMeta(`scheduled:${border}`, next - intervalMs)
    await batch.write()
  }

  /** Last interval start scheduled with `peer`, or undefined. */
  async scheduledUpTo (peer: string): Promise<number | undefined> {
    const v = await this.ctx.store.getMeta(`scheduled:${borderOf(this.ctx.identity.peerId, peer)}`)
    return typeof v === 'number' ? v : undefined
  }

  /** Pending intervals, of one neighbour when `peer` is given: its own key range, not every border's (a hub asks once per neighbour per tick). */
  async pending (peer?: string): Promise<Array<{ peer: string, start: number }>> {
    const list = await this.ctx.store.listPending('interval', peer === undefined ? undefined : `${peer}:`)
    return list.map(p => p.value as { peer: string, start: number })
  }

  /**
   * Is this interval settled one way or another (attested, disputed or skipped)? An open usage
   * dispute counts as final on purpose: the disputed interval is excluded from the period's
   * settlement unless a revision resolves it first (which makes the interval pending again).
   */
  async isFinal (peer: string, start: number): Promise<boolean> {
    return (await this.ctx.store.getPending('interval', intervalKey(peer, start))) === undefined
  }

  /** Our signed report for an interval, created once from the usage source and then kept. */
  async ownReport (peer: string, start: number): Promise<{ doc: UsageReport, bytes: Uint8Array }> {
    const key = intervalKey(peer, start)
    const running = this.reporting.get(key)
    if (running !== undefined) return await running
    const p = this.makeReport(peer, start).finally(() => this.reporting.delete(key))
    this.reporting.set(key, p)
    return await p
  }

  private async makeReport (peer: string, start: number): Promise<{ doc: UsageReport, bytes: Uint8Array }> {
    const made = await this.usage.closeInto(peer, start,
      async (m) => await this.signReport(peer, start, m),
      (bytes) => { const doc = this.decode(bytes, 'usage-report'); return { doc, bytes, id: docId(doc) } })
    return { doc: made.doc, bytes: made.bytes }
  }

  /** Sign our report from measured figures; an interval whose report cannot be signed is closed as unreportable. */
  private async signReport (peer: string, start: number, m: { lines: UsageLineInput[], metrics: MetricInput[] }): Promise<{ doc: UsageReport, bytes: Uint8Array, id: string }> {
    const { ctx } = this
    const me = ctx.identity.peerId
    const body: UsageReportBody = {
      border: sortedPair(me, peer),
      reporter: me,
      interval: { start, length: ctx.config.intervalMs },
      lines: m.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) })),
      metrics: m.metrics
    }
    const signed = sign(ctx.identity, 'usage-report', body)
    if (!signed.ok) {
      await this.closeUnreportable(peer, start, signed.error.message)
      throw new Unreportable(`${signed.error.code}: ${signed.error.message}`)
    }
    return { doc: signed.value, bytes: encodeDocument(signed.value), id: docId(signed.value) }
  }

  /**
   * Our counters for an interval cannot be signed (counters stored before the intake checked its
   * limits): record a usage dispute saying why, close the interval so later intervals proceed, and
   * leave it to the operator (`splitedge usage discard` reopens it while the period is open).
   */
  private async closeUnreportable (peer: string, start: number, why: string): Promise<void> {
    const border = borderOf(this.ctx.identity.peerId, peer)
    const res = await this.ctx.store.batch()
      .putDispute({ kind: 'usage', border, key: pad(start), detail: { interval: start, reason: 'unreportable', message: `our report cannot be signed: ${why}` }, time: this.ctx.now() })
      .closeUsage(border, start, 'unreportable')
      .deletePending('interval', intervalKey(peer, start))
      .write()
    if (res.results.includes('created')) {
      this.ctx.metrics.disputes.inc({ kind: 'usage' })
      this.ctx.log.error({ peer: this.nameOf(peer), start, why }, 'our usage report for this interval cannot be signed: interval disputed and left out of settlement')
    }
  }

  private decode<T extends 'usage-report' | 'usage-attestation'> (bytes: Uint8Array, type: T) {
    const d = decodeDocument(bytes, type)
    if (!d.ok) throw new Error(`stored ${type} does not decode: ${d.error.message}`)
    return d.value
  }

  /** Check a neighbour's report for this border; throws ProtocolRefusal with a reason. */
  private checkPeerReport (bytes: Uint8Array, peer: string, start?: number): UsageReport {
    const { ctx } = this
    const d = decodeDocument(bytes, 'usage-report')
    if (!d.ok) throw this.refuse(peer, 'usage-report', d.error.code, d.error.message)
    const doc = d.value
    const v = verifyDocument(doc)
    if (!v.ok) throw this.refuse(peer, 'usage-report', v.error.code, v.error.message)
    if (doc.body.reporter !== peer) throw this.refuse(peer, 'usage-report', 'wrong-reporter', `report signed by ${doc.body.reporter}, not the sending neighbour`)
    const [a, b] = sortedPair(ctx.identity.peerId, peer)
    if (doc.body.border[0] !== a || doc.body.border[1] !== b) throw this.refuse(peer, 'usage-report', 'wrong-parties', 'report is not for our border')
    const { start: s, length } = doc.body.interval
    if (length !== ctx.config.intervalMs || s % length !== 0) throw this.refuse(peer, 'usage-report', 'interval-mismatch', `interval ${s}+${length} is not one of ours (${ctx.config.intervalMs} ms)`)
    if (start !== undefined && s !== start) throw this.refuse(peer, 'usage-report', 'interval-mismatch', `report for ${s}, expected ${start}`)
    const t = checkReportTime(doc.body.interval, ctx.now(), ctx.config.clockSkewMs)
    if (!t.ok) throw this.refuse(peer, 'usage-report', t.reason, t.message)
    for (const l of [...doc.body.lines]) {
      if (!((l.from === a && l.to === b) || (l.from === b && l.to === a))) throw this.refuse(peer, 'usage-report', 'wrong-parties', 'a line is not between the border\'s two networks')
    }
    return doc
  }

  /** Count every refusal; log it at most once a minute per neighbour and reason (a skewed clock repeats one often). */
  private refuse (peer: string, kind: string, reason: string, message: string): ProtocolRefusal {
    this.ctx.metrics.rejected.inc({ kind, reason })
    if (this.clock.shouldLog(`refused:${peer}:${kind}:${reason}`)) this.ctx.log.warn({ peer: this.nameOf(peer), kind, reason }, `rejected: ${message}`)
    return new ProtocolRefusal(reason, `${reason}: ${message}`)
  }

  /** Check a co-signed attestation for our border with `peer`. */
  private checkAttestation (bytes: Uint8Array, peer: string): UsageAttestation {
    const d = decodeDocument(bytes, 'usage-attestation')
    if (!d.ok) throw this.refuse(peer, 'usage-attestation', d.error.code, d.error.message)
    const parties = checkAttestationParties(d.value, [this.ctx.identity.peerId, peer])
    if (!parties.ok) throw this.refuse(peer, 'usage-attestation', parties.reason, parties.message)
    const v = verifyDocument(d.value)
    if (!v.ok) throw this.refuse(peer, 'usage-attestation', v.error.code, v.error.message)
    const { start, length } = d.value.body.interval
    if (length !== this.ctx.config.intervalMs || start % length !== 0) throw this.refuse(peer, 'usage-attestation', 'interval-mismatch', 'not one of our intervals')
    return d.value
  }

  /** The attestation both sides must compute from the two reports. */
  private attestationBody (mine: UsageReport, theirs: UsageReport, tolerance: string, r: Reconciled & { ok: true }): UsageAttestationBody {
    const me = this.ctx.identity.peerId
    const [first, second] = mine.body.border[0] === me ? [mine, theirs] : [theirs, mine]
    return {
      border: [mine.body.border[0], mine.body.border[1]],
      interval: { start: mine.body.interval.start, length: mine.body.interval.length },
      rule: { kind: 'lower-within-relative', tolerance },
      reports: [docId(first), docId(second)],
      lines: r.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) })),
      metrics: r.metrics
    }
  }

  /**
   * Reconcile the two reports under the SLA rules of both tariffs in force for the interval (which
   * way a metric is worse, whether a self-report counts), so both sides attest the same figures.
   */
  private async reconcileReports (mine: UsageReport, theirs: UsageReport, tolerance: string): Promise<Reconciled> {
    const me = this.ctx.identity.peerId
    const [x, y] = mine.body.border[0] === me ? [mine, theirs] : [theirs, mine]
    const fig = (r: UsageReport) => ({
      reporter: r.body.reporter,
      lines: r.body.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) })),
      metrics: r.body.metrics.map(m => ({ ...m }))
    })
    const start = mine.body.interval.start
    const pricing: Record<string, PricingTariff> = {}
    for (const p of [mine.body.reporter, theirs.body.reporter]) {
      const t = await this.view.inForce(p, start)
      if (t !== undefined) pricing[p] = t.pricing
    }
    const r = reconcile(fig(x), fig(y), tolerance, metricRulesFrom(pricing))
    // DEFECT (simulator only): attest the higher figure of each line instead of the lower.
    if (r.ok && this.ctx.defects.has('attest-higher')) r.lines = r.lines.map(l => ({ ...l, volume: higherOf(l, mine.body.lines, theirs.body.lines) }))
    if (r.ok && r.metricDifferences.length > 0) await this.recordMetricDispute(theirs.body.reporter, start, r.metricDifferences, x === mine)
    return r
  }

  /** SLA metrics the two sides disagree on: left out of the attestation (volumes still attest), recorded for the operators. */
  private async recordMetricDispute (peer: string, start: number, differences: Difference[], oursFirst: boolean): Promise<void> {
    const border = borderOf(this.ctx.identity.peerId, peer)
    const detail = { interval: start, metrics: differences.map(d => ({ key: d.key.split('\u0000').join(' '), ours: (oursFirst ? d.a : d.b) ?? null, theirs: (oursFirst ? d.b : d.a) ?? null, reason: d.reason ?? 'differ' })) }
    const res = await this.ctx.store.updateDispute({ kind: 'usage', border, key: `metric:${pad(start)}`, detail, time: this.ctx.now() })
    if (res === 'created') {
      this.ctx.metrics.disputes.inc({ kind: 'metric' })
      this.ctx.log.warn({ peer: this.nameOf(peer), start, metrics: detail.metrics.length }, 'SLA metrics disputed: left out of the attestation; the interval\'s volumes are attested')
    }
  }

  private toleranceWith (peer: string, theirs: string): string {
    const mine = this.ctx.neighbours.get(peer)?.tolerance ?? '0'
    return compareDecimal(mine, theirs) <= 0 ? mine : theirs
  }

  private async recordDispute (peer: string, start: number, mine: UsageReport, theirs: UsageReport, r: Reconciled & { ok: false }): Promise<void> {
    const me = this.ctx.identity.peerId
    const border = borderOf(me, peer)
    // An outcome computed from a report of ours that a revision has since superseded is stale.
    const current = await this.ctx.store.getReport(border, start, me)
    if (current !== undefined && current.id !== docId(mine)) return
    const first = mine.body.border[0] === me
    const detail = {
      interval: start,
      reports: [docId(mine), docId(theirs)],
      revisions: { ours: revisionOf(mine), theirs: revisionOf(theirs) },
      differences: r.differences.map(d => ({ key: d.key.split('\u0000').join(' '), ours: first ? d.a : d.b, theirs: first ? d.b : d.a }))
    }
    const res = await this.ctx.store.batch()
      .replaceReport({ border, intervalStart: start, reporter: peer, id: docId(theirs), bytes: encodeDocument(theirs), revision: revisionOf(theirs) })
      .updateDispute({ kind: 'usage', border, key: pad(start), detail, time: this.ctx.now() })
      .deletePending('interval', intervalKey(peer, start))
      .write()
    if (res.results.includes('created')) {
      this.ctx.metrics.disputes.inc({ kind: 'usage' })
      this.ctx.log.warn({ peer, start, differences: r.differences.length }, 'usage disputed: figures beyond tolerance, interval excluded from settlement')
    } else if (res.results.includes('updated')) {
      this.ctx.log.warn({ peer, start, differences: r.differences.length, revisions: detail.revisions }, 'usage still disputed after a revision')
    }
  }

  /** Store a co-signed attestation and close the interval's pending work, in one durable write. */
  private async storeAttestation (peer: string, doc: UsageAttestation, theirReport?: UsageReport): Promise<void> {
    const border = borderOf(this.ctx.identity.peerId, peer)
    const start = doc.body.interval.start
    const batch = this.ctx.store.batch()
    if (theirReport !== undefined) batch.replaceReport({ border, intervalStart: start, reporter: peer, id: docId(theirReport), bytes: encodeDocument(theirReport), revision: revisionOf(theirReport) })
    batch.putAttestation({ border, intervalStart: start, id: docId(doc), bytes: encodeDocument(doc) })
      .deletePending('interval', intervalKey(peer, start))
    // A revision settled our open dispute: resolved in the very write that stores the attestation.
    const open = await this.ctx.store.getDispute('usage', border, pad(start))
    if (open !== undefined && open.status === 'open') batch.resolveDispute({ kind: 'usage', border, key: pad(start), resolution: { attestation: docId(doc), reports: [...doc.body.reports] }, time: this.ctx.now() })
    const r = await batch.write()
    if (!r.ok) throw new Error(`attestation for ${start} conflicts with the one we hold`)
    if (r.results.includes('created')) {
      this.ctx.metrics.attestations.inc()
      this.ctx.log.info({ peer: this.nameOf(peer), start, id: docId(doc) }, 'usage attested')
    }
  }

  /** Leave an interval out of settlement for good: no report, and no more pushes into it. */
  private async skip (peer: string, start: number, reason: string): Promise<void> {
    const border = borderOf(this.ctx.identity.peerId, peer)
    await this.ctx.store.batch().putMeta(`skip:${border}:${pad(start)}`, reason).closeUsage(border, start, `declined: ${reason}`).deletePending('interval', intervalKey(peer, start)).write()
  }

  nameOf (peer: string): string { return this.ctx.neighbours.get(peer)?.name ?? peer }

  /** Can we settle this interval with `peer`? `undefined` = yes; otherwise why not. */
  private async eligibility (peer: string, start: number): Promise<{ k: 'declined' | 'not-ready', reason: string } | undefined> {
    if (start < await this.since(peer)) return { k: 'declined', reason: 'interval before this agent started settling the border' }
    const mine = await this.view.inForce(this.ctx.identity.peerId, start)
    if (mine === undefined) return { k: 'declined', reason: 'no tariff of ours in force for the interval' }
    const theirs = await this.view.inForce(peer, start)
    if (theirs === undefined) {
      // Before the neighbour's very first version took effect nothing can ever be priced (its
      // own side declines it too); waiting would block the border's settlement for good.
      if (await this.beforeFirstTariff(peer, start)) return { k: 'declined', reason: 'no tariff of the neighbour in force for the interval' }
      void this.tariffs.sync(peer)
      return { k: 'not-ready', reason: 'neighbour tariff in force not known yet' }
    }
    if (start + this.ctx.config.intervalMs + this.ctx.config.graceMs > this.ctx.now()) return { k: 'not-ready', reason: 'interval not closed here yet' }
    return undefined
  }

  /** Do we hold `peer`'s first tariff version (no previous), effective after `start`? */
  private async beforeFirstTariff (peer: string, start: number): Promise<boolean> {
    const first = (await this.ctx.store.tariffsOf(peer))[0]
    if (first === undefined || first.effective <= start) return false
    return (await this.view.byId(first.id))?.body.previous === null
  }

  // ---- operator corrections -------------------------------------------------------------------

  /**
   * Drop counters an operator knows are wrong (every line, or those of `classes`) from an interval
   * not yet reported. An interval closed as unreportable is reopened: its dispute is resolved and it
   * is pending again, while its period is still open.
   */
  async discard (peer: string, start: number, classes?: readonly string[]): Promise<{ discarded: number, reopened: boolean }> {
    const { ctx } = this
    const border = borderOf(ctx.identity.peerId, peer)
    const held = await this.usage.counters(peer, start)
    const reopen = held.sealed === 'unreportable'
    if (held.sealed !== undefined && !reopen) throw new UsageError('interval-closed', 'intervalStart', `interval ${start} is already closed (${held.sealed.startsWith('bafy') || held.sealed === 'report' ? 'reported to the neighbour' : held.sealed}); its figures can only change through a dispute revision`)
    const period = periodOf(start, ctx.config.intervalMs, ctx.config.periodIntervals)
    if (reopen && (await ctx.store.getStatement(border, period.start)) !== undefined) throw new UsageError('interval-closed', 'intervalStart', `the period of interval ${start} is already settled`)
    const kept = withoutClasses(held, classes)
    const batch = ctx.store.batch().replaceUsage(border, start, { lines: kept.lines, metrics: kept.metrics }, !reopen)
    if (reopen) {
      batch.resolveDispute({ kind: 'usage', border, key: pad(start), resolution: { discarded: kept.discarded, by: 'operator' }, time: ctx.now() })
        .putPending('interval', intervalKey(peer, start), { peer, start })
    }
    const r = await batch.write()
    if (!r.ok) throw new UsageError('interval-closed', 'intervalStart', `interval ${start} closed while discarding; nothing was changed`)
    ctx.log.warn({ peer: this.nameOf(peer), start, classes, discarded: kept.discarded, reopened: reopen }, 'usage counters discarded by the operator')
    return { discarded: kept.discarded, reopened: reopen }
  }

  // ---- revision --------------------------------------------------------------------------------

  /**
   * Resolve our side of an open usage dispute by revising our figures for the interval: sign a
   * report with the next revision, supersede ours with it, mark the dispute resolved and make the
   * interval pending again, in one durable write. Refused once the interval's period is settled.
   */
  async revise (peer: string, start: number, input: ReviseInput): Promise<ReviseOutcome> {
    const { ctx } = this
    const me = ctx.identity.peerId
    if (!ctx.neighbours.has(peer)) return { ok: false, code: 'unknown-neighbour', message: `${peer} is not a configured neighbour` }
    const border = borderOf(me, peer)
    const dispute = await ctx.store.getDispute('usage', border, pad(start))
    if (dispute === undefined || dispute.status !== 'open') return { ok: false, code: 'not-disputed', message: `no open usage dispute with ${this.nameOf(peer)} for the interval starting ${start}` }
    const period = periodOf(start, ctx.config.intervalMs, ctx.config.periodIntervals)
    if ((await ctx.store.getStatement(border, period.start)) !== undefined) {
      return { ok: false, code: 'settled', message: `the period ${period.start}-${period.end} with ${this.nameOf(peer)} is already settled without this interval; statements are immutable, so a revision can no longer count` }
    }
    const ownRec = await ctx.store.getReport(border, start, me)
    const theirRec = await ctx.store.getReport(border, start, peer)
    if (ownRec === undefined || theirRec === undefined) return { ok: false, code: 'no-reports', message: 'the dispute\'s reports are not held here' }
    const own = this.decode(ownRec.bytes, 'usage-report')
    const theirs = this.decode(theirRec.bytes, 'usage-report')
    const lines = 'accept' in input ? theirs.body.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) })) : input.lines
    const body = revisedBody(own.body, lines, 'accept' in input ? theirs.body.metrics : own.body.metrics)
    const signed = sign(ctx.identity, 'usage-report', body)
    if (!signed.ok) return { ok: false, code: 'bad-figures', message: signed.error.message }
    const id = docId(signed.value)
    const counters = { lines: Object.fromEntries(lines.map(l => [lineKey(l), { class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) }])), metrics: Object.fromEntries(body.metrics.map(m => [metricKey(m), m])), sealed: id }
    const revision = revisionOf(signed.value)
    const res = await ctx.store.batch()
      .replaceReport({ border, intervalStart: start, reporter: me, id, bytes: encodeDocument(signed.value), revision })
      .resolveDispute({ kind: 'usage', border, key: pad(start), resolution: { revised: id, revision, by: 'accept' in input ? 'accept' : 'lines' }, time: ctx.now() })
      .replaceUsage(border, start, counters, false)
      .putPending('interval', intervalKey(peer, start), { peer, start })
      .write()
    if (!res.ok) return { ok: false, code: 'conflict', message: `the store refused the revision (${res.results.join(', ')}); retry` }
    ctx.log.info({ peer: this.nameOf(peer), start, revision, id }, 'usage revised: dispute resolved here, interval pending again')
    return { ok: true, report: id, revision, lines: body.lines, metrics: body.metrics }
  }

  // ---- responder -------------------------------------------------------------------------------

  private async serve (bytes: Uint8Array, peer: string): Promise<Uint8Array> {
    let req: BorderRequest
    try {
      req = decodeFrame(BorderRequest, bytes)
    } catch (err) {
      throw this.refuse(peer, 'border-frame', 'malformed', (err as Error).message)
    }
    const me = this.ctx.identity.peerId
    const border = borderOf(me, peer)
    const reply = (r: BorderResponse): Uint8Array => encodeFrame(BorderResponse, stamped(r, this.ctx.now()))
    if (req.k === 'report') this.clock.observe(peer, req.time)
    switch (req.k) {
      case 'get-attestation': {
        const a = await this.ctx.store.getAttestation(border, req.start)
        return reply(a === undefined ? { k: 'none' } : { k: 'attestation', doc: a.bytes })
      }
      case 'attestation': {
        const doc = this.checkAttestation(req.doc, peer)
        await this.storeAttestation(peer, doc)
        return reply({ k: 'ok' })
      }
      case 'report': {
        let theirs: UsageReport
        try {
          theirs = this.checkPeerReport(req.doc, peer)
        } catch (err) {
          // Counted and logged as a rejection; answered as "not yet" with our clock, so a neighbour
          // whose clock runs ahead can see by how much (clock/skew.ts).
          if (err instanceof ProtocolRefusal && err.reason === 'future-interval') return reply({ k: 'not-ready', reason: err.message.slice(0, 500) })
          throw err
        }
        const start = theirs.body.interval.start
        const held = await this.ctx.store.getAttestation(border, start)
        if (held !== undefined) return reply({ k: 'attestation', doc: held.bytes })
        if (!/^[0-9]+(\.[0-9]+)?$/.test(req.tolerance)) throw this.refuse(peer, 'border-frame', 'malformed', 'bad tolerance')
        const disputed = await this.ctx.store.getDispute('usage', border, pad(start))
        // Still disputed unless the neighbour revised its figures since the dispute was recorded.
        if (disputed !== undefined && disputed.status === 'open' && revisionOf(theirs) <= recordedRevision(disputed.detail)) {
          const own = await this.ctx.store.getReport(border, start, me)
          if (own !== undefined) return reply({ k: 'dispute', report: own.bytes })
        }
        const why = await this.eligibility(peer, start)
        if (why !== undefined) {
          if (why.k === 'declined') await this.skip(peer, start, why.reason)
          return reply(why)
        }
        let mine: { doc: UsageReport, bytes: Uint8Array }
        try {
          mine = await this.ownReport(peer, start)
        } catch (err) {
          // Both sides leave the interval out: the neighbour records it as declined.
          if (err instanceof Unreportable) return reply({ k: 'declined', reason: `the neighbour cannot sign its report for this interval (${err.message})`.slice(0, 500) })
          throw err
        }
        const tolerance = this.toleranceWith(peer, req.tolerance)
        const r = await this.reconcileReports(mine.doc, theirs, tolerance)
        if (!r.ok) {
          await this.recordDispute(peer, start, mine.doc, theirs, r)
          return reply({ k: 'dispute', report: mine.bytes })
        }
        const half = sign(this.ctx.identity, 'usage-attestation', this.attestationBody(mine.doc, theirs, tolerance, r))
        if (!half.ok) throw new Error(`cannot sign attestation: ${half.error.message}`)
        await this.ctx.store.replaceReport({ border, intervalStart: start, reporter: peer, id: docId(theirs), bytes: req.doc, revision: revisionOf(theirs) })
        return reply({ k: 'cosign', report: mine.bytes, doc: encodeDocument(half.value) })
      }
    }
  }

  // ---- initiator -------------------------------------------------------------------------------

  /** Run one exchange for a pending interval. Returns what happened, for logs and tests. */
  async exchange (peer: string, start: number): Promise<'attested' | 'disputed' | 'declined' | 'not-ready' | 'error'> {
    const { ctx } = this
    const why = await this.eligibility(peer, start)
    if (why !== undefined) {
      if (why.k === 'declined') await this.skip(peer, start, why.reason)
      return why.k
    }
    let mine: { doc: UsageReport, bytes: Uint8Array }
    try {
      mine = await this.ownReport(peer, start)
    } catch (err) {
      if (err instanceof Unreportable) return 'disputed'
      throw err
    }
    const tolerance = ctx.neighbours.get(peer)?.tolerance ?? '0'
    let res: BorderResponse
    const sentAt = ctx.now()
    try {
      res = decodeFrame(BorderResponse, await ctx.net.request(peer, PROTOCOLS.border, encodeFrame(BorderRequest, { k: 'report', doc: mine.bytes, tolerance, time: sentAt }), {
        maxResponseBytes: MAX_FRAME_BYTES.border, timeoutMs: 15_000
      }))
      if ('time' in res) this.clock.observe(peer, res.time, sentAt)
    } catch (err) {
      ctx.metrics.exchanges.inc({ protocol: 'border', result: 'error' })
      ctx.log.debug({ peer: this.nameOf(peer), start, err: (err as Error).message }, 'border exchange failed; will retry')
      return 'error'
    }
    ctx.metrics.exchanges.inc({ protocol: 'border', result: res.k })
    switch (res.k) {
      case 'attestation': {
        const doc = this.checkAttestation(res.doc, peer)
        if (doc.body.interval.start !== start) throw this.refuse(peer, 'usage-attestation', 'interval-mismatch', 'answer is for another interval')
        await this.storeAttestation(peer, doc)
        return 'attested'
      }
      case 'cosign': {
        const theirs = this.checkPeerReport(res.report, peer, start)
        const d = decodeDocument(res.doc, 'usage-attestation')
        if (!d.ok) throw this.refuse(peer, 'usage-attestation', d.error.code, d.error.message)
        const half = d.value
        const tol = half.body.rule.tolerance
        if (compareDecimal(tol, tolerance) > 0) throw this.refuse(peer, 'usage-attestation', 'tolerance', `neighbour used tolerance ${tol}, above ours ${tolerance}`)
        const r = await this.reconcileReports(mine.doc, theirs, tol)
        if (!r.ok) {
          await this.recordDispute(peer, start, mine.doc, theirs, r)
          return 'disputed'
        }
        const expected = this.attestationBody(mine.doc, theirs, tol, r)
        const ours = sign(ctx.identity, 'usage-attestation', expected)
        if (!ours.ok) throw new Error(ours.error.message)
        if (docId(ours.value) !== docId(half)) throw this.refuse(peer, 'usage-attestation', 'mismatch', 'neighbour computed a different attestation from the same reports')
        const v = verifyDocument(half, [peer])
        if (!v.ok) throw this.refuse(peer, 'usage-attestation', v.error.code, v.error.message)
        const full = cosign(ctx.identity, half)
        if (!full.ok) throw new Error(full.error.message)
        await this.storeAttestation(peer, full.value, theirs)
        await ctx.store.putPending('deliver', intervalKey(peer, start), { peer, start })
        await this.deliver(peer, start)
        return 'attested'
      }
      case 'dispute': {
        const theirs = this.checkPeerReport(res.report, peer, start)
        const r = await this.reconcileReports(mine.doc, theirs, tolerance)
        await this.recordDispute(peer, start, mine.doc, theirs, r.ok ? { ok: false, differences: [{ key: 'tolerance', a: tolerance, b: 'neighbour disputes' }] } : r)
        return 'disputed'
      }
      case 'declined': {
        await this.skip(peer, start, res.reason)
        ctx.log.info({ peer: this.nameOf(peer), start, reason: res.reason }, 'interval declined by neighbour')
        return 'declined'
      }
      default:
        return 'not-ready'
    }
  }

  /** Hand a co-signed attestation to the neighbour until it acknowledges. */
  async deliver (peer: string, start: number): Promise<boolean> {
    const a = await this.ctx.store.getAttestation(borderOf(this.ctx.identity.peerId, peer), start)
    if (a === undefined) { await this.ctx.store.deletePending('deliver', intervalKey(peer, start)); return true }
    try {
      const res = decodeFrame(BorderResponse, await this.ctx.net.request(peer, PROTOCOLS.border, encodeFrame(BorderRequest, { k: 'attestation', doc: a.bytes }), {
        maxResponseBytes: 1024, timeoutMs: 15_000
      }))
      if (res.k !== 'ok') return false
      await this.ctx.store.deletePending('deliver', intervalKey(peer, start))
      return true
    } catch {
      return false
    }
  }

  async deliveries (): Promise<Array<{ peer: string, start: number }>> {
    return (await this.ctx.store.listPending('deliver')).map(p => p.value as { peer: string, start: number })
  }

  /** Check and store a co-signed attestation received outside an exchange (settlement catch-up). */
  async acceptAttestation (bytes: Uint8Array, peer: string): Promise<void> {
    await this.storeAttestation(peer, this.checkAttestation(bytes, peer))
  }

  /** Fetch the co-signed attestation of an interval from the neighbour (settlement catch-up). */
  async fetchAttestation (peer: string, start: number): Promise<boolean> {
    try {
      const res = decodeFrame(BorderResponse, await this.ctx.net.request(peer, PROTOCOLS.border, encodeFrame(BorderRequest, { k: 'get-attestation', start }), {
        maxResponseBytes: MAX_FRAME_BYTES.border, timeoutMs: 15_000
      }))
      if (res.k !== 'attestation') return false
      await this.storeAttestation(peer, this.checkAttestation(res.doc, peer))
      return true
    } catch {
      return false
    }
  }
}

/** The higher of the two reports' volumes for a line (the simulator's attest-higher defect). */
function higherOf (l: { class: string, from: string, to: string, volume: string }, a: ReadonlyArray<{ class: string, from: string, to: string, volume: string }>, b: ReadonlyArray<{ class: string, from: string, to: string, volume: string }>): string {
  const vs = [...a, ...b].filter(x => x.class === l.class && x.from === l.from && x.to === l.to).map(x => x.volume)
  return vs.reduce((m, v) => compareDecimal(v, m) > 0 ? v : m, l.volume)
}

/** A response with our clock reading, where the frame has room for one. */
function stamped (r: BorderResponse, now: number): BorderResponse {
  return r.k === 'ok' || r.k === 'none' ? r : { ...r, time: now }
}

/** The neighbour's report revision a usage dispute was recorded with (0 for disputes recorded before revisions). */
function recordedRevision (detail: unknown): number {
  const r = (detail as { revisions?: { theirs?: unknown } } | null)?.revisions?.theirs
  return typeof r === 'number' ? r : 0
}
