/**
 * The I/O shell of the batch settlement lifecycle (batch.ts): it reads a batch's stored state, asks
 * `step` what to do, writes the new state (with a co-signed statement and its net posting, when
 * that is the effect) in one synced batch, then runs the remaining effects: an offer over the
 * network, whose outcome is the next event, and alerts. Nothing lives in memory between ticks, so
 * a restarted clearer continues every batch from the store alone.
 */
import { borderOf, clearingKeys, postingsOf, type StoreBatch } from '@splitedge/store'
import { decodeDocument, docId, encodeDocument, verifyDocument, type ClearingStatement } from '@splitedge/wire'
import { decodeFrame, encodeFrame } from '@splitedge/node'
import { isFinal, openBatch, resultOf, step, type BatchEffect, type BatchEvent, type BatchState, type SettleResult } from './batch.js'
import type { ClearingBooks } from './books.js'
import { opAccount, type ClearerParts } from './components.js'
import { CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES, SettleAnswerFrame, SettleOfferFrame } from './frames.js'

export interface SettlementInit {
  periodMs: number
  graceMs: number
  /** The operators the clearer settles with. */
  operators: string[]
}

export type SettlementParts = Pick<ClearerParts, 'identity' | 'store' | 'records' | 'net' | 'clock' | 'log' | 'metrics' | 'serial' | 'nameOf'> & {
  /** Statements are built from the ledger by the books. */
  books: Pick<ClearingBooks, 'statementFor'>
}

export interface SettleAttempt { operator: string, start: number, result: SettleResult }

const same = (a: BatchState, b: BatchState): boolean => JSON.stringify(a) === JSON.stringify(b)

export class BatchSettlement {
  constructor (private readonly init: SettlementInit, private readonly c: SettlementParts) {}

  /**
   * Give every period with cleared receipts a batch, if it has none and no statement: receipts
   * cleared before batches were stored. Run once when the clearer starts.
   */
  async adopt (): Promise<number> {
    const { store, records, identity } = this.c
    const batch = store.batch()
    for (const op of this.init.operators) {
      const starts = new Set<number>()
      for (const e of await store.entries(opAccount(op))) {
        if (e.ref.startsWith('clear ')) starts.add(e.time - (e.time % this.init.periodMs))
      }
      for (const start of starts) {
        if ((await records.batch(op, start)) !== undefined || (await store.getStatement(borderOf(identity.peerId, op), start)) !== undefined) continue
        batch.put(records.batches, clearingKeys.batch(op, start), openBatch(op, start, this.init.periodMs, this.init.graceMs))
      }
    }
    if (batch.length === 0) return 0
    const w = await batch.write()
    if (!w.ok) throw new Error(`batches not stored: ${w.results.join(',')}`)
    return batch.length
  }

  /** Move every batch on as far as it goes now; the batches that were offered, with what came of it. */
  async settleDue (): Promise<SettleAttempt[]> {
    const out: SettleAttempt[] = []
    for (const b of await this.c.records.allBatches()) {
      if (isFinal(b)) continue
      const r = await this.c.serial.run(async () => await this.advance(b.operator, b.start))
      if (r?.offered === true) out.push({ operator: b.operator, start: b.start, result: r.result })
    }
    return out
  }

  /** Move one batch on now; 'nothing' when the period cleared no receipt of `operator`. */
  async settle (operator: string, start: number): Promise<SettleResult> {
    return (await this.c.serial.run(async () => await this.advance(operator, start)))?.result ?? 'nothing'
  }

  /** Step the batch from its stored state until it waits: on time, or on nothing left to do. */
  private async advance (operator: string, start: number): Promise<{ result: SettleResult, offered: boolean } | undefined> {
    let state = await this.c.records.batch(operator, start)
    if (state === undefined) return undefined
    let event: BatchEvent | undefined = { kind: 'tick' }
    let offered = false
    while (event !== undefined) {
      const t = step(state, event, this.c.clock.now())
      if (!same(state, t.state)) await this.commit(t.state, t.effects)
      state = t.state
      event = undefined
      for (const effect of t.effects) {
        if (effect.kind === 'offer') { offered = true; event = await this.offer(state) }
        if (effect.kind === 'alert') this.alert(state, effect.code, effect.reason)
      }
    }
    return { result: resultOf(state), offered }
  }

  /** Write the new state, and a co-signed statement with its net posting when one is to be recorded. */
  private async commit (state: BatchState, effects: BatchEffect[]): Promise<void> {
    const { store, records } = this.c
    const batch = store.batch().put(records.batches, clearingKeys.batch(state.operator, state.start), state)
    const recorded: ClearingStatement[] = []
    for (const e of effects) if (e.kind === 'record') { this.record(batch, state, e.statement); recorded.push(e.statement) }
    const w = await batch.write()
    if (!w.ok) throw new Error(`batch ${state.operator}@${state.start} (${state.phase}) conflicts with the store: ${w.results.join(',')}`)
    for (const full of recorded) {
      this.c.metrics.statements.inc()
      this.c.log.info({ operator: this.c.nameOf(state.operator), period: full.body.period, net: full.body.net, currency: full.body.currency, id: docId(full) }, 'clearing period settled')
    }
  }

  /** The co-signed statement and the money that moves at settlement (the period's net), into `batch`. */
  private record (batch: StoreBatch, state: BatchState, full: ClearingStatement): void {
    const statement = { border: borderOf(this.c.identity.peerId, state.operator), periodStart: state.start, id: docId(full), bytes: encodeDocument(full) }
    batch.putPostedStatement(statement, postingsOf(full, { of: 'clearer' }))
  }

  /** Offer our statement for the batch's period; the operator's answer as an event. */
  private async offer (state: BatchState): Promise<BatchEvent> {
    const { operator, start } = state
    const held = await this.c.store.getStatement(borderOf(this.c.identity.peerId, operator), start)
    if (held !== undefined) return { kind: 'held', statement: held.id }
    const offer = await this.c.books.statementFor(operator, start)
    if (offer === undefined) return { kind: 'nothing' }
    let answer: SettleAnswerFrame
    try {
      answer = decodeFrame(SettleAnswerFrame, await this.c.net.request(operator, CLEARING_PROTOCOLS.settle,
        encodeFrame(SettleOfferFrame, { statement: encodeDocument(offer.doc), evidence: offer.evidence }),
        { maxResponseBytes: MAX_CLEARING_FRAME_BYTES.settle, timeoutMs: 30_000 }))
    } catch (e) {
      this.c.log.debug({ operator: this.c.nameOf(operator), err: (e as Error).message }, 'clearing settlement failed; will retry')
      return { kind: 'failed', reason: (e as Error).message }
    }
    if (answer.k === 'refused') return { kind: 'refused', code: answer.code, reason: answer.reason }
    const d = decodeDocument(answer.doc, 'clearing-statement')
    if (!d.ok || docId(d.value) !== docId(offer.doc) || !verifyDocument(d.value).ok) {
      this.c.log.warn({ operator: this.c.nameOf(operator) }, 'co-signed clearing statement does not check')
      return { kind: 'failed', reason: 'the co-signed statement does not check' }
    }
    return { kind: 'cosigned', statement: d.value, id: docId(d.value) }
  }

  private alert (state: BatchState, code: string, reason: string): void {
    this.c.metrics.disputes.inc({ kind: 'clearing' })
    this.c.log.warn({ operator: this.c.nameOf(state.operator), period: state.start, code }, `clearing statement refused: ${reason}`)
  }
}
