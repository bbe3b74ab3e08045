/**
 * The settle protocol (docs/protocol.md 8.4): at each period end both sides compute the
 * SettlementStatement from the co-signed attestations and the tariff versions in force, compare,
 * and co-sign on a match; otherwise each records a dispute listing the differing lines. The net is
 * posted to the double-entry ledger in the same durable write that stores the co-signed statement.
 *
 * One exchange: the initiator sends its statement signed by itself. The responder first makes sure
 * both hold the same inputs (answering `need` with the documents the initiator lacks and the ids it
 * lacks itself), computes its own, and on a match adds its signature, stores and answers with the
 * co-signed statement, which the initiator checks and stores.
 *
 * Where each period stands is its lifecycle (period.ts: a pure transition function), stored per
 * period; the border's settle cursor (the oldest period not yet done) is stored too, so nothing of
 * it lives only in memory. This service is the thin shell: the effects (shell.ts), the responder
 * (responder.ts), the checks and durable writes (records.ts) and the statement's inputs
 * (statement.ts).
 */
import type { SettlementStatement } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { MAX_FRAME_BYTES, PROTOCOLS } from '@splitedge/node'
import { periodOf, type Period } from '../clock/intervals.js'
import { Locks, Runner } from '../border/run.js'
import type { SettleComponents } from './components.js'
import { DONE, OPEN_PERIOD, periodDueAt, type PeriodState } from './period.js'
import { SettleRecords } from './records.js'
import { SettleResponder } from './responder.js'
import { PeriodShell, type PeriodRun } from './shell.js'
import { Statements, type Readiness } from './statement.js'

export type { SettleComponents } from './components.js'

export type SettleOutcome = 'settled' | 'disputed' | 'not-ready' | 'retry' | 'declined' | 'nothing' | 'error'

/** Most settle exchanges a pass makes with one neighbour. */
const MAX_TRIES = 64

export class SettleService {
  private readonly statements: Statements
  private readonly shell: PeriodShell
  private readonly responder: SettleResponder

  constructor (private readonly c: SettleComponents, locks = new Locks()) {
    this.statements = new Statements(c)
    this.shell = new PeriodShell(c, this.statements, new SettleRecords(c), new Runner(c.store, c.clock, locks))
    this.responder = new SettleResponder(c, this.statements, this.shell)
  }

  async start (): Promise<void> {
    await this.c.net.handle(PROTOCOLS.settle, async (bytes, peer) => await this.responder.serve(bytes, peer), {
      maxRequestBytes: MAX_FRAME_BYTES.settle,
      allow: (peer) => this.c.neighbours.has(peer),
      timeoutMs: 30_000
    })
  }

  periodLength (): number { return this.statements.periodLength() }

  /** Is every interval of the period with `peer` attested, disputed or skipped, and the period over? */
  async ready (peer: string, p: Period): Promise<Readiness> { return await this.statements.ready(peer, p) }

  /** Is a usage dispute about an interval of the period still open? */
  async usageDisputeOpen (peer: string, p: Period): Promise<boolean> { return await this.statements.usageDisputeOpen(peer, p) }

  /** Our statement for the period, signed by us, or undefined when there is nothing to settle. */
  async compute (peer: string, p: Period): Promise<SettlementStatement | undefined> { return await this.statements.compute(peer, p) }

  /** Where a period stands. */
  async state (peer: string, start: number): Promise<PeriodState> { return await this.shell.slot(peer, start).load() }

  /** One attempt to settle the period as the initiator; a refused answer is rethrown once recorded. */
  async settle (peer: string, p: Period): Promise<SettleOutcome> {
    const run: PeriodRun = {}
    const { state } = await this.shell.run(peer, p, { k: 'due' }, run)
    if (run.refusal !== undefined) throw run.refusal
    return outcomeOf(state, run)
  }

  /**
   * Settle the border's closed periods in order, from the oldest not yet done (the stored cursor).
   * At most 64 settle exchanges a pass, but every due period is visited: a period on hold (nothing
   * to co-sign while a usage dispute of it is open) must not keep later periods from settling. A
   * period not ready, or not answered, stops the pass; the next pass tries again.
   */
  async work (peer: string, first: boolean, now: number): Promise<void> {
    const { config } = this.c
    const len = this.periodLength()
    const lc = this.shell.lifecycle
    const border = borderOf(this.c.identity.peerId, peer)
    const from = await lc.mark(border, 'settled') ?? periodOf(await this.c.border.since(peer), config.intervalMs, config.periodIntervals).start
    let cursor = from
    try {
      for (let tries = 0, start = from; tries < MAX_TRIES && start + len + config.graceMs <= now; start += len) {
        const p: Period = { start, end: start + len }
        const done = async (): Promise<boolean> => DONE.has((await lc.period(border, start) ?? OPEN_PERIOD).phase)
        if (await done()) { if (cursor === start) cursor += len; continue }
        if (now < periodDueAt(p.end, config, first)) break
        tries++
        if ((await this.settle(peer, p)) === 'retry') await this.settle(peer, p)
        if (await done()) { if (cursor === start) cursor += len; continue }
        if ((await lc.period(border, start))?.phase === 'on-hold') continue
        break
      }
    } finally {
      if (cursor !== from) await lc.putMark(this.c.store.batch(), border, 'settled', cursor).write()
    }
  }
}

function outcomeOf (s: PeriodState, run: PeriodRun): SettleOutcome {
  switch (s.phase) {
    case 'settled': case 'disputed': case 'declined': case 'nothing': return s.phase
    case 'on-hold': return 'nothing'
    case 'offered': return run.need !== undefined ? 'retry' : run.unanswered === true ? 'error' : 'not-ready'
    default: return 'not-ready'
  }
}

/** The settle service in the style of js-libp2p's services: `settleService()(components)`. */
export function settleService (): (components: SettleComponents) => SettleService {
  return (components) => new SettleService(components)
}
