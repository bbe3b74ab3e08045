/**
 * The initiator's side of the border protocol (docs/protocol.md 8.3): the effects that wait on the
 * neighbour. Sending our report turns the answer into the interval's next event (checking it on
 * the way: a co-signing answer becomes `cosigned` only once we computed the very same attestation
 * and added our signature); delivering the co-signed attestation becomes `delivered` on `ok`.
 */
import { bodyId, cosign, decodeDocument, docId, sign, verifyDocument, type UsageReport } from '@splitedge/wire'
import { BorderRequest, BorderResponse, MAX_FRAME_BYTES, PROTOCOLS, decodeFrame, encodeFrame } from '@splitedge/node'
import type { BorderComponents } from './components.js'
import { ProtocolRefusal } from './checks.js'
import { compareDecimal } from './decimal.js'
import type { IntervalEvent } from './interval.js'
import type { IntervalRun, IntervalShell, OwnReport, RemoteEffects } from './shell.js'

const TIMEOUT_MS = 15_000

/** A run of the initiator, which also remembers a refusal to rethrow once the failure is recorded. */
export interface InitiatorRun extends IntervalRun { refusal?: ProtocolRefusal }

export class Initiator implements RemoteEffects {
  constructor (private readonly c: BorderComponents, private readonly shell: IntervalShell) {}

  private get checks (): IntervalShell['checks'] { return this.shell.checks }

  async sendReport (peer: string, start: number, run: InitiatorRun): Promise<IntervalEvent> {
    const { c } = this
    const mine = run.mine ?? await this.stored(peer, start)
    run.mine = mine
    const tolerance = this.checks.tolerance(peer)
    const sentAt = c.clock.now()
    let res: BorderResponse
    try {
      const frame = encodeFrame(BorderRequest, { k: 'report', doc: mine.bytes, tolerance, time: sentAt })
      res = decodeFrame(BorderResponse, await c.net.request(peer, PROTOCOLS.border, frame, { maxResponseBytes: MAX_FRAME_BYTES.border, timeoutMs: TIMEOUT_MS }))
      if ('time' in res) c.skew.observe(peer, res.time, sentAt)
    } catch (err) {
      c.metrics.exchanges.inc({ protocol: 'border', result: 'error' })
      c.log.debug({ peer: this.checks.nameOf(peer), start, err: (err as Error).message }, 'border exchange failed; will retry')
      return { k: 'failed', reason: (err as Error).message }
    }
    c.metrics.exchanges.inc({ protocol: 'border', result: res.k })
    try {
      return await this.answer(peer, start, res, mine, tolerance, run)
    } catch (err) {
      if (!(err instanceof ProtocolRefusal)) throw err
      run.refusal = err
      return { k: 'failed', reason: err.message }
    }
  }

  private async stored (peer: string, start: number): Promise<OwnReport> {
    const held = await this.c.store.getReport(this.checks.border(peer), start, this.c.identity.peerId)
    if (held === undefined) throw new Error(`interval ${start} is reported, but our report is not stored`)
    return { doc: this.checks.decode(held.bytes, 'usage-report'), bytes: held.bytes }
  }

  /** The neighbour's answer as the interval's next event. */
  private async answer (peer: string, start: number, res: BorderResponse, mine: OwnReport, tolerance: string, run: InitiatorRun): Promise<IntervalEvent> {
    switch (res.k) {
      case 'attestation': {
        const doc = this.checks.attestation(res.doc, peer)
        if (doc.body.interval.start !== start) throw this.checks.refuse(peer, 'usage-attestation', 'interval-mismatch', 'answer is for another interval')
        run.attestation = doc
        return { k: 'attestation' }
      }
      case 'cosign': return await this.cosigned(peer, start, res, mine.doc, tolerance, run)
      case 'dispute': {
        const theirs = this.checks.peerReport(res.report, peer, start)
        const r = await this.shell.reconcile(peer, mine.doc, theirs, tolerance)
        return await this.disagreed(peer, mine.doc, { doc: theirs, bytes: res.report }, r.ok ? { ok: false, differences: [{ key: 'tolerance', a: tolerance, b: 'neighbour disputes' }] } : r, run)
      }
      case 'declined':
        this.c.log.info({ peer: this.checks.nameOf(peer), start, reason: res.reason }, 'interval declined by neighbour')
        return { k: 'declined', reason: res.reason }
      case 'not-ready': return { k: 'not-ready', reason: res.reason }
      default: return { k: 'not-ready', reason: `answered ${res.k}` }
    }
  }

  /** The neighbour's half: the same attestation as ours from the same reports, signed by it; then ours added. */
  private async cosigned (peer: string, start: number, res: Extract<BorderResponse, { k: 'cosign' }>, mine: UsageReport, tolerance: string, run: InitiatorRun): Promise<IntervalEvent> {
    const { c, checks } = this
    const theirs = checks.peerReport(res.report, peer, start)
    const d = decodeDocument(res.doc, 'usage-attestation')
    if (!d.ok) throw checks.refuse(peer, 'usage-attestation', d.error.code, d.error.message)
    const half = d.value
    const tol = half.body.rule.tolerance
    if (compareDecimal(tol, tolerance) > 0) throw checks.refuse(peer, 'usage-attestation', 'tolerance', `neighbour used tolerance ${tol}, above ours ${tolerance}`)
    const r = await this.shell.reconcile(peer, mine, theirs, tol)
    if (!r.ok) return await this.disagreed(peer, mine, { doc: theirs, bytes: res.report }, r, run)
    const ours = bodyId('usage-attestation', checks.attestationBody(mine, theirs, tol, r))
    if (!ours.ok) throw new Error(ours.error.message)
    if (ours.value !== docId(half)) throw checks.refuse(peer, 'usage-attestation', 'mismatch', 'neighbour computed a different attestation from the same reports')
    const v = verifyDocument(half, [peer])
    if (!v.ok) throw checks.refuse(peer, 'usage-attestation', v.error.code, v.error.message)
    const full = cosign(c.identity, half)
    if (!full.ok) throw new Error(full.error.message)
    run.attestation = full.value
    run.theirs = { doc: theirs, bytes: res.report }
    return { k: 'cosigned' }
  }

  /** A dispute, unless a revision of ours superseded the report it was computed from (then: try again). */
  private async disagreed (peer: string, mine: UsageReport, theirs: { doc: UsageReport, bytes: Uint8Array }, r: IntervalRun['disagreement'], run: InitiatorRun): Promise<IntervalEvent> {
    if (await this.shell.records.stale(peer, mine)) return { k: 'failed', reason: 'our report was revised meanwhile' }
    run.theirs = theirs
    run.disagreement = r
    return { k: 'disagreed' }
  }

  /** Hand the co-signed attestation to the neighbour: `delivered` once it answers ok. */
  async deliver (peer: string, start: number): Promise<IntervalEvent> {
    const a = await this.c.store.getAttestation(this.checks.border(peer), start)
    if (a === undefined) return { k: 'delivered' }
    try {
      const frame = encodeFrame(BorderRequest, { k: 'attestation', doc: a.bytes })
      const res = decodeFrame(BorderResponse, await this.c.net.request(peer, PROTOCOLS.border, frame, { maxResponseBytes: 1024, timeoutMs: TIMEOUT_MS }))
      return res.k === 'ok' ? { k: 'delivered' } : { k: 'failed', reason: `delivery answered ${res.k}` }
    } catch (err) {
      return { k: 'failed', reason: (err as Error).message }
    }
  }

  /** Fetch the co-signed attestation of an interval from the neighbour (settlement catch-up). */
  async fetch (peer: string, start: number): Promise<boolean> {
    try {
      const frame = encodeFrame(BorderRequest, { k: 'get-attestation', start })
      const res = decodeFrame(BorderResponse, await this.c.net.request(peer, PROTOCOLS.border, frame, { maxResponseBytes: MAX_FRAME_BYTES.border, timeoutMs: TIMEOUT_MS }))
      if (res.k !== 'attestation') return false
      const doc = this.checks.attestation(res.doc, peer)
      await this.shell.run(peer, doc.body.interval.start, { k: 'attestation' }, { attestation: doc })
      return true
    } catch {
      return false
    }
  }
}
