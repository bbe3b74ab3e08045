// The store's one write path: steps run under a write lock (one batch at a time, in call order)
// against a transaction that sees its own writes; when every step succeeds, the planned ledger
// writes are checked (invariants.ts) and the whole batch is committed atomically with
// { sync: true }, so a write's promise resolves only once LevelDB has fsynced it.
//
// Group commit (stores on disk): the writes that arrive while a synced batch is being written
// wait, then are prepared one after another, each on top of the ones before it (it sees their
// writes, by key and by range: group.ts, and their ledger sequence and totals), each checked on
// its own, and share the next synced batch. A write that is refused (a failed step, a thrown
// StoreError, a broken ledger invariant) is left out of the batch alone. Every outcome, refusals
// included, is given only once its group's batch is on disk: an answer never runs ahead of the
// sync it may depend on. In-memory stores (the simulator) keep one batch per write, in order.

import type { AbstractBatchOptions } from 'abstract-level'
import { CHART, type Chart } from './chart.js'
import { check, StoreError } from './errors.js'
import { groupSubs, inGroup } from './group.js'
import { verifyLedgerPlan } from './invariants.js'
import { ioError } from './io.js'
import { decodeBalance, LedgerTx, type LedgerState } from './ledger.js'
import type { Subs } from './subs.js'
import { Tx, type AnyLevel } from './tx.js'
import type { DisputeResult, PostResult, PutResult, ReplaceResult, ResolveResult, StoreStats, UpdateDisputeResult } from './types.js'

/** Result of one operation of a batch. */
export type OpResult = PutResult | PostResult | DisputeResult | ResolveResult | ReplaceResult | UpdateDisputeResult | 'done' | 'conflict'

/** When ok is false nothing was written: failed operations say why, the others say 'linked-failed'. */
export interface BatchOutcome<R = OpResult> {
  ok: boolean
  results: Array<R | 'linked-failed'>
}

/** One operation of a batch, run inside the commit. */
export type Step<R extends OpResult = OpResult> = (tx: Tx, led: LedgerTx) => Promise<R>

const FAILURES: ReadonlySet<OpResult> = new Set<OpResult>([
  'conflict', 'amount-must-be-positive', 'accounts-must-differ', 'decimals-mismatch', 'unknown-account', 'currency-not-allowed', 'not-found'
])

const failed = (r: OpResult): boolean => FAILURES.has(r)

// classic-level fsyncs a batch written with sync: true; other backends ignore the option.
const SYNC: AbstractBatchOptions<string, Uint8Array> & { sync: boolean } = { sync: true }

/** A write waiting for its group's synced batch. */
interface Waiting { steps: Step[], resolve: (o: BatchOutcome) => void, reject: (err: unknown) => void }

/** At most this many writes share one synced batch. */
export const MAX_GROUP = 256

const copyLedger = (l: LedgerState): LedgerState => ({ nextSeq: l.nextSeq, totals: new Map(l.totals) })

export class Engine {
  /** The record kinds; with group commit, seen through the group being prepared (group.ts). */
  readonly subs: Subs
  /** Whether writes that queue behind a synced batch share the next one. */
  readonly grouped: boolean
  private queue: Promise<void> = Promise.resolve()
  /** Group commit: the writes waiting for the next group, and the loop writing groups while any wait. */
  private readonly waiting: Waiting[] = []
  private flushing: Promise<void> | undefined
  private closed = false
  private abandoned = false
  private readonly ledger: LedgerState = { nextSeq: 0, totals: new Map() }
  private readonly counters: StoreStats = { keys: 0, bytesWritten: 0, batches: 0 }

  /** `group`: group commit; by default for a database the store opened itself (on disk). */
  constructor (private readonly db: AnyLevel, private readonly owned: boolean, subs: Subs, readonly chart: Chart = CHART, group = owned) {
    this.grouped = group
    this.subs = group ? groupSubs(subs) : subs
  }

  /** Counts keys and restores the ledger's sequence and totals; asserts zero-sum. */
  async load (): Promise<void> {
    for (const sub of Object.values(this.subs)) {
      for await (const key of sub.keys()) if (key !== undefined) this.counters.keys++
    }
    for await (const last of this.subs.log.keys({ reverse: true, limit: 1 })) this.ledger.nextSeq = Number(last) + 1
    for await (const [k, v] of this.subs.balances.iterator()) {
      const b = decodeBalance(k, v)
      this.ledger.totals.set(b.currency, (this.ledger.totals.get(b.currency) ?? 0n) + b.net)
    }
    for (const [currency, total] of this.ledger.totals) {
      check(total === 0n, 'ledger-unbalanced', `on open, ${currency} balances sum to ${total}`)
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.queue
    while (this.flushing !== undefined) await this.flushing
    if (this.owned) await this.db.close()
  }

  abandon (): void {
    this.closed = true
    this.abandoned = true
  }

  stats (): StoreStats {
    return { ...this.counters }
  }

  assertOpen (): void {
    if (this.closed) throw new StoreError('closed', 'the store is closed')
  }

  /** Runs the steps under the write lock and commits them atomically. */
  async commit<R extends OpResult> (steps: Array<Step<R>>): Promise<BatchOutcome<R>> {
    this.assertOpen()
    if (this.grouped) {
      // The steps give R by their type; the group holds steps of every result type.
      const outcome = new Promise<BatchOutcome>((resolve, reject) => { this.waiting.push({ steps, resolve, reject }) })
      this.flushing ??= this.flush()
      return await (outcome as Promise<BatchOutcome<R>>)
    }
    const run = this.queue.then(async () => await this.run(steps))
    this.queue = run.then(() => undefined, () => undefined)
    return await run
  }

  /** Commits a single step; its result (when it failed, nothing was written). */
  async one<R extends OpResult> (step: Step<R>): Promise<R> {
    let result: R | undefined
    await this.commit([async (tx, led) => (result = await step(tx, led))])
    check(result !== undefined, 'corrupt', 'a step gave no result')
    return result
  }

  /** Runs the steps into `tx`; when all succeed, checks the ledger writes they plan (throws if refused). */
  private async plan<R extends OpResult> (steps: Array<Step<R>>, tx: Tx, led: LedgerTx): Promise<BatchOutcome<R>> {
    const results: R[] = []
    for (const step of steps) results.push(await step(tx, led))
    if (results.some(failed)) return { ok: false, results: results.map(r => failed(r) ? r : 'linked-failed') }
    // Nothing that would break the ledger reaches the disk: checked on the planned writes.
    if (tx.ops.length > 0) await verifyLedgerPlan(tx, this.subs, led)
    return { ok: true, results }
  }

  private async run<R extends OpResult> (steps: Array<Step<R>>): Promise<BatchOutcome<R>> {
    // Queued behind a write that was committing when the process died: never written.
    check(!this.abandoned, 'closed', 'the process stopped before this write')
    const tx = new Tx()
    const led = new LedgerTx(this.ledger, this.chart)
    const outcome = await this.plan(steps, tx, led)
    if (outcome.ok && tx.ops.length > 0) {
      // The process died while this write was being prepared: it never reached the disk.
      check(!this.abandoned, 'closed', 'the process stopped before this write')
      await this.db.batch(tx.ops, SYNC).catch((err: unknown) => { throw ioError(err, 'write') })
      this.counters.keys += tx.keyDelta
      this.counters.bytesWritten += tx.bytes
      this.counters.batches++
      led.commit()
      for (const f of tx.onCommit) f()
    }
    return outcome
  }

  /** Writes groups while writes wait; a write arriving meanwhile joins the next group. */
  private async flush (): Promise<void> {
    while (this.waiting.length > 0) await this.commitGroup(this.waiting.splice(0, MAX_GROUP))
    this.flushing = undefined
  }

  /** Prepares each write of the group on top of the ones before it, then writes them all in one synced batch. */
  private async commitGroup (group: Waiting[]): Promise<void> {
    const all = new Tx()
    let ledger = copyLedger(this.ledger)
    const answers: Array<() => void> = []
    for (const w of group) {
      try {
        // Queued behind a write that was committing when the process died: never written.
        check(!this.abandoned, 'closed', 'the process stopped before this write')
        const tx = new Tx(all)
        const next = copyLedger(ledger)
        const led = new LedgerTx(next, this.chart)
        const outcome = await inGroup(all, async () => await this.plan(w.steps, tx, led))
        if (outcome.ok) {
          led.commit()
          all.absorb(tx)
          ledger = next
        }
        answers.push(() => { w.resolve(outcome) })
      } catch (err) {
        // Refused alone: its writes were never added to the group.
        answers.push(() => { w.reject(err) })
      }
    }
    if (all.ops.length > 0) {
      try {
        // The process died while this group was being prepared: it never reached the disk.
        check(!this.abandoned, 'closed', 'the process stopped before this write')
        await this.db.batch(all.ops, SYNC).catch((err: unknown) => { throw ioError(err, 'write') })
      } catch (err) {
        // Nothing of the group was written; every answer prepared on top of it fails with it.
        for (const w of group) w.reject(err)
        return
      }
      this.counters.keys += all.keyDelta
      this.counters.bytesWritten += all.bytes
      this.counters.batches++
      this.ledger.nextSeq = ledger.nextSeq
      for (const [currency, total] of ledger.totals) this.ledger.totals.set(currency, total)
      for (const f of all.onCommit) f()
    }
    for (const answer of answers) answer()
  }
}
