/**
 * The lifecycle of one settlement period of one border, as this side sees it (docs/protocol.md
 * 9.2), as a pure transition function: `(state, event, now) → { state, effects }`. No I/O and no
 * clock here; the settle service (the shell) loads the state, turns what happened into an event,
 * stores the new state in the same batch as the first durable effect, and runs the effects in
 * order. An effect either completes quietly or yields the next event; an event supersedes the
 * effects still queued.
 *
 * ```
 * open ──ready──▶ ready ──computed──▶ offered ──settled──▶ settled
 *   ▲               │                   ├──disputed──▶ disputed ──settled──▶ settled
 *   └──waiting──────┤                   ├──declined──▶ declined
 *                   └──nothing──▶ nothing | on-hold ──ready──▶ ready
 * ```
 *
 * Done (the settle cursor moves past it): settled, disputed, nothing, declined. `on-hold` is a
 * period with nothing to co-sign while a usage dispute of it is open: a revision may still attest
 * an interval, so it is tried again.
 */
import type { PeriodPhase, PeriodRecord } from '@splitedge/store'

export type { PeriodPhase } from '@splitedge/store'
export type PeriodState = PeriodRecord

/** A period nothing has happened to yet (no record stored). */
export const OPEN_PERIOD: PeriodState = { phase: 'open', attempts: 0, retryAt: 0, at: 0 }

export type PeriodEvent =
  /** A pass over the border reached the period, closed and due for this side. */
  | { k: 'due' }
  /** Our check: the period is not over here, or an interval of it is still pending. */
  | { k: 'waiting', reason: string }
  /** Our check: the period ends before this agent started settling the border. */
  | { k: 'before-start' }
  /** Our check: every interval is final. */
  | { k: 'ready' }
  /** Our statement is computed and signed. */
  | { k: 'computed' }
  /** A tariff version in force is missing here. */
  | { k: 'missing-tariff', reason: string }
  /** Nothing to co-sign; `disputeOpen` while a usage dispute of the period is still open. */
  | { k: 'nothing', disputeOpen: boolean }
  /** A co-signed statement: the neighbour's answer, or ours as the responder. */
  | { k: 'settled' }
  /** The neighbour needs documents, or has some we lack. */
  | { k: 'need' }
  /** The two statements differ (or ours cannot be computed). */
  | { k: 'disputed' }
  /** The neighbour declines the period. */
  | { k: 'declined', reason: string }
  /** The neighbour is not ready. */
  | { k: 'not-ready', reason: string }
  /** No answer, or an answer we refused. */
  | { k: 'failed', reason: string }

export type PeriodEffect =
  /** Evaluate readiness: yields waiting, before-start or ready. */
  | { k: 'check' }
  /** Compute and sign our statement: yields computed, nothing or missing-tariff. */
  | { k: 'compute' }
  /** Send our statement; yields the neighbour's answer as an event. */
  | { k: 'send-offer' }
  /** Store the co-signed statement and post its net, resolving an open dispute, in one write (durable). */
  | { k: 'store-statement' }
  /** Store the documents the neighbour sent and deliver the attestations it lacks. */
  | { k: 'take-need' }
  /** Record the settlement dispute (durable). */
  | { k: 'record-dispute' }
  /** Fetch the neighbour's tariff versions. */
  | { k: 'sync-tariffs' }
  /** Try again at `at` (only the state is written). */
  | { k: 'retry', at: number }

export interface PeriodTransition { state: PeriodState, effects: PeriodEffect[] }

/** Done: the settle cursor moves past the period. */
export const DONE: ReadonlySet<PeriodPhase> = new Set<PeriodPhase>(['settled', 'disputed', 'nothing', 'declined'])

/** When a closed period is due for this side: the lower PeerId at once, the other one interval later. */
export const periodDueAt = (end: number, t: { intervalMs: number, graceMs: number }, first: boolean): number => end + t.graceMs + (first ? 0 : t.intervalMs)

const same = (s: PeriodState): PeriodTransition => ({ state: s, effects: [] })
const enter = (phase: PeriodPhase, now: number, extra: Partial<PeriodState> = {}): PeriodState => ({ phase, attempts: 0, retryAt: now, at: now, ...extra })
const again = (s: PeriodState, now: number, reason: string, first: PeriodEffect[] = []): PeriodTransition =>
  ({ state: { ...s, attempts: s.attempts + 1, retryAt: now, at: now, reason: reason.slice(0, 512) }, effects: [...first, { k: 'retry', at: now }] })
const is = (s: PeriodState, ...phases: PeriodPhase[]): boolean => phases.includes(s.phase)
const ACTIVE: PeriodPhase[] = ['open', 'ready', 'offered', 'on-hold']

type Handler<E extends PeriodEvent['k']> = (s: PeriodState, e: Extract<PeriodEvent, { k: E }>, now: number) => PeriodTransition
type Handlers = { [E in PeriodEvent['k']]: Handler<E> }

const HANDLERS: Handlers = {
  due: (s, _e, now) => is(s, ...ACTIVE) && now >= s.retryAt ? { state: s, effects: [{ k: 'check' }] } : same(s),
  waiting: (s, e, now) => is(s, 'ready', 'offered', 'on-hold') ? { state: enter('open', now, { reason: e.reason.slice(0, 512) }), effects: [] } : same(s),
  'before-start': (s, _e, now) => is(s, ...ACTIVE) ? { state: enter('declined', now, { reason: 'before this agent started settling the border' }), effects: [] } : same(s),
  ready: (s, _e, now) => {
    if (is(s, 'open', 'on-hold')) return { state: enter('ready', now), effects: [{ k: 'compute' }] }
    if (is(s, 'ready', 'offered')) return { state: s, effects: [{ k: 'compute' }] }
    return same(s)
  },
  computed: (s, _e, now) => {
    if (is(s, 'ready')) return { state: { ...s, phase: 'offered', at: now }, effects: [{ k: 'send-offer' }] }
    return is(s, 'offered') ? { state: s, effects: [{ k: 'send-offer' }] } : same(s)
  },
  'missing-tariff': (s, e, now) => is(s, 'ready', 'offered') ? again(s, now, e.reason, [{ k: 'sync-tariffs' }]) : same(s),
  nothing: (s, e, now) => is(s, 'ready', 'offered')
    ? { state: enter(e.disputeOpen ? 'on-hold' : 'nothing', now), effects: [] }
    : same(s),
  settled: (s, _e, now) => is(s, 'settled') ? same(s) : { state: enter('settled', now), effects: [{ k: 'store-statement' }] },
  need: (s) => is(s, 'offered') ? { state: s, effects: [{ k: 'take-need' }] } : same(s),
  disputed: (s, _e, now) => is(s, 'settled') ? same(s) : { state: is(s, 'disputed') ? s : enter('disputed', now), effects: [{ k: 'record-dispute' }] },
  declined: (s, e, now) => is(s, ...ACTIVE) ? { state: enter('declined', now, { reason: e.reason.slice(0, 512) }), effects: [] } : same(s),
  'not-ready': (s, e, now) => is(s, 'offered') ? again(s, now, e.reason) : same(s),
  failed: (s, e, now) => is(s, 'offered') ? again(s, now, e.reason) : same(s)
}

/** The period's next state and the effects to run, for `event` at `now`. Pure. */
export function periodStep (state: PeriodState, event: PeriodEvent, now: number): PeriodTransition {
  const handler = HANDLERS[event.k] as (s: PeriodState, e: PeriodEvent, now: number) => PeriodTransition
  return handler(state, event, now)
}

export const periodChanged = (a: PeriodState, b: PeriodState): boolean =>
  a.phase !== b.phase || a.attempts !== b.attempts || a.retryAt !== b.retryAt || a.at !== b.at || a.reason !== b.reason
