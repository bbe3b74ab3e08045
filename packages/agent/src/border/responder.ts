/**
 * The responder's side of the border protocol (docs/protocol.md 8.3): answer a neighbour's report
 * with the co-signed attestation we hold, our dispute, a refusal to settle the interval, or our
 * report and our half of the attestation; store a co-signed attestation it delivers. What changes
 * the interval's state goes through the lifecycle (`asked`, `agreed`, `disagreed`, `attestation`).
 */
import { encodeDocument, sign, type UsageReport } from '@splitedge/wire'
import { BorderRequest, BorderResponse, decodeFrame, encodeFrame } from '@splitedge/node'
import type { BorderComponents } from './components.js'
import { ProtocolRefusal } from './checks.js'
import { pad } from './book.js'
import { revisionOf } from './revise.js'
import type { IntervalRun, IntervalShell } from './shell.js'

type Reply = (r: BorderResponse) => Uint8Array

export class Responder {
  constructor (private readonly c: BorderComponents, private readonly shell: IntervalShell) {}

  private get checks (): IntervalShell['checks'] { return this.shell.checks }

  async serve (bytes: Uint8Array, peer: string): Promise<Uint8Array> {
    let req: BorderRequest
    try {
      req = decodeFrame(BorderRequest, bytes)
    } catch (err) {
      throw this.checks.refuse(peer, 'border-frame', 'malformed', (err as Error).message)
    }
    const reply: Reply = (r) => encodeFrame(BorderResponse, stamped(r, this.c.clock.now()))
    switch (req.k) {
      case 'get-attestation': {
        const a = await this.c.store.getAttestation(this.checks.border(peer), req.start)
        return reply(a === undefined ? { k: 'none' } : { k: 'attestation', doc: a.bytes })
      }
      case 'attestation': {
        const doc = this.checks.attestation(req.doc, peer)
        await this.shell.run(peer, doc.body.interval.start, { k: 'attestation' }, { attestation: doc })
        return reply({ k: 'ok' })
      }
      case 'report':
        this.c.skew.observe(peer, req.time)
        return await this.report(peer, req, reply)
    }
  }

  private async report (peer: string, req: Extract<BorderRequest, { k: 'report' }>, reply: Reply): Promise<Uint8Array> {
    const { store } = this.c
    let theirs: UsageReport
    try {
      theirs = this.checks.peerReport(req.doc, peer)
    } catch (err) {
      // Counted and logged as a rejection; answered as "not yet" with our clock, so a neighbour
      // whose clock runs ahead can see by how much (clock/skew.ts).
      if (err instanceof ProtocolRefusal && err.reason === 'future-interval') return reply({ k: 'not-ready', reason: err.message.slice(0, 500) })
      throw err
    }
    const start = theirs.body.interval.start
    const border = this.checks.border(peer)
    const held = await store.getAttestation(border, start)
    if (held !== undefined) return reply({ k: 'attestation', doc: held.bytes })
    if (!/^[0-9]+(\.[0-9]+)?$/.test(req.tolerance)) throw this.checks.refuse(peer, 'border-frame', 'malformed', 'bad tolerance')
    const disputed = await store.getDispute('usage', border, pad(start))
    // Still disputed unless the neighbour revised its figures since the dispute was recorded.
    if (disputed !== undefined && disputed.status === 'open' && revisionOf(theirs) <= recordedRevision(disputed.detail)) {
      const own = await store.getReport(border, start, this.c.identity.peerId)
      if (own !== undefined) return reply({ k: 'dispute', report: own.bytes })
    }
    const why = await this.checks.eligibility(peer, start)
    if (why !== undefined) {
      if (why.k === 'declined') await this.shell.run(peer, start, { k: 'declined', reason: why.reason })
      return reply(why)
    }
    return await this.reconcile(peer, start, { doc: theirs, bytes: req.doc }, req.tolerance, reply)
  }

  /** Our report (made now, or kept), reconciled with theirs: our half of the attestation, or a dispute. */
  private async reconcile (peer: string, start: number, theirs: { doc: UsageReport, bytes: Uint8Array }, tolerance: string, reply: Reply): Promise<Uint8Array> {
    const run: IntervalRun = { theirs }
    const state = (await this.shell.run(peer, start, { k: 'asked', due: this.shell.book.due(peer, start) }, run)).state
    const mine = run.mine
    if (mine === undefined) {
      // Both sides leave the interval out: the neighbour records it as declined.
      const why = run.unreportable !== undefined ? `the neighbour cannot sign its report for this interval (${run.unreportable})` : `interval ${state.phase} here${state.reason !== undefined ? `: ${state.reason}` : ''}`
      return reply({ k: 'declined', reason: why.slice(0, 500) })
    }
    const tol = this.checks.toleranceWith(peer, tolerance)
    const r = await this.shell.reconcile(peer, mine.doc, theirs.doc, tol)
    if (!r.ok) {
      if (!(await this.shell.records.stale(peer, mine.doc))) await this.shell.run(peer, start, { k: 'disagreed' }, { ...run, disagreement: r })
      return reply({ k: 'dispute', report: mine.bytes })
    }
    const half = sign(this.c.identity, 'usage-attestation', this.checks.attestationBody(mine.doc, theirs.doc, tol, r))
    if (!half.ok) throw new Error(`cannot sign attestation: ${half.error.message}`)
    await this.shell.run(peer, start, { k: 'agreed' }, run)
    return reply({ k: 'cosign', report: mine.bytes, doc: encodeDocument(half.value) })
  }
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
