/**
 * Reconciliation of the two sides' reports for one border and interval (docs/protocol.md).
 * Pure and symmetric: both agents compute the same result from the same two reports, whichever
 * side they are on.
 *
 * Volumes, rule `lower-within-relative`: for each (class, from, to) figure, if
 * |a - b| <= tolerance * max(a, b) the attested figure is the lower one; otherwise the interval is
 * disputed (`ok: false`).
 *
 * SLA metrics are reconciled apart from volumes: a metric the two sides disagree on is left out of
 * the attestation and listed in `metricDifferences`, and never voids attested volume.
 * - Both reported it, within tolerance: the value less favourable to the judged network (subject)
 *   is attested; which way is worse comes from the subject's criterion (`rules.direction`), upTo
 *   bands meaning lower is better, atLeast bands higher is better.
 * - Only one side reported it: taken when the reporter is the subject's neighbour; a subject's
 *   report about itself counts alone only where its criterion says `selfReport: true`.
 * - Left out, a metric takes the criterion's default at settlement, or factor 1 with a note.
 */
import { parseCriteria, type PricingTariff, type SlaCriterion } from '@splitedge/model'
import { docId, type UsageAttestationBody, type UsageReport } from '@splitedge/wire'
import { compareDecimal, isWithinRelative } from './decimal.js'
import type { MetricInput, UsageLineInput } from '../usage/types.js'

export interface ReportFigures {
  lines: UsageLineInput[]
  metrics: MetricInput[]
  /** Who signed these figures; without it a one-sided metric cannot be attributed and is left out. */
  reporter?: string
}

export interface Difference { key: string, a: string | null, b: string | null, reason?: string }

/**
 * What the parties' tariffs say: a metric's better direction, whether a self-report counts, and
 * the receiving side's name of a usage line's class (class maps).
 */
export interface MetricRules {
  direction?: (m: MetricInput) => 'lower' | 'higher' | 'none'
  selfReport?: (m: MetricInput) => boolean
  /** The receiver's class for a line (default: the line's own class). */
  lineClass?: (l: UsageLineInput) => string
}

export type Reconciled =
  | { ok: true, lines: UsageLineInput[], metrics: MetricInput[], metricDifferences: Difference[] }
  | { ok: false, differences: Difference[] }

const lineKey = (l: UsageLineInput): string => `${l.class}\u0000${l.from}\u0000${l.to}`
const metricKey = (m: MetricInput): string => `${m.subject}\u0000${m.class}\u0000${m.metric}`
const cmpStr = (x: string, y: string): number => x < y ? -1 : x > y ? 1 : 0

export function reconcile (a: ReportFigures, b: ReportFigures, tolerance: string, rules: MetricRules = {}): Reconciled {
  const differences: Difference[] = []
  const lines: UsageLineInput[] = []
  const am = receiverNamed(a.lines, rules, differences)
  const bm = receiverNamed(b.lines, rules, differences)
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
  if (differences.length > 0) return { ok: false, differences }
  return { ok: true, lines, ...reconcileMetrics(a, b, tolerance, rules) }
}

/**
 * A report's lines keyed in the receiving side's class names (`rules.lineClass`). Two lines of one
 * report that land on one class (the sender's name and the receiver's name of one class, given
 * apart) are a difference: the interval is disputed rather than either figure guessed.
 */
function receiverNamed (list: UsageLineInput[], rules: MetricRules, differences: Difference[]): Map<string, UsageLineInput> {
  const out = new Map<string, UsageLineInput>()
  for (const l of list) {
    const line = rules.lineClass === undefined ? l : { ...l, class: rules.lineClass(l) }
    const key = lineKey(line)
    const held = out.get(key)
    if (held !== undefined) differences.push({ key, a: held.volume, b: line.volume, reason: `${JSON.stringify(l.class)} and another class of one report are carried as the same class` })
    else out.set(key, line)
  }
  return out
}

/** The metrics both sides can sign, and those left out with the reason. */
function reconcileMetrics (a: ReportFigures, b: ReportFigures, tolerance: string, rules: MetricRules): { metrics: MetricInput[], metricDifferences: Difference[] } {
  const metrics: MetricInput[] = []
  const metricDifferences: Difference[] = []
  const ax = new Map(a.metrics.map(m => [metricKey(m), m]))
  const bx = new Map(b.metrics.map(m => [metricKey(m), m]))
  for (const key of [...new Set([...ax.keys(), ...bx.keys()])].sort(cmpStr)) {
    const ma = ax.get(key)
    const mb = bx.get(key)
    if (ma === undefined || mb === undefined) {
      const only = (ma ?? mb) as MetricInput
      const reporter = ma !== undefined ? a.reporter : b.reporter
      const why = oneSided(only, reporter, rules)
      if (why === undefined) metrics.push({ ...only })
      else metricDifferences.push({ key, a: ma?.value ?? null, b: mb?.value ?? null, reason: why })
      continue
    }
    if (!isWithinRelative(ma.value, mb.value, tolerance)) {
      metricDifferences.push({ key, a: ma.value, b: mb.value, reason: 'beyond tolerance' })
      continue
    }
    const c = compareDecimal(ma.value, mb.value)
    const higherBetter = rules.direction !== undefined ? rules.direction(ma) === 'higher' : guessHigherIsBetter(ma.metric)
    const worse = higherBetter ? (c <= 0 ? ma.value : mb.value) : (c >= 0 ? ma.value : mb.value)
    metrics.push({ subject: ma.subject, class: ma.class, metric: ma.metric, value: worse })
  }
  return { metrics, metricDifferences }
}

/** Why a metric only one side reported cannot be attested, or undefined when it can. */
function oneSided (m: MetricInput, reporter: string | undefined, rules: MetricRules): string | undefined {
  if (reporter === undefined) return 'reported by one side only'
  if (reporter !== m.subject) return undefined
  if (rules.selfReport?.(m) === true) return undefined
  return 'reported only by the judged network itself, and its criterion does not allow self-reports'
}

/**
 * Only for callers that cannot supply the tariffs (`rules.direction` absent): the old guess from
 * the metric's name. Callers holding the tariffs in force use `metricRulesFrom`.
 */
function guessHigherIsBetter (metric: string): boolean {
  return /^(availability|throughput)/.test(metric)
}

/**
 * Metric rules from the two parties' tariffs in force for the interval (keyed by party): each
 * subject's criterion for the class toward the other party (its bilateral block first) gives the
 * direction (from its bands) and whether a self-report counts.
 */
export function metricRulesFrom (pricing: Record<string, PricingTariff>): MetricRules {
  const criterion = (m: MetricInput): SlaCriterion | undefined => {
    const t = Object.hasOwn(pricing, m.subject) ? pricing[m.subject] : undefined
    if (t === undefined) return undefined
    const other = Object.keys(pricing).find(k => k !== m.subject) ?? ''
    const bilateral = t.bilateralSla !== undefined && Object.hasOwn(t.bilateralSla, other) ? t.bilateralSla[other] : undefined
    const list = (bilateral !== undefined && Object.hasOwn(bilateral, m.class) ? bilateral[m.class] : undefined) ??
      (Object.hasOwn(t.classes, m.class) ? t.classes[m.class]?.sla : undefined)
    return list?.find(c => c.metric === m.metric)
  }
  return {
    lineClass: l => lineClassFrom(pricing, l),
    direction: m => {
      const c = criterion(m)
      if (c === undefined) return 'none'
      try { return parseCriteria([c], 'sla')[0]?.direction ?? 'none' } catch { return 'none' }
    },
    selfReport: m => criterion(m)?.selfReport === true
  }
}

/**
 * Class maps (paper App. A): usage is attested in the receiving side's class names. A line whose
 * class the receiver's map for the sender renames (a sender's name) is translated; a receiver's
 * name passes unchanged. Each side may so report in its own class names. A map that chains (a
 * class both renamed and the target of another entry, e.g. a swap) would make a name ambiguous:
 * with such a map nothing is translated and reports must use the receiver's names.
 */
export function lineClassFrom (pricing: Record<string, PricingTariff>, l: UsageLineInput): string {
  const tv = Object.hasOwn(pricing, l.to) ? pricing[l.to] : undefined
  const map = tv?.classMap !== undefined && Object.hasOwn(tv.classMap, l.from) ? tv.classMap[l.from] : undefined
  if (map === undefined || !Object.hasOwn(map, l.class)) return l.class
  const targets = new Set(Object.entries(map).filter(([k, v]) => k !== v).map(([, v]) => v))
  for (const [k, v] of Object.entries(map)) if (k !== v && targets.has(k)) return l.class
  return map[l.class]!
}

/**
 * The attestation body both agents of a border compute from their two reports (ordered by the
 * border's first PeerId) and the reconciled figures: the same bytes on both sides.
 */
export function attestationBodyOf (first: UsageReport, second: UsageReport, tolerance: string, r: Reconciled & { ok: true }): UsageAttestationBody {
  return {
    border: [first.body.border[0], first.body.border[1]],
    interval: { start: first.body.interval.start, length: first.body.interval.length },
    rule: { kind: 'lower-within-relative', tolerance },
    reports: [docId(first), docId(second)],
    lines: r.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) })),
    metrics: r.metrics
  }
}
