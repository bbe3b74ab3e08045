/**
 * SLA sliding scales (section 2, patent claims 2-5, 17-22). A class's factor is the minimum over
 * its criteria; each criterion takes the factor of the first band the measured value falls in:
 * `upTo` matches when measured <= upTo, `atLeast` when measured >= atLeast, a band with neither
 * matches anything.
 *
 * Decisions (documented, tested):
 * - no band matches → factor 0: the charge depends on delivery "within predefined delivery
 *   parameters" (claim 17), and outside them nothing is due.
 * - a criterion whose metric was not measured → `ModelError('missing-measurement')`: settling on a
 *   guess would let either side dispute the statement later.
 * - no criteria → factor 1.
 */
import { cmp, min, ONE, parseDec, parseNonNegativeDec, ZERO, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import type { Decimal, SlaBand, SlaCriterion } from './types.js'
import { own } from './weights.js'

/** A criterion with its bounds and factors parsed. */
export interface ParsedCriterion {
  metric: string
  bands: Array<{ upTo?: Dec, atLeast?: Dec, factor: Dec }>
}

/** Parse and check criteria; `field` is where they came from (e.g. `sla.B.ef`). */
export function parseCriteria (criteria: unknown, field: string): ParsedCriterion[] {
  if (!Array.isArray(criteria)) throw new ModelError('bad-type', field, 'must be an array of criteria')
  return criteria.map((c: unknown, i) => {
    const f = `${field}[${i}]`
    if (!isRecord(c)) throw new ModelError('bad-type', f, 'must be an object { metric, bands }')
    if (typeof c.metric !== 'string' || c.metric === '') {
      throw new ModelError('bad-type', `${f}.metric`, 'must be a non-empty string')
    }
    if (!Array.isArray(c.bands) || c.bands.length === 0) {
      throw new ModelError('bad-type', `${f}.bands`, 'must be a non-empty array of bands')
    }
    const bands = c.bands.map((b: unknown, j) => parseBand(b, `${f}.bands[${j}]`))
    return { metric: c.metric, bands }
  })
}

function parseBand (b: unknown, field: string): ParsedCriterion['bands'][number] {
  if (!isRecord(b)) throw new ModelError('bad-type', field, 'must be an object { upTo | atLeast, factor }')
  const band: SlaBand = b as unknown as SlaBand
  if (band.upTo !== undefined && band.atLeast !== undefined) {
    throw new ModelError('bad-type', field, 'has both upTo and atLeast')
  }
  const out: ParsedCriterion['bands'][number] = {
    factor: parseNonNegativeDec(band.factor, `${field}.factor`)
  }
  if (band.upTo !== undefined) out.upTo = parseDec(band.upTo, `${field}.upTo`)
  if (band.atLeast !== undefined) out.atLeast = parseDec(band.atLeast, `${field}.atLeast`)
  return out
}

/** Factor of one criterion for a measured value (0 when no band matches). */
export function criterionFactor (c: ParsedCriterion, measured: Dec): Dec {
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

/**
 * The class factor: minimum over criteria, each judged on `measured[metric]`. `measuredField`
 * names where measurements live (e.g. `measured.B.ef`) for the missing-measurement error.
 */
export function classFactor (
  criteria: readonly ParsedCriterion[],
  measured: Record<string, Decimal> | undefined,
  measuredField: string
): Dec {
  let f: Dec | undefined
  for (const c of criteria) {
    const text = measured !== undefined ? own(measured, c.metric) : undefined
    if (text === undefined) {
      throw new ModelError('missing-measurement', `${measuredField}.${c.metric}`,
        'not measured, but an SLA criterion needs it')
    }
    const v = criterionFactor(c, parseDec(text, `${measuredField}.${c.metric}`))
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
