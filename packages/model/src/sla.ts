/**
 * SLA sliding scales (section 2, patent claims 2-5, 17-22). A class's factor is the minimum over
 * its criteria; each criterion takes the factor of the first band the measured value falls in:
 * `upTo` matches when measured <= upTo, `atLeast` when measured >= atLeast, a band with neither
 * matches anything.
 *
 * Rules (documented in docs/pricing.md, tested):
 * - the better direction comes from the bands: `upTo` bands mean lower is better, `atLeast` bands
 *   higher is better; a criterion mixing them is refused, and so are bands out of order (`upTo`
 *   bounds must increase, `atLeast` bounds decrease) or a catch-all band before the last;
 * - factors above 1 (a bonus) only where the criterion says `bonus: true`;
 * - no band matches → factor 0: the charge depends on delivery "within predefined delivery
 *   parameters" (claim 17), and outside them nothing is due;
 * - a metric not measured takes the criterion's `default`; without one, the statement gives
 *   factor 1 and says so (`judge`); the scenario format 1 evaluator keeps refusing it.
 * - no criteria → factor 1.
 */
import { cmp, format, min, ONE, parseDec, parseNonNegativeDec, ZERO, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import type { Decimal, SlaCriterion, SlaWindow } from './types.js'
import { own } from './weights.js'

/** Which way is better for a metric: `lower` (upTo bands), `higher` (atLeast bands), or either. */
export type Direction = 'lower' | 'higher' | 'none'

/** A criterion with its bounds and factors parsed and checked. */
export interface ParsedCriterion {
  metric: string
  bands: Array<{ upTo?: Dec, atLeast?: Dec, factor: Dec }>
  direction: Direction
  window: SlaWindow
  default?: Dec
  selfReport: boolean
}

const CRITERION_KEYS = new Set(['metric', 'bands', 'window', 'default', 'selfReport', 'bonus'])

/** Parse and check criteria; `field` is where they came from (e.g. `sla.B.ef`). */
export function parseCriteria (criteria: unknown, field: string): ParsedCriterion[] {
  if (!Array.isArray(criteria)) throw new ModelError('bad-type', field, 'must be an array of criteria')
  return criteria.map((c: unknown, i) => parseCriterion(c, `${field}[${i}]`))
}

function parseCriterion (c: unknown, f: string): ParsedCriterion {
  if (!isRecord(c)) throw new ModelError('bad-type', f, 'must be an object { metric, bands }')
  for (const k of Object.keys(c)) {
    if (!CRITERION_KEYS.has(k)) throw new ModelError('bad-type', `${f}.${k}`, `unknown field (expected one of ${[...CRITERION_KEYS].join(', ')})`)
  }
  if (typeof c.metric !== 'string' || c.metric === '') throw new ModelError('bad-type', `${f}.metric`, 'must be a non-empty string')
  if (!Array.isArray(c.bands) || c.bands.length === 0) throw new ModelError('bad-type', `${f}.bands`, 'must be a non-empty array of bands')
  if (c.window !== undefined && c.window !== 'interval' && c.window !== 'period') {
    throw new ModelError('bad-type', `${f}.window`, 'must be "interval" or "period"')
  }
  for (const k of ['bonus', 'selfReport'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') throw new ModelError('bad-type', `${f}.${k}`, 'must be true or false')
  }
  const bands = c.bands.map((b: unknown, j) => parseBand(b, `${f}.bands[${j}]`, c.bonus === true))
  const out: ParsedCriterion = {
    metric: c.metric, bands, direction: checkBandOrder(bands, `${f}.bands`), window: c.window ?? 'interval', selfReport: c.selfReport === true
  }
  if (c.default !== undefined) out.default = parseDec(c.default, `${f}.default`)
  return out
}

function parseBand (b: unknown, field: string, bonus: boolean): ParsedCriterion['bands'][number] {
  if (!isRecord(b)) throw new ModelError('bad-type', field, 'must be an object { upTo | atLeast, factor }')
  for (const k of Object.keys(b)) {
    if (k !== 'upTo' && k !== 'atLeast' && k !== 'factor') throw new ModelError('bad-type', `${field}.${k}`, 'unknown field (expected upTo, atLeast, factor)')
  }
  if (b.upTo !== undefined && b.atLeast !== undefined) throw new ModelError('bad-type', field, 'has both upTo and atLeast')
  const factor = parseNonNegativeDec(b.factor, `${field}.factor`)
  if (!bonus && cmp(factor, ONE) > 0) {
    throw new ModelError('bad-type', `${field}.factor`, `${format(factor)} is above 1: allow a bonus explicitly with "bonus": true on the criterion`)
  }
  const out: ParsedCriterion['bands'][number] = { factor }
  if (b.upTo !== undefined) out.upTo = parseDec(b.upTo, `${field}.upTo`)
  if (b.atLeast !== undefined) out.atLeast = parseDec(b.atLeast, `${field}.atLeast`)
  return out
}

/** The direction the bands imply; refuses mixed bounds, bounds out of order and early catch-alls. */
function checkBandOrder (bands: ParsedCriterion['bands'], field: string): Direction {
  const ups = bands.some(b => b.upTo !== undefined)
  const downs = bands.some(b => b.atLeast !== undefined)
  if (ups && downs) throw new ModelError('bad-type', field, 'mixes upTo and atLeast bands: use upTo (lower is better) or atLeast (higher is better)')
  let prev: Dec | undefined
  for (const [j, b] of bands.entries()) {
    const bound = b.upTo ?? b.atLeast
    if (bound === undefined) {
      if (j !== bands.length - 1) throw new ModelError('bad-type', `${field}[${j}]`, 'a band without a bound matches anything, so it must be the last')
      continue
    }
    if (prev !== undefined && (ups ? cmp(bound, prev) <= 0 : cmp(bound, prev) >= 0)) {
      throw new ModelError('bad-type', `${field}[${j}]`, ups ? 'upTo bounds must increase from band to band' : 'atLeast bounds must decrease from band to band')
    }
    prev = bound
  }
  return ups ? 'lower' : downs ? 'higher' : 'none'
}

/** Factor of one criterion for a measured value (0 when no band matches). */
export function criterionFactor (c: Pick<ParsedCriterion, 'bands'>, measured: Dec): Dec {
  for (const b of c.bands) {
    if (b.upTo !== undefined) {
      if (cmp(measured, b.upTo) <= 0) return b.factor
    } else if (b.atLeast !== undefined) {
      if (cmp(measured, b.atLeast) >= 0) return b.factor
    } else {
      return b.factor
    }
  }
  return ZERO
}

/** The worse of two values of a metric for the judged network (`a` on a tie). */
export function worse (direction: Direction, a: Dec, b: Dec): Dec {
  if (direction === 'higher') return cmp(b, a) < 0 ? b : a
  return cmp(b, a) > 0 ? b : a
}

/**
 * Judge one criterion on a value that may be missing: the default stands in for it, and without
 * one the factor is 1 with a note saying why (so the statement line shows it).
 */
export function judge (c: ParsedCriterion, value: Dec | undefined, who: string): { factor: Dec, note?: string } {
  if (value !== undefined) return { factor: criterionFactor(c, value) }
  if (c.default !== undefined) return { factor: criterionFactor(c, c.default), note: `${who} ${c.metric} not measured: default ${format(c.default)} used` }
  return { factor: ONE, note: `${who} ${c.metric} not measured and no default: factor 1` }
}

/**
 * The class factor for scenario format 1: minimum over criteria, each judged on
 * `measured[metric]` (or its default). A metric with neither is an error naming `measuredField`.
 */
export function classFactor (
  criteria: readonly ParsedCriterion[],
  measured: Record<string, Decimal> | undefined,
  measuredField: string
): Dec {
  let f: Dec | undefined
  for (const c of criteria) {
    const text = measured !== undefined ? own(measured, c.metric) : undefined
    if (text === undefined && c.default === undefined) {
      throw new ModelError('missing-measurement', `${measuredField}.${c.metric}`,
        'not measured, but an SLA criterion needs it (measure it or give the criterion a default)')
    }
    const v = criterionFactor(c, text === undefined ? c.default! : parseDec(text, `${measuredField}.${c.metric}`))
    f = f === undefined ? v : min(f, v)
  }
  return f ?? ONE
}

/** Convenience over unparsed criteria (as in `ServiceClass.sla`). */
export function slaFactor (
  criteria: readonly SlaCriterion[] | undefined,
  measured: Record<string, Decimal> | undefined,
  field = 'sla',
  measuredField = 'measured'
): Dec {
  if (criteria === undefined || criteria.length === 0) return ONE
  return classFactor(parseCriteria(criteria, field), measured, measuredField)
}

export function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
