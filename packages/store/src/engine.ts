// The store's one write path: steps run under a write lock (one batch at a time, in call order)
// against a transaction that sees its own writes; when every step succeeds, the planned ledger
// writes are checked (invariants.ts) and the whole batch is committed atomically with
// { sync: true }, so a write's promise resolves only once LevelDB has fsynced it.

import type { AbstractBatchOptions } from 'abstract-level'
import { CHART, type Chart } from './chart.js'
import { check, StoreError } from './errors.js'
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

export class Engine {
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  private abandoned = false
  private readonly ledger: LedgerState = { nextSeq: 0, totals: new Map() }
  private readonly counters: StoreStats = { keys: 0, bytesWritten: 0, batches: 0 }

  constructor (private readonly db: AnyLevel, private readonly owned: boolean, readonly subs: Subs, readonly chart: Chart = CHART) {}

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

  private async run<R extends OpResult> (steps: Array<Step<R>>): Promise<BatchOutcome<R>> {
    // Queued behind a write that was committing when the process died: never written.
    check(!this.abandoned, 'closed', 'the process stopped before this write')
    const tx = new Tx()
    const led = new LedgerTx(this.ledger, this.chart)
    const results: R[] = []
    for (const step of steps) results.push(await step(tx, led))
    if (results.some(failed)) return { ok: false, results: results.map(r => failed(r) ? r : 'linked-failed') }
    if (tx.ops.length > 0) {
      // Nothing that would break the ledger reaches the disk: checked on the planned writes.
      await verifyLedgerPlan(tx, this.subs, led)
      // The process died while this write was being prepared: it never reached the disk.
      check(!this.abandoned, 'closed', 'the process stopped before this write')
      await this.db.batch(tx.ops, SYNC).catch((err: unknown) => { throw ioError(err, 'write') })
      this.counters.keys += tx.keyDelta
      this.counters.bytesWritten += tx.bytes
      this.counters.batches++
      led.commit()
      for (const f of tx.onCommit) f()
    }
    return { ok: true, results }
  }
}
