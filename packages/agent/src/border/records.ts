/**
 * The durable effects of the interval lifecycle: each is one synced write, and `stamp` adds the
 * interval's new state to it, so a document and the state it brings are stored together or not at
 * all (the co-signed attestation and "attested", the dispute and "disputed").
 */
import { docId, encodeDocument, type UsageAttestation, type UsageReport } from '@splitedge/wire'
import type { BorderComponents } from './components.js'
import type { BorderChecks } from './checks.js'
import type { Difference, Reconciled } from './reconcile.js'
import type { Stamp } from './run.js'
import { pad } from './book.js'
import { revisionOf } from './revise.js'

export class BorderRecords {
  constructor (private readonly c: BorderComponents, private readonly checks: BorderChecks) {}

  private border (peer: string): string { return this.checks.border(peer) }

  /** Store a co-signed attestation (with the neighbour's report, if given), resolving an open usage dispute. */
  async storeAttestation (peer: string, doc: UsageAttestation, theirReport: UsageReport | undefined, stamp: Stamp): Promise<void> {
    const { store } = this.c
    const border = this.border(peer)
    const start = doc.body.interval.start
    const batch = store.batch()
    if (theirReport !== undefined) batch.replaceReport({ border, intervalStart: start, reporter: peer, id: docId(theirReport), bytes: encodeDocument(theirReport), revision: revisionOf(theirReport) })
    batch.putAttestation({ border, intervalStart: start, id: docId(doc), bytes: encodeDocument(doc) })
    // A revision settled our open dispute: resolved in the very write that stores the attestation.
    const open = await store.getDispute('usage', border, pad(start))
    if (open !== undefined && open.status === 'open') batch.resolveDispute({ kind: 'usage', border, key: pad(start), resolution: { attestation: docId(doc), reports: [...doc.body.reports] }, time: this.c.clock.now() })
    const r = await stamp(batch).write()
    if (!r.ok) throw new Error(`attestation for ${start} conflicts with the one we hold`)
    if (r.results.includes('created')) {
      this.c.metrics.attestations.inc()
      this.c.log.info({ peer: this.checks.nameOf(peer), start, id: docId(doc) }, 'usage attested')
    }
  }

  /** Has a revision superseded this report of ours since it was used? Then an outcome computed from it is stale. */
  async stale (peer: string, mine: UsageReport): Promise<boolean> {
    const current = await this.c.store.getReport(this.border(peer), mine.body.interval.start, this.checks.me)
    return current !== undefined && current.id !== docId(mine)
  }

  /** Store the neighbour's report and the usage dispute with the differing figures. */
  async recordDispute (peer: string, start: number, mine: UsageReport, theirs: UsageReport, r: Reconciled & { ok: false }, stamp: Stamp): Promise<void> {
    const border = this.border(peer)
    const first = mine.body.border[0] === this.checks.me
    const detail = {
      interval: start,
      reports: [docId(mine), docId(theirs)],
      revisions: { ours: revisionOf(mine), theirs: revisionOf(theirs) },
      differences: r.differences.map(d => ({ key: d.key.split('\u0000').join(' '), ours: first ? d.a : d.b, theirs: first ? d.b : d.a }))
    }
    const batch = this.c.store.batch()
      .replaceReport({ border, intervalStart: start, reporter: peer, id: docId(theirs), bytes: encodeDocument(theirs), revision: revisionOf(theirs) })
      .updateDispute({ kind: 'usage', border, key: pad(start), detail, time: this.c.clock.now() })
    const res = await stamp(batch).write()
    if (res.results.includes('created')) {
      this.c.metrics.disputes.inc({ kind: 'usage' })
      this.c.log.warn({ peer, start, differences: r.differences.length }, 'usage disputed: figures beyond tolerance, interval excluded from settlement')
    } else if (res.results.includes('updated')) {
      this.c.log.warn({ peer, start, differences: r.differences.length, revisions: detail.revisions }, 'usage still disputed after a revision')
    }
  }

  /** SLA metrics the two sides disagree on: left out of the attestation (volumes still attest), recorded for the operators. */
  async recordMetricDispute (peer: string, start: number, differences: Difference[], oursFirst: boolean): Promise<void> {
    const border = this.border(peer)
    const detail = { interval: start, metrics: differences.map(d => ({ key: d.key.split('\u0000').join(' '), ours: (oursFirst ? d.a : d.b) ?? null, theirs: (oursFirst ? d.b : d.a) ?? null, reason: d.reason ?? 'differ' })) }
    const res = await this.c.store.updateDispute({ kind: 'usage', border, key: `metric:${pad(start)}`, detail, time: this.c.clock.now() })
    if (res === 'created') {
      this.c.metrics.disputes.inc({ kind: 'metric' })
      this.c.log.warn({ peer: this.checks.nameOf(peer), start, metrics: detail.metrics.length }, 'SLA metrics disputed: left out of the attestation; the interval\'s volumes are attested')
    }
  }

  /** Responder: keep the neighbour's report before answering with our half of the attestation. */
  async keepReport (peer: string, theirs: UsageReport, bytes: Uint8Array, stamp: Stamp): Promise<void> {
    const batch = this.c.store.batch().replaceReport({ border: this.border(peer), intervalStart: theirs.body.interval.start, reporter: peer, id: docId(theirs), bytes, revision: revisionOf(theirs) })
    await stamp(batch).write()
  }

  /** Leave an interval out of settlement for good: no report, and no more pushes into it. */
  async skip (peer: string, start: number, reason: string, stamp: Stamp): Promise<void> {
    await stamp(this.c.store.batch().closeUsage(this.border(peer), start, `declined: ${reason}`)).write()
  }

  /**
   * Our counters for an interval cannot be signed (counters stored before the intake checked its
   * limits): record a usage dispute saying why, close the interval so later intervals proceed, and
   * leave it to the operator (`splitedge usage discard` reopens it while the period is open).
   */
  async unreportable (peer: string, start: number, why: string, stamp: Stamp): Promise<void> {
    const border = this.border(peer)
    const batch = this.c.store.batch()
      .putDispute({ kind: 'usage', border, key: pad(start), detail: { interval: start, reason: 'unreportable', message: `our report cannot be signed: ${why}` }, time: this.c.clock.now() })
      .closeUsage(border, start, 'unreportable')
    const res = await stamp(batch).write()
    if (res.results.includes('created')) {
      this.c.metrics.disputes.inc({ kind: 'usage' })
      this.c.log.error({ peer: this.checks.nameOf(peer), start, why }, 'our usage report for this interval cannot be signed: interval disputed and left out of settlement')
    }
  }
}
