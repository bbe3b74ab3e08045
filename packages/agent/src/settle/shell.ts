/**
 * The period lifecycle's I/O shell: runs events through `periodStep` (period.ts) on the stored
 * state and executes the effects it asks for. The statements an event came with travel in the
 * run's context (`PeriodRun`), from the effect that got them to the effect that stores them.
 */
import { decodeDocument, encodeDocument, type SettlementStatement } from '@splitedge/wire'
import { borderOf, Lifecycle } from '@splitedge/store'
import { MAX_FRAME_BYTES, PROTOCOLS, SettleRequest, SettleResponse, decodeFrame, encodeFrame } from '@splitedge/node'
import type { Period } from '../clock/intervals.js'
import { pad, ProtocolRefusal } from '../border/service.js'
import type { Machine, Runner, RunResult, Slot, Stamp } from '../border/run.js'
import { MissingTariff } from './assemble.js'
import type { SettleComponents } from './components.js'
import { OPEN_PERIOD, periodChanged, periodStep, type PeriodEffect, type PeriodEvent, type PeriodState } from './period.js'
import type { SettleRecords } from './records.js'
import type { Statements } from './statement.js'

const REMOTE: ReadonlySet<PeriodEffect['k']> = new Set(['send-offer', 'take-need'])

export const PERIOD_MACHINE: Machine<PeriodState, PeriodEvent, PeriodEffect> = { step: periodStep, changed: periodChanged, remote: (f) => REMOTE.has(f.k) }

/** What one run carries from effect to effect. */
export interface PeriodRun {
  /** Our statement, signed by us. */
  mine?: SettlementStatement
  /** The co-signed statement to store; `held` when it is stored already. */
  statement?: SettlementStatement
  held?: boolean
  /** The neighbour's statement we dispute, and why (when ours cannot be computed). */
  theirs?: SettlementStatement
  note?: string
  /** The dispute is recorded already. */
  recorded?: boolean
  /** What the neighbour asked for. */
  need?: { docs: Uint8Array[], missing: string[] }
  /** The request failed (no answer). */
  unanswered?: boolean
  /** A refused answer, rethrown once the failure is recorded. */
  refusal?: ProtocolRefusal
}

export class PeriodShell {
  readonly lifecycle: Lifecycle

  constructor (private readonly c: SettleComponents, private readonly statements: Statements, readonly records: SettleRecords, private readonly runner: Runner) {
    this.lifecycle = new Lifecycle(c.store)
  }

  slot (peer: string, start: number): Slot<PeriodState> {
    const border = borderOf(this.c.identity.peerId, peer)
    return {
      key: `period:${border}:${start}`,
      load: async () => await this.lifecycle.period(border, start) ?? OPEN_PERIOD,
      put: (batch, state) => this.lifecycle.putPeriod(batch, border, start, state)
    }
  }

  /** Apply `event` to the period and run everything it leads to. */
  async run (peer: string, p: Period, event: PeriodEvent, run: PeriodRun = {}): Promise<RunResult<PeriodState>> {
    const trace = this.c.trace
    return await this.runner.run(PERIOD_MACHINE, this.slot(peer, p.start), event,
      async (f, stamp) => await this.exec(peer, p, f, stamp, run),
      trace === undefined ? undefined : async (effect, state) => { await trace({ machine: 'period', peer, start: p.start, effect, state }) })
  }

  private async exec (peer: string, p: Period, f: PeriodEffect, stamp: Stamp, run: PeriodRun): Promise<PeriodEvent | undefined> {
    const need = <T>(v: T | undefined, what: string): T => { if (v === undefined) throw new Error(`${f.k}: no ${what} in this run`); return v }
    switch (f.k) {
      case 'check': return await this.check(peer, p, run)
      case 'compute': return await this.compute(peer, p, run)
      case 'send-offer': return await this.offer(peer, p, need(run.mine, 'statement of ours'), run)
      case 'take-need': await this.takeNeed(peer, p, need(run.need, 'need')); return
      case 'store-statement':
        if (run.held === true) await stamp(this.c.store.batch()).write()
        else await this.records.storeStatement(peer, need(run.statement, 'statement'), stamp)
        return
      case 'record-dispute':
        if (run.recorded === true) await stamp(this.c.store.batch()).write()
        else await this.records.recordDispute(peer, p, run.mine, need(run.theirs, 'their statement'), run.note, stamp)
        return
      case 'sync-tariffs': void this.c.tariffs.sync(peer); return
      case 'retry': await stamp(this.c.store.batch()).write()
    }
  }

  /** Readiness, after what the store already says: a statement held, or a dispute recorded. */
  private async check (peer: string, p: Period, run: PeriodRun): Promise<PeriodEvent> {
    const border = borderOf(this.c.identity.peerId, peer)
    if ((await this.c.store.getStatement(border, p.start)) !== undefined) { run.held = true; return { k: 'settled' } }
    const dispute = await this.c.store.getDispute('settlement', border, pad(p.start))
    if (dispute !== undefined && dispute.status === 'open') { run.recorded = true; return { k: 'disputed' } }
    const ready = await this.statements.ready(peer, p)
    if (ready.ok) return { k: 'ready' }
    return ready.why === 'before-start' ? { k: 'before-start' } : { k: 'waiting', reason: `period ${ready.why} here` }
  }

  private async compute (peer: string, p: Period, run: PeriodRun): Promise<PeriodEvent> {
    let mine: SettlementStatement | undefined
    try {
      mine = await this.statements.compute(peer, p)
    } catch (err) {
      if (err instanceof MissingTariff) return { k: 'missing-tariff', reason: err.message }
      throw err
    }
    if (mine === undefined) return { k: 'nothing', disputeOpen: await this.statements.usageDisputeOpen(peer, p) }
    if (mine.body.attestations.length === 0 && await this.statements.usageDisputeOpen(peer, p)) return { k: 'nothing', disputeOpen: true }
    run.mine = mine
    return { k: 'computed' }
  }

  /** Send our statement; the neighbour's answer as the period's next event. */
  private async offer (peer: string, p: Period, mine: SettlementStatement, run: PeriodRun): Promise<PeriodEvent> {
    const { c } = this
    let res: SettleResponse
    try {
      const frame = encodeFrame(SettleRequest, { k: 'statement', doc: encodeDocument(mine) })
      res = decodeFrame(SettleResponse, await c.net.request(peer, PROTOCOLS.settle, frame, { maxResponseBytes: MAX_FRAME_BYTES.settle, timeoutMs: 30_000 }))
    } catch (err) {
      c.metrics.exchanges.inc({ protocol: 'settle', result: 'error' })
      c.log.debug({ peer: this.records.nameOf(peer), err: (err as Error).message }, 'settle exchange failed; will retry')
      run.unanswered = true
      return { k: 'failed', reason: (err as Error).message }
    }
    c.metrics.exchanges.inc({ protocol: 'settle', result: res.k })
    try {
      return this.answer(peer, p, res, run)
    } catch (err) {
      if (!(err instanceof ProtocolRefusal)) throw err
      run.refusal = err
      return { k: 'failed', reason: err.message }
    }
  }

  private answer (peer: string, p: Period, res: SettleResponse, run: PeriodRun): PeriodEvent {
    switch (res.k) {
      case 'statement': {
        const full = this.records.check(res.doc, peer, [this.c.identity.peerId, peer])
        if (full.body.period.start !== p.start) throw this.records.refuse('period-mismatch', 'answer is for another period')
        run.statement = full
        return { k: 'settled' }
      }
      case 'need': run.need = { docs: res.docs, missing: res.missing }; return { k: 'need' }
      case 'dispute': run.theirs = this.records.check(res.doc, peer, [peer]); return { k: 'disputed' }
      case 'declined': return { k: 'declined', reason: res.reason }
      default: return { k: 'not-ready', reason: res.reason }
    }
  }

  /** Store the documents the neighbour sent (tariffs as by sync, attestations), and deliver the attestations it lacks. */
  private async takeNeed (peer: string, p: Period, need: { docs: Uint8Array[], missing: string[] }): Promise<void> {
    const { border, tariffs } = this.c
    for (const bytes of need.docs) {
      const t = decodeDocument(bytes)
      if (!t.ok) continue
      if (t.value.type === 'tariff') await tariffs.ingest(bytes, peer, 'sync')
      else if (t.value.type === 'usage-attestation') await border.acceptAttestation(bytes, peer)
    }
    const byId = new Map((await this.statements.attestationsOf(peer, p)).map(a => [a.id, a]))
    for (const id of need.missing) {
      const a = byId.get(id)
      if (a !== undefined) await border.deliver(peer, a.doc.body.interval.start)
    }
  }
}
