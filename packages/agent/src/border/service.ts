/**
 * The border protocol (docs/protocol.md 8.3): for each closed interval both sides exchange signed
 * UsageReports, reconcile them, and co-sign a UsageAttestation that both persist.
 *
 * One exchange: the initiator sends its report; the responder answers with its own report and its
 * half of the attestation it computed (or the finished attestation if it holds one, or a dispute);
 * the initiator checks that it computes the very same attestation, adds its signature, stores it,
 * and delivers the co-signed document back.
 *
 * Where each interval stands is its lifecycle (interval.ts: a pure transition function), stored
 * per interval with the documents it goes with (book.ts); this service is the thin shell around it:
 * the initiator's effects (initiator.ts), the responder (responder.ts), the durable writes
 * (records.ts), the checks (checks.ts) and the operator's corrections (operator.ts). Every step is
 * idempotent per (border, interval), so a restart at any point resumes from the store alone.
 *
 * Disputes: figures beyond tolerance make both sides record a usage dispute, and the interval is
 * excluded from settlement while it is open (it counts as final, so the period settles without
 * it), unless a revision (operator.ts) attests it first.
 */
import { MAX_FRAME_BYTES, PROTOCOLS } from '@splitedge/node'
import type { BorderComponents } from './components.js'
import { BorderChecks } from './checks.js'
import { BorderRecords } from './records.js'
import { IntervalBook } from './book.js'
import { Locks, Runner } from './run.js'
import { IntervalShell, type OwnReport } from './shell.js'
import { Initiator, type InitiatorRun } from './initiator.js'
import { Responder } from './responder.js'
import { Operator } from './operator.js'
import { migrateBorder } from './migrate.js'
import type { IntervalPhase, IntervalState } from './interval.js'
import type { ReviseInput, ReviseOutcome } from './revise.js'

export { ProtocolRefusal } from './checks.js'
export { Unreportable } from './shell.js'
export { pad } from './book.js'
export type { BorderComponents } from './components.js'

export class BorderService {
  readonly book: IntervalBook
  private readonly checks: BorderChecks
  private readonly shell: IntervalShell
  private readonly initiator: Initiator
  private readonly responder: Responder
  private readonly operator: Operator

  constructor (private readonly c: BorderComponents, locks = new Locks()) {
    const runner = new Runner(c.store, c.clock, locks)
    this.book = new IntervalBook(c.store, c.identity.peerId, c.config, c.clock, locks)
    this.checks = new BorderChecks(c, async (peer) => await this.book.since(peer))
    const records = new BorderRecords(c, this.checks)
    this.shell = new IntervalShell(c, this.book, this.checks, records, runner)
    this.initiator = new Initiator(c, this.shell)
    this.shell.remote = this.initiator
    this.responder = new Responder(c, this.shell)
    this.operator = new Operator(c, this.shell)
  }

  /** Carry over what a store written before the lifecycle records holds, then serve the protocol. */
  async start (): Promise<void> {
    for (const peer of this.c.neighbours.keys()) {
      if (await migrateBorder(this.c.store, this.book, peer, this.c.clock.now())) this.c.log.info({ peer: this.nameOf(peer) }, 'border state carried over into lifecycle records')
    }
    await this.c.net.handle(PROTOCOLS.border, async (bytes, peer) => await this.responder.serve(bytes, peer), {
      maxRequestBytes: MAX_FRAME_BYTES.border,
      allow: (peer) => this.c.neighbours.has(peer),
      timeoutMs: 15_000
    })
  }

  nameOf (peer: string): string { return this.checks.nameOf(peer) }

  /** First interval this agent settles with `peer` (fixed the first time the border is seen). */
  async since (peer: string): Promise<number> { return await this.book.since(peer) }

  /** Record every interval with `peer` that has closed since the last call. */
  async schedule (peer: string): Promise<void> { await this.book.schedule(peer) }

  /** Last interval start scheduled with `peer`, or undefined. */
  async scheduledUpTo (peer: string): Promise<number | undefined> { return await this.book.scheduledUpTo(peer) }

  /** Intervals still being exchanged (with one neighbour, or all). */
  async pending (peer?: string): Promise<Array<{ peer: string, start: number }>> { return await this.book.pending(peer) }

  /** Co-signed attestations the neighbour has not acknowledged yet. */
  async deliveries (): Promise<Array<{ peer: string, start: number }>> { return await this.book.deliveries() }

  /** Where an interval stands. */
  async state (peer: string, start: number): Promise<IntervalState> { return await this.book.state(peer, start) }

  /** Our signed report for an interval, created once from the usage source and then kept. */
  async ownReport (peer: string, start: number): Promise<OwnReport> { return await this.shell.ownReport(peer, start) }

  /**
   * Work on one interval now if it is due: run an exchange (pending) or deliver the attestation
   * (attested). Answers where the interval stands after; a refused answer is rethrown once the
   * failed attempt is recorded.
   */
  async exchange (peer: string, start: number): Promise<IntervalPhase> {
    const run: InitiatorRun = {}
    const r = await this.shell.run(peer, start, { k: 'due' }, run)
    if (run.refusal !== undefined) throw run.refusal
    return r.state.phase
  }

  /** Hand the co-signed attestation to the neighbour (settlement catch-up); true once it acknowledged. */
  async deliver (peer: string, start: number): Promise<boolean> {
    const ev = await this.initiator.deliver(peer, start)
    if (ev.k !== 'delivered') return false
    await this.shell.run(peer, start, ev)
    return true
  }

  /** Check and store a co-signed attestation received outside an exchange (settlement catch-up). */
  async acceptAttestation (bytes: Uint8Array, peer: string): Promise<void> {
    const doc = this.checks.attestation(bytes, peer)
    await this.shell.run(peer, doc.body.interval.start, { k: 'attestation' }, { attestation: doc })
  }

  /** Fetch the co-signed attestation of an interval from the neighbour (settlement catch-up). */
  async fetchAttestation (peer: string, start: number): Promise<boolean> { return await this.initiator.fetch(peer, start) }

  /** Resolve our side of an open usage dispute by revising our figures (operator.ts). */
  async revise (peer: string, start: number, input: ReviseInput): Promise<ReviseOutcome> { return await this.operator.revise(peer, start, input) }

  /** Drop counters an operator knows are wrong (operator.ts). */
  async discard (peer: string, start: number, classes?: readonly string[]): Promise<{ discarded: number, reopened: boolean }> { return await this.operator.discard(peer, start, classes) }
}

/** The border service in the style of js-libp2p's services: `borderService()(components)`. */
export function borderService (): (components: BorderComponents) => BorderService {
  return (components) => new BorderService(components)
}
