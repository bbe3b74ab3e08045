/**
 * The lifecycle of one interval of one border, as this side sees it (docs/protocol.md 9.1), as a
 * pure transition function: `(state, event, now) → { state, effects }`. No I/O and no clock here;
 * the border service (the shell) loads the state, turns what happened into an event, stores the new
 * state in the same batch as the first durable effect, and runs the effects in order. An effect
 * either completes quietly or yields the next event; an event supersedes the effects still queued.
 *
 * ```
 * open ──close──▶ scheduled ──eligible──▶ reported ──cosigned──▶ attested ──delivered──▶ delivered
 *   │                 │                      │  └──attestation──────────────────────────▶ delivered
 *   └──asked──▶ reported                     ├──disagreed──▶ disputed ──revised──▶ scheduled
 *                     │                      ├──declined───▶ skipped
 *                     └──unreportable──▶ unreportable ──discarded──▶ scheduled
 * ```
 *
 * Final for settlement: attested, delivered, disputed, unreportable, skipped (an open dispute
 * leaves the interval out of its period unless a revision makes it pending again). Work is left in
 * scheduled, reported (exchange) and attested (delivery).
 */
import type { IntervalPhase, IntervalRecord } from '@splitedge/store'

export type { IntervalPhase } from '@splitedge/store'
export type IntervalState = IntervalRecord

/** An interval nothing has happened to yet (no record stored). */
export const OPEN_INTERVAL: IntervalState = { phase: 'open', attempts: 0, retryAt: 0, at: 0 }

export type IntervalEvent =
  /** The interval closed here; this side may start its exchange at `due`. */
  | { k: 'close', due: number }
  /** A pass over the border's work reached the interval. */
  | { k: 'due' }
  /** Our own checks pass: we may report the interval. */
  | { k: 'eligible' }
  /** The neighbour sent its report and our checks pass; this side would start at `due`. */
  | { k: 'asked', due: number }
  /** We or the neighbour leave the interval out for good. */
  | { k: 'declined', reason: string }
  /** Not yet, here (the neighbour's tariff, the interval not closed) or there. */
  | { k: 'not-ready', reason: string }
  /** No answer, or an answer we refused; or a delivery that was not acknowledged. */
  | { k: 'failed', reason: string }
  /** Our counters cannot be signed into a report. */
  | { k: 'unreportable', reason: string }
  /** Responder: the neighbour's report reconciles with ours; our half of the attestation goes back. */
  | { k: 'agreed' }
  /** Initiator: the neighbour's half checks out and we co-signed. */
  | { k: 'cosigned' }
  /** A co-signed attestation arrived: as an answer, as a delivery, or fetched. */
  | { k: 'attestation' }
  /** Figures beyond tolerance here, or the neighbour disputes. */
  | { k: 'disagreed' }
  /** The neighbour acknowledged our co-signed attestation. */
  | { k: 'delivered' }
  /** The operator revised our figures for a disputed interval. */
  | { k: 'revised' }
  /** The operator discarded counters of the interval. */
  | { k: 'discarded' }

export type IntervalEffect =
  /** Evaluate our own checks (since, tariffs in force, closed here); yields eligible, declined or not-ready. */
  | { k: 'check' }
  /** Sign our report from the counters and store it with the seal (durable); may yield unreportable. */
  | { k: 'make-report' }
  /** Send our report; yields the neighbour's answer as an event. */
  | { k: 'send-report' }
  /** Responder: store the neighbour's report before answering with our half (durable). */
  | { k: 'keep-report' }
  /** Store the co-signed attestation (and the neighbour's report, and resolve an open dispute), durable. */
  | { k: 'store-attestation' }
  /** Hand the co-signed attestation to the neighbour; yields delivered or failed. */
  | { k: 'deliver' }
  /** Store the neighbour's report and the usage dispute (durable). */
  | { k: 'record-dispute' }
  /** Record a usage dispute saying why our report cannot be signed, and close the counters (durable). */
  | { k: 'record-unreportable', reason: string }
  /** Close the counters: the interval is left out for good (durable). */
  | { k: 'skip', reason: string }
  /** The operator's revision: our new report, the dispute resolved, the counters replaced (durable). */
  | { k: 'store-revision' }
  /** Drop counters an operator knows are wrong (durable); `reopen` also resolves the unreportable dispute. */
  | { k: 'drop-counters', reopen: boolean }
  /** Try again at `at` (only the state is written). */
  | { k: 'retry', at: number }

export interface IntervalTransition {
  state: IntervalState
  effects: IntervalEffect[]
  /** Set when an operator's event is refused in this state (protocol events are ignored instead). */
  refused?: string
}

/** When an interval closes here, and when this side may start its exchange. */
export interface IntervalTiming { intervalMs: number, graceMs: number }

/** The end of the interval plus the grace time. */
export const closesAt = (start: number, t: IntervalTiming): number => start + t.intervalMs + t.graceMs

/** The lower PeerId of a border starts at once; the other steps in half an interval later if it has not. */
export const dueAt = (start: number, t: IntervalTiming, first: boolean): number => closesAt(start, t) + (first ? 0 : t.intervalMs / 2)

/** Final for settlement: the interval counts (attested) or is left out (disputed, unreportable, skipped). */
export const SETTLES: ReadonlySet<IntervalPhase> = new Set<IntervalPhase>(['attested', 'delivered', 'disputed', 'unreportable', 'skipped'])
/** Still being exchanged. */
export const PENDING: ReadonlySet<IntervalPhase> = new Set<IntervalPhase>(['scheduled', 'reported'])

const same = (s: IntervalState): IntervalTransition => ({ state: s, effects: [] })
const refuse = (s: IntervalState, why: string): IntervalTransition => ({ state: s, effects: [], refused: why })
const enter = (phase: IntervalPhase, now: number, extra: Partial<IntervalState> = {}): IntervalState => ({ phase, attempts: 0, retryAt: now, at: now, ...extra })
const again = (s: IntervalState, now: number, reason: string): IntervalTransition => {
  const state: IntervalState = { ...s, attempts: s.attempts + 1, retryAt: now, at: now, reason: reason.slice(0, 512) }
  return { state, effects: [{ k: 'retry', at: now }] }
}
const is = (s: IntervalState, ...phases: IntervalPhase[]): boolean => phases.includes(s.phase)

type Handler<E extends IntervalEvent['k']> = (s: IntervalState, e: Extract<IntervalEvent, { k: E }>, now: number) => IntervalTransition
type Handlers = { [E in IntervalEvent['k']]: Handler<E> }

const HANDLERS: Handlers = {
  close: (s, e, now) => is(s, 'open') ? { state: enter('scheduled', now, { retryAt: e.due }), effects: [] } : same(s),
  due: (s, _e, now) => {
    if (now < s.retryAt) return same(s)
    if (is(s, 'scheduled', 'reported')) return { state: s, effects: [{ k: 'check' }] }
    if (is(s, 'attested')) return { state: s, effects: [{ k: 'deliver' }] }
    return same(s)
  },
  eligible: (s, _e, now) => {
    if (is(s, 'scheduled')) return { state: { ...s, phase: 'reported', at: now }, effects: [{ k: 'make-report' }, { k: 'send-report' }] }
    if (is(s, 'reported')) return { state: s, effects: [{ k: 'send-report' }] }
    return same(s)
  },
  asked: (s, e, now) => {
    if (is(s, 'open')) return { state: enter('reported', now, { retryAt: e.due }), effects: [{ k: 'make-report' }] }
    if (is(s, 'scheduled')) return { state: { ...s, phase: 'reported', at: now }, effects: [{ k: 'make-report' }] }
    if (is(s, 'reported', 'disputed', 'unreportable')) return { state: s, effects: [{ k: 'make-report' }] }
    return same(s)
  },
  declined: (s, e, now) => is(s, 'open', 'scheduled', 'reported')
    ? { state: enter('skipped', now, { reason: e.reason.slice(0, 512) }), effects: [{ k: 'skip', reason: e.reason }] }
    : same(s),
  'not-ready': (s, e, now) => is(s, 'scheduled', 'reported') ? again(s, now, e.reason) : same(s),
  failed: (s, e, now) => is(s, 'scheduled', 'reported', 'attested') ? again(s, now, e.reason) : same(s),
  unreportable: (s, e, now) => is(s, 'open', 'scheduled', 'reported')
    ? { state: enter('unreportable', now, { reason: e.reason.slice(0, 512) }), effects: [{ k: 'record-unreportable', reason: e.reason }] }
    : same(s),
  agreed: (s) => is(s, 'reported', 'disputed') ? { state: s, effects: [{ k: 'keep-report' }] } : same(s),
  cosigned: (s, _e, now) => is(s, 'scheduled', 'reported', 'disputed')
    ? { state: enter('attested', now), effects: [{ k: 'store-attestation' }, { k: 'deliver' }] }
    : same(s),
  attestation: (s, _e, now) => is(s, 'delivered') ? same(s) : { state: enter('delivered', now), effects: [{ k: 'store-attestation' }] },
  disagreed: (s, _e, now) => is(s, 'open', 'scheduled', 'reported', 'disputed')
    ? { state: is(s, 'disputed') ? s : enter('disputed', now), effects: [{ k: 'record-dispute' }] }
    : same(s),
  delivered: (s, _e, now) => is(s, 'attested') ? { state: enter('delivered', now), effects: [] } : same(s),
  revised: (s, _e, now) => is(s, 'disputed')
    ? { state: enter('scheduled', now), effects: [{ k: 'store-revision' }] }
    : refuse(s, `the interval is ${s.phase}, not disputed`),
  discarded: (s, _e, now) => {
    if (is(s, 'unreportable')) return { state: enter('scheduled', now), effects: [{ k: 'drop-counters', reopen: true }] }
    if (is(s, 'open', 'scheduled')) return { state: s, effects: [{ k: 'drop-counters', reopen: false }] }
    return refuse(s, `the interval is ${s.phase}: its counters are closed`)
  }
}

/** The interval's next state and the effects to run, for `event` at `now`. Pure. */
export function intervalStep (state: IntervalState, event: IntervalEvent, now: number): IntervalTransition {
  const handler = HANDLERS[event.k] as (s: IntervalState, e: IntervalEvent, now: number) => IntervalTransition
  return handler(state, event, now)
}

/** Whether the step changed what is stored. */
export const changed = (a: IntervalState, b: IntervalState): boolean =>
  a.phase !== b.phase || a.attempts !== b.attempts || a.retryAt !== b.retryAt || a.at !== b.at || a.reason !== b.reason
