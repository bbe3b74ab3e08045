/**
 * Reconciliation of the two sides' reports for one border and interval (DESIGN.md section 5).
 * Pure and symmetric: both agents compute the same result from the same two reports, whichever
 * side they are on.
 *
 * Rule `lower-within-relative`: for each (class, from, to) figure, if |a - b| <= tolerance * max(a, b)
 * the attested figure is the lower one; otherwise the interval is disputed. SLA metrics: within
 * tolerance the attested value is the one less favourable to the network whose criteria it is
 * judged against (the higher delay/loss, the lower availability/throughput).
 */
import { compareDecimal, isWithinRelative } from './decimal.js'
import type { MetricInput, UsageLineInput } from '../usage/types.js'

export interface ReportFigures { lines: UsageLineInput[], metrics: MetricInput[] }

export interface Difference { key: string, a: string | null, b: string | null }

export type Reconciled =
  | { ok: true, lines: UsageLineInput[], metrics: MetricInput[] }
  | { ok: false, differences: Difference[] }

/** Metrics where a larger value is better service. */
export function higherIsBetter (metric: string): boolean {
  return /^(availability|throughput)/.test(metric)
}

const lineKey = (l: UsageLineInput): string => `${l.class}\u0000${l.from}\u0000${l.to}`
const metricKey = (m: MetricInput): string => `${m.subject}\u0000${m.class}\u0000${m.metric}`
const cmpStr = (x: string, y: string): number => x < y ? -1 : x > y ? 1 : 0

export function reconcile (a: ReportFigures, b: ReportFigures, tolerance: string): Reconciled {
  const differences: Difference[] = []
  const lines: UsageLineInput[] = []
  const am = new Map(a.lines.map(l => [lineKey(l), l]))
  const bm = new Map(b.lines.map(l => [lineKey(l), l]))
  for (const key of [...new Set([...am.keys(), ...bm.keys()])].sort(cmpStr)) {
    const la = am.get(key)
    const lb = bm.get(key)
    const va = la?.volume ?? '0'
    const vb = lb?.volume ?? '0'
    if (!isWithinRelative(va, vb, tolerance)) { differences.push({ key, a: la?.volume ?? null, b: lb?.volume ?? null }); continue }
    const base = (la ?? lb) as UsageLineInput
    const line: UsageLineInput = { class: base.class, from: base.from, to: base.to, volume: compareDecimal(va, vb) <= 0 ? va : vb }
    const ma = la?.messages ?? '0'
    const mb = lb?.messages ?? '0'
    if (la?.messages !== undefined || lb?.messages !== undefined) {
      if (!isWithinRelative(ma, mb, tolerance)) { differences.push({ key: key + '\u0000messages', a: la?.messages ?? null, b: lb?.messages ?? null }); continue }
      line.messages = compareDecimal(ma, mb) <= 0 ? ma : mb
    }
    if (line.volume === '0' && (line.messages === undefined || line.messages === '0')) continue
    lines.push(line)
  }
  const metrics: MetricInput[] = []
  const ax = new Map(a.metrics.map(m => [metricKey(m), m]))
  const bx = new Map(b.metrics.map(m => [metricKey(m), m]))
  for (const key of [...new Set([...ax.keys(), ...bx.keys()])].sort(cmpStr)) {
    const ma = ax.get(key)
    const mb = bx.get(key)
    if (ma === undefined || mb === undefined) {
      // Only one side measured it: agreed only if the other side had no opinion is not safe, so dispute.
      differences.push({ key, a: ma?.value ?? null, b: mb?.value ?? null })
      continue
    }
    if (!isWithinRelative(ma.value, mb.value, tolerance)) { differences.push({ key, a: ma.value, b: mb.value }); continue }
    const c = compareDecimal(ma.value, mb.value)
    const worse = higherIsBetter(ma.metric) ? (c <= 0 ? ma.value : mb.value) : (c >= 0 ? ma.value : mb.value)
    metrics.push({ subject: ma.subject, class: ma.class, metric: ma.metric, value: worse })
  }
  if (differences.length > 0) return { ok: false, differences }
  return { ok: true, lines, metrics }
}
