/**
 * The clearer's batch settlement with one operator for one period, as a named lifecycle: a pure
 * transition function `step(state, event, now) -> { state, effects }`, no I/O. The state (phase,
 * offers made, when to try again) is stored in the `clearing-batch` area; settlement.ts is the shell
 * that runs the effects and feeds their outcomes back as events. A restart reads the stored state
 * and carries on from it.
 *
 *   open ──tick (period + grace over)──▶ offering ──cosigned [record]──▶ settled
 *                                         │    ▲    ──nothing──────────▶ empty
 *             refused [alert], or failed  │    │ tick (retry time come) [offer]
 *                                         ▼    │
 *                                        retrying
 *
 *   A tick in `offering` offers again (the answer was lost to a restart). `held` (a statement for
 *   the period is already stored) settles any phase but the final ones.
 *
 * - `open`: the period (and its grace) is not over; receipts may still clear into it.
 * - `offering`: our statement is being offered to the operator. Stored before the offer goes out,
 *   so a clearer that dies waiting for the answer offers again when it restarts (a tick in
 *   `offering` is exactly that); the operator answers a repeated offer with the same co-signed
 *   statement, so the batch still settles once.
 * - `retrying`: the operator refused (a person must look; retried after RETRY_REFUSED_MS) or the
 *   offer failed (unreachable, or an answer that does not check; retried after RETRY_FAILED_MS).
 * - `settled`: the co-signed statement is stored and its net posted, in the same batch as this state.
 * - `empty`: the ledger holds no line for the period: nothing to settle.
 */
import type { ClearingStatement } from '@splitedge/wire'
import type { SettlementBatch } from '@splitedge/store'

export type BatchState = SettlementBatch
export type BatchPhase = BatchState['phase']

export type BatchEvent =
  /** Time passed: `now` is the step's argument. */
  | { kind: 'tick' }
  /** The store already holds a statement for the period (with this id). */
  | { kind: 'held', statement: string }
  /** The ledger has no line for the operator in the period. */
  | { kind: 'nothing' }
  /** The operator co-signed our statement; it checks. */
  | { kind: 'cosigned', statement: ClearingStatement, id: string }
  /** The operator refused the statement. */
  | { kind: 'refused', code: string, reason: string }
  /** No usable answer: the operator unreachable, or a co-signed statement that does not check. */
  | { kind: 'failed', reason: string }

export type BatchEvents = BatchEvent['kind']

export type BatchEffect =
  /** Build the statement from the ledger and offer it; the outcome comes back as an event. */
  | { kind: 'offer' }
  /** Store the co-signed statement and post its net, in the same write as the new state. */
  | { kind: 'record', statement: ClearingStatement }
  /** A refusal: count a clearing dispute and warn, for a person to look at. */
  | { kind: 'alert', code: string, reason: string }

export interface Transition { state: BatchState, effects: BatchEffect[] }

/** A refused statement needs a person (or new evidence): not offered again before this long. */
export const RETRY_REFUSED_MS = 60_000
/** An unreachable operator, or an answer that did not check: a short wait. */
export const RETRY_FAILED_MS = 2_000

export const PHASES: readonly BatchPhase[] = ['open', 'offering', 'retrying', 'settled', 'empty']
export const EVENTS: readonly BatchEvents[] = ['tick', 'held', 'nothing', 'cosigned', 'refused', 'failed']

/** A new batch for `operator`'s period starting at `start`. */
export function openBatch (operator: string, start: number, periodMs: number, graceMs: number): BatchState {
  return { phase: 'open', operator, start, closeAt: start + periodMs + graceMs, attempts: 0 }
}

/** Settled and empty batches never change again. */
export function isFinal (s: BatchState): boolean {
  return s.phase === 'settled' || s.phase === 'empty'
}

const stay = (state: BatchState): Transition => ({ state, effects: [] })
const base = (s: BatchState): Pick<BatchState, 'operator' | 'start' | 'closeAt' | 'attempts'> =>
  ({ operator: s.operator, start: s.start, closeAt: s.closeAt, attempts: s.attempts })
const offer = (s: BatchState, now: number): Transition =>
  ({ state: { ...base(s), phase: 'offering', attempts: s.attempts + 1, since: now }, effects: [{ kind: 'offer' }] })

/** The next state of a batch and what to do for it. Events that do not apply to a phase change nothing. */
export function step (s: BatchState, e: BatchEvent, now: number): Transition {
  if (isFinal(s)) return stay(s)
  if (e.kind === 'held') return { state: { ...base(s), phase: 'settled', statement: e.statement }, effects: [] }
  switch (s.phase) {
    case 'open':
      return e.kind === 'tick' && now >= s.closeAt ? offer(s, now) : stay(s)
    case 'retrying':
      return e.kind === 'tick' && now >= s.nextAt ? offer(s, now) : stay(s)
    case 'offering':
      return answered(s, e, now)
  }
  return stay(s)
}

/** An offer's outcome (or a tick: the offer was lost to a restart or a failure, so offer again). */
function answered (s: BatchState, e: BatchEvent, now: number): Transition {
  switch (e.kind) {
    case 'tick':
      return offer(s, now)
    case 'nothing':
      return { state: { ...base(s), phase: 'empty' }, effects: [] }
    case 'cosigned':
      return { state: { ...base(s), phase: 'settled', statement: e.id }, effects: [{ kind: 'record', statement: e.statement }] }
    case 'refused':
      return {
        state: { ...base(s), phase: 'retrying', outcome: 'refused', code: e.code, reason: e.reason, nextAt: now + RETRY_REFUSED_MS },
        effects: [{ kind: 'alert', code: e.code, reason: e.reason }]
      }
    case 'failed':
      return { state: { ...base(s), phase: 'retrying', outcome: 'failed', code: 'failed', reason: e.reason, nextAt: now + RETRY_FAILED_MS }, effects: [] }
    case 'held':
      return { state: { ...base(s), phase: 'settled', statement: e.statement }, effects: [] }
  }
}

/** What a settlement attempt came to, as `settleDue` and `POST /v1/settle` report it. */
export type SettleResult = 'settled' | 'nothing' | 'open' | 'refused' | 'error'

export function resultOf (s: BatchState): SettleResult {
  switch (s.phase) {
    case 'open': return 'open'
    case 'settled': return 'settled'
    case 'empty': return 'nothing'
    case 'retrying': return s.outcome === 'refused' ? 'refused' : 'error'
    case 'offering': return 'error'
  }
}
