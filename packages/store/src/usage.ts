// Usage counters: the interval totals an agent has acknowledged to its usage sources, and the
// idempotency keys of the pushes that made them. Adding to a counter, sealing it into a signed
// report and closing an interval that will never be reported are all steps of the store's one
// serialised commit, so a push is either counted in the report or refused: never acknowledged and
// then lost. The arithmetic itself is the caller's (a pure `apply` function per item).

import { decodeJson, encodeJson, type Json } from './codec.js'
import { check } from './errors.js'
import { border as checkBorder, join, pad, part } from './keys.js'
import type { Sub, Tx } from './tx.js'

export interface UsageCounterLine { class: string, from: string, to: string, volume: string, messages?: number }
export interface UsageCounterMetric { subject: string, class: string, metric: string, value: string }

/** One interval's counters with one neighbour. `version` grows with every change. */
export interface UsageCounters {
  version: number
  /** Set once the interval is closed: the id of the report that carries it, or why it never will be. */
  sealed?: string
  lines: Record<string, UsageCounterLine>
  metrics: Record<string, UsageCounterMetric>
}

/** What one pushed item does to its interval's counters: a new value, or why it cannot be added. */
export type UsageApply = (current: UsageCounters) => UsageCounters | { refused: string }

/** An idempotency key and the digest of what was sent with it. */
export interface UsageKey { key: string, digest: string }

export interface UsageItem {
  border: string
  start: number
  /** Per-item idempotency: a repeat with the same digest is skipped as a duplicate. */
  key?: UsageKey
  apply: UsageApply
}

export interface UsagePlan {
  /** The reporter whose report seals the interval (our own PeerId). */
  reporter: string
  /** Whole-request idempotency (an Idempotency-Key header): a repeat answers the first answer. */
  key?: UsageKey
  items: UsageItem[]
  /** The answer to store with the keys, from the numbers of items applied and skipped. */
  answer: (applied: number, duplicates: number) => Json
}

export type AddUsageResult =
  | { status: 'added', answer: Json }
  | { status: 'replayed', answer: Json }
  | { status: 'key-reused', key: string }
  | { status: 'sealed', item: number, border: string, start: number, sealed: string }
  | { status: 'refused', item: number, border: string, start: number, reason: string }

export interface UsageSubs {
  /** border \0 intervalStart -> UsageCounters */
  usage: Sub
  /** key -> { digest, answer } */
  usageKeys: Sub
  /** border \0 intervalStart \0 reporter -> report envelope (read only here) */
  reports: Sub
}

export function usageKey (border: string, start: number): string {
  return join(checkBorder(border), pad(start, 'intervalStart'))
}

export const EMPTY_COUNTERS: UsageCounters = Object.freeze({ version: 0, lines: {}, metrics: {} }) as UsageCounters

export function decodeCounters (v: Uint8Array | undefined): UsageCounters | undefined {
  return v === undefined ? undefined : decodeJson<UsageCounters>(v)
}

interface KeyRecord { digest: string, answer: Json }

/**
 * The step behind Store.addUsage. `outcome` receives the detailed result; the step's own result
 * is 'done', or 'conflict' (which makes the commit write nothing) when anything is refused.
 */
export async function planUsage (tx: Tx, subs: UsageSubs, plan: UsagePlan, outcome: (r: AddUsageResult) => void): Promise<'done' | 'conflict'> {
  if (plan.key !== undefined) {
    const held = await readKey(tx, subs, plan.key.key)
    if (held !== undefined) {
      outcome(held.digest === plan.key.digest ? { status: 'replayed', answer: held.answer } : { status: 'key-reused', key: plan.key.key })
      return held.digest === plan.key.digest ? 'done' : 'conflict'
    }
  }
  const changed = new Map<string, UsageCounters>()
  const seen = new Map<string, string>()
  let applied = 0
  let duplicates = 0
  for (const [i, item] of plan.items.entries()) {
    if (item.key !== undefined) {
      const digest = seen.get(item.key.key) ?? (await readKey(tx, subs, item.key.key))?.digest
      if (digest !== undefined && digest !== item.key.digest) { outcome({ status: 'key-reused', key: item.key.key }); return 'conflict' }
      if (digest !== undefined) { duplicates++; continue }
      seen.set(item.key.key, item.key.digest)
    }
    const k = usageKey(item.border, item.start)
    const current = changed.get(k) ?? await readCounters(tx, subs, item.border, item.start, plan.reporter)
    if (current.sealed !== undefined) { outcome({ status: 'sealed', item: i, border: item.border, start: item.start, sealed: current.sealed }); return 'conflict' }
    const next = item.apply(current)
    if ('refused' in next) { outcome({ status: 'refused', item: i, border: item.border, start: item.start, reason: next.refused }); return 'conflict' }
    changed.set(k, { ...next, version: current.version + 1 })
    applied++
  }
  const answer = plan.answer(applied, duplicates)
  for (const [k, c] of changed) await tx.put(subs.usage, k, encodeJson(c))
  for (const [key, digest] of seen) await tx.put(subs.usageKeys, part(key, 'idempotency key'), encodeJson({ digest, answer }))
  if (plan.key !== undefined) await tx.put(subs.usageKeys, part(plan.key.key, 'idempotency key'), encodeJson({ digest: plan.key.digest, answer }))
  outcome({ status: 'added', answer })
  return 'done'
}

/** An interval's counters; sealed already when a report of ours for it exists (older stores). */
async function readCounters (tx: Tx, subs: UsageSubs, border: string, start: number, reporter: string): Promise<UsageCounters> {
  const held = decodeCounters(await tx.get(subs.usage, usageKey(border, start)))
  if (held?.sealed !== undefined) return held
  const report = await tx.get(subs.reports, join(usageKey(border, start), part(reporter, 'reporter')))
  const base = held ?? EMPTY_COUNTERS
  return report === undefined ? base : { ...base, sealed: 'report' }
}

async function readKey (tx: Tx, subs: UsageSubs, key: string): Promise<KeyRecord | undefined> {
  const v = await tx.get(subs.usageKeys, part(key, 'idempotency key'))
  return v === undefined ? undefined : decodeJson<KeyRecord>(v)
}

/**
 * Seal an interval's counters into the report `sealedBy`: 'conflict' when they changed since
 * `version` was read (the report must be built again from the newer counters).
 */
export async function sealUsage (tx: Tx, subs: UsageSubs, border: string, start: number, version: number, sealedBy: string): Promise<'done' | 'conflict'> {
  const k = usageKey(border, start)
  const held = decodeCounters(await tx.get(subs.usage, k)) ?? EMPTY_COUNTERS
  if (held.version !== version || (held.sealed !== undefined && held.sealed !== sealedBy)) return 'conflict'
  await tx.put(subs.usage, k, encodeJson({ ...held, sealed: sealedBy }))
  return 'done'
}

/** Close an interval that will never be reported (declined, unreportable): later pushes get 'sealed'. */
export async function closeUsage (tx: Tx, subs: UsageSubs, border: string, start: number, why: string): Promise<'done'> {
  const k = usageKey(border, start)
  const held = decodeCounters(await tx.get(subs.usage, k)) ?? EMPTY_COUNTERS
  if (held.sealed === undefined) await tx.put(subs.usage, k, encodeJson({ ...held, version: held.version + 1, sealed: why }))
  return 'done'
}

/**
 * Replace an interval's counters (a revision's corrected figures, or an operator's discard) and
 * set whether it is sealed. `expectOpen` refuses ('conflict') when the interval is sealed already.
 */
export async function replaceUsage (tx: Tx, subs: UsageSubs, border: string, start: number, next: Omit<UsageCounters, 'version'>, expectOpen: boolean): Promise<'done' | 'conflict'> {
  const k = usageKey(border, start)
  const held = decodeCounters(await tx.get(subs.usage, k)) ?? EMPTY_COUNTERS
  if (expectOpen && held.sealed !== undefined) return 'conflict'
  check(typeof next.lines === 'object' && typeof next.metrics === 'object', 'invalid-argument', 'counters need lines and metrics')
  await tx.put(subs.usage, k, encodeJson({ ...next, version: held.version + 1 }))
  return 'done'
}
