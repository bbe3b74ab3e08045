/**
 * Checking one pushed item, as it arrives from HTTP, a file or the flow collector: untrusted until
 * every field is checked. Pure: the clock reading, the interval length and the neighbour lookup are
 * arguments. What needs the store or the tariffs (the border's first interval, the classes priced)
 * is checked by the intake afterwards.
 */
import { createHash } from 'node:crypto'
import type { Refusals } from '@splitedge/wire'
import { isDecimalText } from '@splitedge/model'
import { intervalStartOf } from '../clock/intervals.js'
import { volumeProblem } from './counters.js'

/** One counter push: what crossed the border with `neighbour` (a name or PeerId). */
export interface UsagePush {
  neighbour: string
  /** Any time inside the interval (ms since epoch); or give `intervalStart`. */
  time?: number
  intervalStart?: number
  class: string
  /** `out`: from us into the neighbour; `in`: from the neighbour into us. */
  direction: 'in' | 'out'
  volume: string
  messages?: number
  /** Idempotency key of this item: a repeat with the same body is counted once. */
  id?: string
}

/** One SLA measurement push: `subject` is `self` or `neighbour`. */
export interface MetricPush {
  neighbour: string
  time?: number
  intervalStart?: number
  class: string
  subject: 'self' | 'neighbour'
  metric: string
  value: string
  id?: string
}

/** Refusal codes of the intake; the HTTP layer maps each to a status (http/errors.ts). */
export type UsageErrorCode = Refusals<
  | 'invalid' | 'unknown-neighbour' | 'in-future' | 'interval-closed' | 'before-border' | 'unpriced-class'
  | 'over-limit' | 'key-reused' | 'storage-full' | 'storage-failed'
>

export class UsageError extends Error {
  constructor (readonly code: UsageErrorCode, readonly field: string, message: string) {
    super(`${field}: ${message}`)
    this.name = 'UsageError'
  }
}

export interface PushContext {
  me: string
  intervalMs: number
  clockSkewMs: number
  now: number
  /** A configured neighbour's PeerId from its name or PeerId; throws UsageError naming `field`. */
  resolvePeer: (nameOrId: string, field: string) => string
}

/** A checked item: which counters it changes and how, and its idempotency key. */
export type CheckedPush = {
  peer: string
  start: number
  field: string
  id?: { key: string, digest: string }
} & (
  | { kind: 'line', class: string, from: string, to: string, volume: string, messages?: number }
  | { kind: 'metric', class: string, subject: string, metric: string, value: string }
)

const CLASS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const METRIC = /^[a-z][a-z0-9_]{0,63}$/
const ID = /^[A-Za-z0-9._:@/-]{1,128}$/
const ITEM_FIELDS = new Set(['neighbour', 'time', 'intervalStart', 'class', 'direction', 'volume', 'messages', 'subject', 'metric', 'value', 'id'])

export const digestOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex')

/** The interval an item is for: `intervalStart`, or the interval holding `time` (both must agree). */
export function intervalOf (p: { time?: unknown, intervalStart?: unknown }, field: string, ctx: Pick<PushContext, 'intervalMs' | 'now'>): number {
  const { intervalMs } = ctx
  let fromTime: number | undefined
  if (p.time !== undefined) {
    if (typeof p.time !== 'number' || !Number.isSafeInteger(p.time) || p.time < 0) throw new UsageError('invalid', `${field}.time`, 'must be milliseconds since the epoch')
    fromTime = intervalStartOf(p.time, intervalMs)
  }
  if (p.intervalStart === undefined) return fromTime ?? intervalStartOf(ctx.now, intervalMs)
  const s = p.intervalStart
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0 || s % intervalMs !== 0) throw new UsageError('invalid', `${field}.intervalStart`, `must be a multiple of the interval length ${intervalMs}`)
  if (fromTime !== undefined && fromTime !== s) throw new UsageError('invalid', `${field}.intervalStart`, `${s} is not the interval holding time ${String(p.time)} (${fromTime}); give one of the two`)
  return s
}

/** Check one untrusted item; throws UsageError naming the field. */
export function checkPush (raw: unknown, field: string, ctx: PushContext): CheckedPush {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError('invalid', field, 'must be an object')
  const item = raw as Record<string, unknown>
  for (const k of Object.keys(item)) if (!ITEM_FIELDS.has(k)) throw new UsageError('invalid', `${field}.${k}`, `unknown field; use ${[...ITEM_FIELDS].join(', ')}`)
  if (typeof item.neighbour !== 'string') throw new UsageError('invalid', `${field}.neighbour`, 'must be a neighbour\'s name or PeerId')
  const peer = ctx.resolvePeer(item.neighbour, `${field}.neighbour`)
  const start = intervalOf(item, field, ctx)
  if (start > ctx.now + ctx.clockSkewMs) throw new UsageError('in-future', `${field}.${item.time !== undefined ? 'time' : 'intervalStart'}`, 'is in the future')
  if (typeof item.class !== 'string' || !CLASS.test(item.class)) throw new UsageError('invalid', `${field}.class`, 'must be a class id like "be"')
  if (item.id !== undefined && (typeof item.id !== 'string' || !ID.test(item.id))) throw new UsageError('invalid', `${field}.id`, 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : @ / -')
  const base = { peer, start, field, class: item.class }
  const checked = 'direction' in item || 'volume' in item ? lineOf(item, base, ctx.me) : metricOf(item, base, ctx.me)
  if (item.id === undefined) return checked
  const { field: _f, ...content } = checked
  return { ...checked, id: { key: `item:${item.id}`, digest: digestOf(content) } }
}

function lineOf (item: Record<string, unknown>, base: { peer: string, start: number, field: string, class: string }, me: string): CheckedPush {
  const f = base.field
  if ('metric' in item || 'value' in item || 'subject' in item) throw new UsageError('invalid', f, 'give either direction+volume (usage) or subject+metric+value (SLA measurement), not both')
  if (item.direction !== 'in' && item.direction !== 'out') throw new UsageError('invalid', `${f}.direction`, 'must be "in" or "out"')
  if (typeof item.volume !== 'string' || !isDecimalText(item.volume) || item.volume.startsWith('-')) throw new UsageError('invalid', `${f}.volume`, `must be a non-negative decimal string, got ${JSON.stringify(item.volume)}`)
  const vp = volumeProblem(item.volume, false)
  if (vp !== undefined) throw new UsageError('over-limit', `${f}.volume`, vp)
  if (item.messages !== undefined && (typeof item.messages !== 'number' || !Number.isSafeInteger(item.messages) || item.messages < 0)) throw new UsageError('invalid', `${f}.messages`, 'must be a non-negative integer')
  const [from, to] = item.direction === 'out' ? [me, base.peer] : [base.peer, me]
  return { ...base, kind: 'line', from, to, volume: item.volume, ...(item.messages !== undefined ? { messages: item.messages as number } : {}) }
}

function metricOf (item: Record<string, unknown>, base: { peer: string, start: number, field: string, class: string }, me: string): CheckedPush {
  const f = base.field
  if (!('metric' in item)) throw new UsageError('invalid', f, 'needs either direction+volume (usage) or subject+metric+value (SLA measurement)')
  if (typeof item.metric !== 'string' || !METRIC.test(item.metric)) throw new UsageError('invalid', `${f}.metric`, 'must be a metric name like delay_ms (lower-case letters, digits, _)')
  if (typeof item.value !== 'string' || !isDecimalText(item.value) || item.value.length > 40) throw new UsageError('invalid', `${f}.value`, 'must be a decimal string of at most 40 characters')
  const subject = item.subject === 'self' ? me : item.subject === 'neighbour' ? base.peer : undefined
  if (subject === undefined) throw new UsageError('invalid', `${f}.subject`, 'must be "self" or "neighbour"')
  return { ...base, kind: 'metric', subject, metric: item.metric, value: item.value }
}
