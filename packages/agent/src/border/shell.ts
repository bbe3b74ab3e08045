/**
 * The interval lifecycle's I/O shell: runs events through `intervalStep` (interval.ts) on the
 * stored state and executes the effects it asks for. The documents an event came with travel in
 * the run's context (`IntervalRun`), from the effect that got them to the effect that stores them.
 */
import { docId, encodeDocument, sign, type UsageAttestation, type UsageReport, type UsageReportBody } from '@splitedge/wire'
import type { StoreBatch, BatchOutcome } from '@splitedge/store'
import { sortedPair } from '../context.js'
import type { MetricInput, UsageLineInput } from '../usage/types.js'
import type { BorderComponents } from './components.js'
import type { BorderChecks } from './checks.js'
import type { BorderRecords } from './records.js'
import { INTERVAL_MACHINE, type IntervalBook } from './book.js'
import type { IntervalEffect, IntervalEvent, IntervalState } from './interval.js'
import type { Reconciled } from './reconcile.js'
import type { Runner, RunResult, Stamp } from './run.js'

/** Our report for an interval cannot be signed; the interval was closed as unreportable. */
export class Unreportable extends Error {}

export interface OwnReport { doc: UsageReport, bytes: Uint8Array }

/** What one run carries from effect to effect. */
export interface IntervalRun {
  /** Our report, once made or loaded. */
  mine?: OwnReport
  /** The neighbour's report, and its bytes as received. */
  theirs?: { doc: UsageReport, bytes: Uint8Array }
  /** The co-signed attestation to store. */
  attestation?: UsageAttestation
  /** Why the two reports do not reconcile. */
  disagreement?: Reconciled & { ok: false }
  /** The operator's writes (a revision, discarded counters), and what the store said. */
  write?: (batch: StoreBatch) => StoreBatch
  written?: BatchOutcome
  /** Why our report cannot be signed. */
  unreportable?: string
}

/** The effects that wait on the network, run by the initiator. */
export interface RemoteEffects {
  sendReport: (peer: string, start: number, run: IntervalRun) => Promise<IntervalEvent>
  deliver: (peer: string, start: number) => Promise<IntervalEvent>
}

export class IntervalShell {
  remote: RemoteEffects | undefined

  constructor (
    private readonly c: BorderComponents,
    readonly book: IntervalBook,
    readonly checks: BorderChecks,
    readonly records: BorderRecords,
    private readonly runner: Runner
  ) {}

  /** Apply `event` to the interval and run everything it leads to. */
  async run (peer: string, start: number, event: IntervalEvent, run: IntervalRun = {}): Promise<RunResult<IntervalState>> {
    const trace = this.c.trace
    return await this.runner.run(INTERVAL_MACHINE, this.book.slot(peer, start), event,
      async (f, stamp) => await this.exec(peer, start, f, stamp, run),
      trace === undefined ? undefined : async (effect, state) => { await trace({ machine: 'interval', peer, start, effect, state }) })
  }

  private async exec (peer: string, start: number, f: IntervalEffect, stamp: Stamp, run: IntervalRun): Promise<IntervalEvent | undefined> {
    const need = <T>(v: T | undefined, what: string): T => { if (v === undefined) throw new Error(`${f.k}: no ${what} in this run`); return v }
    switch (f.k) {
      case 'check': {
        const why = await this.checks.eligibility(peer, start)
        return why === undefined ? { k: 'eligible' } : { k: why.k, reason: why.reason }
      }
      case 'make-report': return await this.makeReport(peer, start, stamp, run)
      case 'send-report': return await need(this.remote, 'initiator').sendReport(peer, start, run)
      case 'deliver': return await need(this.remote, 'initiator').deliver(peer, start)
      case 'keep-report': { const t = need(run.theirs, 'neighbour report'); await this.records.keepReport(peer, t.doc, t.bytes, stamp); return }
      case 'store-attestation': await this.records.storeAttestation(peer, need(run.attestation, 'attestation'), run.theirs?.doc, stamp); return
      case 'record-dispute': await this.records.recordDispute(peer, start, need(run.mine, 'report of ours').doc, need(run.theirs, 'neighbour report').doc, need(run.disagreement, 'difference'), stamp); return
      case 'record-unreportable': await this.records.unreportable(peer, start, f.reason, stamp); return
      case 'skip': await this.records.skip(peer, start, f.reason, stamp); return
      case 'store-revision':
      case 'drop-counters': run.written = await stamp(need(run.write, 'operator write')(this.c.store.batch())).write(); return
      case 'retry': await stamp(this.c.store.batch()).write()
    }
  }

  /** Our report for the interval, made now or earlier; undefined and `run.unreportable` set when it cannot be signed. */
  private async makeReport (peer: string, start: number, stamp: Stamp, run: IntervalRun): Promise<IntervalEvent | undefined> {
    try {
      const made = await this.c.usage.closeInto(peer, start,
        async (m) => await this.signReport(peer, start, m),
        (bytes) => { const doc = this.checks.decode(bytes, 'usage-report'); return { doc, bytes, id: docId(doc) } },
        stamp)
      run.mine = { doc: made.doc, bytes: made.bytes }
      return undefined
    } catch (err) {
      if (!(err instanceof Unreportable)) throw err
      run.unreportable = err.message
      return { k: 'unreportable', reason: err.message }
    }
  }

  /** Sign our report from measured figures; Unreportable when it cannot be signed. */
  private async signReport (peer: string, start: number, m: { lines: UsageLineInput[], metrics: MetricInput[] }): Promise<{ doc: UsageReport, bytes: Uint8Array, id: string }> {
    const me = this.c.identity.peerId
    const body: UsageReportBody = {
      border: sortedPair(me, peer),
      reporter: me,
      interval: { start, length: this.c.config.intervalMs },
      lines: m.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) })),
      metrics: m.metrics
    }
    const signed = sign(this.c.identity, 'usage-report', body)
    if (!signed.ok) throw new Unreportable(`${signed.error.code}: ${signed.error.message}`)
    return { doc: signed.value, bytes: encodeDocument(signed.value), id: docId(signed.value) }
  }

  /**
   * Our signed report for an interval, created once from the usage source and then kept. Throws
   * Unreportable (after closing the interval as unreportable) when it cannot be signed.
   */
  async ownReport (peer: string, start: number): Promise<OwnReport> {
    const run: IntervalRun = {}
    const r = await this.run(peer, start, { k: 'asked', due: this.book.due(peer, start) }, run)
    if (run.mine !== undefined) return run.mine
    if (run.unreportable !== undefined || r.state.phase === 'unreportable') throw new Unreportable(run.unreportable ?? r.state.reason ?? 'unreportable')
    // Attested or delivered: the report the attestation was made from is kept.
    const held = await this.c.store.getReport(this.checks.border(peer), start, this.c.identity.peerId)
    if (held !== undefined) return { doc: this.checks.decode(held.bytes, 'usage-report'), bytes: held.bytes }
    throw new Error(`no report for interval ${start}: the interval is ${r.state.phase}`)
  }

  /** Reconcile, recording SLA metrics the two sides disagree on (their volumes still attest). */
  async reconcile (peer: string, mine: UsageReport, theirs: UsageReport, tolerance: string): Promise<Reconciled> {
    const r = await this.checks.reconcile(mine, theirs, tolerance)
    if (r.ok && r.metricDifferences.length > 0) await this.records.recordMetricDispute(peer, mine.body.interval.start, r.metricDifferences, r.oursFirst)
    return r
  }
}
