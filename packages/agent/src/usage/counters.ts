/**
 * Interval counters as pure values: adding a pushed volume or setting a measured metric, refused
 * when the result could not be signed in a usage report or priced in a statement. Refusing here,
 * at the push, is what keeps a border from wedging on a report that can never be built.
 */
import { add, dec, format } from '@splitedge/model'
import { MAX_DOCUMENT_BYTES, MAX_LINES, MAX_METRICS } from '@splitedge/wire'
import type { UsageCounterLine, UsageCounterMetric, UsageCounters } from '@splitedge/store'
import type { MetricInput, UsageLineInput } from './types.js'

/** What one report (and so one interval's counters) may hold. */
export const USAGE_LIMITS = {
  lines: MAX_LINES,
  metrics: MAX_METRICS,
  /** A volume, and an interval's total, stays below 10^30 units with at most 18 decimal places. */
  volumeIntegerDigits: 30,
  volumeFractionDigits: 18,
  messages: Number.MAX_SAFE_INTEGER,
  /** Encoded size of a report's lines and metrics, leaving room for the envelope and signatures. */
  reportBytes: MAX_DOCUMENT_BYTES['usage-report'] - 16 * 1024
} as const

export type Refused = { refused: string }

/** Why a volume (or a total) is out of bounds, or undefined. */
export function volumeProblem (volume: string, integral: boolean): string | undefined {
  const [int = '', frac = ''] = volume.split('.')
  if (int.replace(/^0+(?=.)/, '').length > USAGE_LIMITS.volumeIntegerDigits) return `must be below 10^${USAGE_LIMITS.volumeIntegerDigits}`
  if (frac.length > USAGE_LIMITS.volumeFractionDigits) return `has more than ${USAGE_LIMITS.volumeFractionDigits} decimal places`
  if (integral && /[1-9]/.test(frac)) return 'must be a whole number: the tariff counts whole octets or packets'
  return undefined
}

// Size of one line or metric in the report's DAG-CBOR: field names, headers and the strings.
const lineBytes = (l: UsageCounterLine): number => 48 + l.class.length + l.from.length + l.to.length + l.volume.length + (l.messages !== undefined ? 18 : 0)
const metricBytes = (m: UsageCounterMetric): number => 48 + m.subject.length + m.class.length + m.metric.length + m.value.length

export function reportBytes (c: UsageCounters): number {
  let n = 0
  for (const l of Object.values(c.lines)) n += lineBytes(l)
  for (const m of Object.values(c.metrics)) n += metricBytes(m)
  return n
}

export const lineKey = (l: { class: string, from: string, to: string }): string => `${l.class}|${l.from}|${l.to}`
export const metricKey = (m: { subject: string, class: string, metric: string }): string => `${m.subject}|${m.class}|${m.metric}`

/** Add a pushed volume (and message count) to its line, within the limits. */
export function addLine (c: UsageCounters, l: UsageCounterLine, integral: boolean): UsageCounters | Refused {
  const k = lineKey(l)
  const prev = c.lines[k]
  if (prev === undefined && Object.keys(c.lines).length >= USAGE_LIMITS.lines) return { refused: `the interval already has ${USAGE_LIMITS.lines} lines (class × direction), the most one report holds` }
  const volume = format(add(dec(prev?.volume ?? '0'), dec(l.volume)))
  const vp = volumeProblem(volume, integral)
  if (vp !== undefined) return { refused: `the interval's total ${l.class} volume ${vp}` }
  const messages = (prev?.messages ?? 0) + (l.messages ?? 0)
  if (messages > USAGE_LIMITS.messages) return { refused: `the interval's ${l.class} message count would pass ${USAGE_LIMITS.messages}` }
  const line: UsageCounterLine = { class: l.class, from: l.from, to: l.to, volume, ...(prev?.messages !== undefined || l.messages !== undefined ? { messages } : {}) }
  return withinSize({ ...c, lines: { ...c.lines, [k]: line } })
}

/** Set a measured metric (the latest measurement of an interval wins). */
export function setMetric (c: UsageCounters, m: UsageCounterMetric): UsageCounters | Refused {
  const k = metricKey(m)
  if (c.metrics[k] === undefined && Object.keys(c.metrics).length >= USAGE_LIMITS.metrics) return { refused: `the interval already has ${USAGE_LIMITS.metrics} metrics, the most one report holds` }
  return withinSize({ ...c, metrics: { ...c.metrics, [k]: { ...m } } })
}

function withinSize (c: UsageCounters): UsageCounters | Refused {
  const n = reportBytes(c)
  return n > USAGE_LIMITS.reportBytes ? { refused: `the interval's report would be about ${n} bytes, over the ${USAGE_LIMITS.reportBytes} a report may hold` } : c
}

/** A report's lines from counters, in a stable order. */
export function linesOf (c: Pick<UsageCounters, 'lines'>): UsageLineInput[] {
  return Object.keys(c.lines).sort().map(k => {
    const l = c.lines[k] as UsageCounterLine
    return { class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) }
  })
}

export function metricsOf (c: Pick<UsageCounters, 'metrics'>): MetricInput[] {
  return Object.keys(c.metrics).sort().map(k => ({ ...(c.metrics[k] as UsageCounterMetric) }))
}

/** The counters without the lines and metrics of `classes` (all of them when undefined). */
export function withoutClasses (c: Pick<UsageCounters, 'lines' | 'metrics'>, classes?: readonly string[]): Pick<UsageCounters, 'lines' | 'metrics'> & { discarded: number } {
  const keep = (cls: string): boolean => classes !== undefined && !classes.includes(cls)
  const lines = Object.fromEntries(Object.entries(c.lines).filter(([, l]) => keep(l.class)))
  const metrics = Object.fromEntries(Object.entries(c.metrics).filter(([, m]) => keep(m.class)))
  const discarded = Object.keys(c.lines).length - Object.keys(lines).length + Object.keys(c.metrics).length - Object.keys(metrics).length
  return { lines, metrics, discarded }
}
