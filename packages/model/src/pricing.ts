/**
 * A strict check of a `PricingTariff`'s content (the model's rules; the wire schema adds sizes and
 * id formats). Every problem is a `ModelError` whose `field` is a path into the tariff, so the
 * agent's tariff loader and the scenario reader can both name the field an operator must fix.
 */
import { describe, parseDec, parseNonNegativeDec } from './decimal.js'
import { ModelError } from './errors.js'
import { isRecord, parseCriteria } from './sla.js'
import { NEIGHBOUR_STATUSES, type PricingTariff } from './types.js'
import { own } from './weights.js'

export const UNITS = ['octet', 'packet', 'mbit-second'] as const

/** Is `key` a neighbour this tariff may name (a network id or PeerId)? */
export type NeighbourCheck = (key: string) => boolean

const STATUS_KEY = /^status:(customer|peer|transit)$/

/**
 * Check `p` (at `field`); `isNeighbour` decides which keys name neighbours. It takes what was read
 * from a file as it is, so once it returns, `p` is known to be a `PricingTariff`.
 */
export function checkPricing (p: unknown, field: string, isNeighbour: NeighbourCheck): asserts p is PricingTariff {
  if (!isRecord(p)) throw new ModelError('bad-type', field, 'must be an object')
  if (!(UNITS as readonly unknown[]).includes(p.unit)) throw new ModelError('bad-type', `${field}.unit`, `must be one of ${UNITS.join(', ')}, got ${describe(p.unit)}`)
  if (!isRecord(p.classes) || Object.keys(p.classes).length === 0) {
    throw new ModelError('bad-type', `${field}.classes`, 'must price at least one class')
  }
  for (const [id, c] of Object.entries(p.classes)) checkClass(c, `${field}.classes.${id}`, isNeighbour)
  checkWeightMap(p.weights, `${field}.weights`, isNeighbour, true)
  for (const [k, s] of Object.entries(p.statuses ?? {})) {
    if (!isNeighbour(k)) throw new ModelError('unknown-network', `${field}.statuses.${k}`, `${describe(k)} is not a neighbour`)
    if (!(NEIGHBOUR_STATUSES as readonly string[]).includes(s)) throw new ModelError('bad-type', `${field}.statuses.${k}`, 'must be customer, peer or transit')
  }
  checkPeriodFee(p.periodFee, `${field}.periodFee`, isNeighbour)
  for (const [n, byClass] of Object.entries(p.bilateralSla ?? {})) {
    const f = `${field}.bilateralSla.${n}`
    if (!isNeighbour(n)) throw new ModelError('unknown-network', f, `${describe(n)} is not a neighbour`)
    if (!isRecord(byClass)) throw new ModelError('bad-type', f, 'must be an object of class -> criteria')
    for (const [cls, criteria] of Object.entries(byClass)) {
      if (own(p.classes, cls) === undefined) throw new ModelError('unknown-class', `${f}.${cls}`, `class ${describe(cls)} is not priced by this tariff`)
      parseCriteria(criteria, `${f}.${cls}`)
    }
  }
  for (const [n, map] of Object.entries(p.classMap ?? {})) checkClassMap(p.classes, n, map, `${field}.classMap.${n}`, isNeighbour)
}

function checkClass (c: unknown, f: string, isNeighbour: NeighbourCheck): void {
  if (!isRecord(c)) throw new ModelError('bad-type', f, 'must be an object { price, ... }')
  parseNonNegativeDec(c.price, `${f}.price`, 'price')
  const m = c.messageFee
  if (typeof m === 'string' || m === undefined) {
    if (m !== undefined) parseNonNegativeDec(m, `${f}.messageFee`, 'fee')
  } else if (isRecord(m)) {
    parseNonNegativeDec(m.fee, `${f}.messageFee.fee`, 'fee')
    if (m.weighted !== undefined && typeof m.weighted !== 'boolean') throw new ModelError('bad-type', `${f}.messageFee.weighted`, 'must be true or false')
  } else throw new ModelError('bad-type', `${f}.messageFee`, 'must be a decimal string or { fee, weighted }')
  if (c.sla !== undefined) parseCriteria(c.sla, `${f}.sla`)
  if (c.weights !== undefined) checkWeightMap(c.weights, `${f}.weights`, isNeighbour, false)
}

function checkWeightMap (w: unknown, f: string, isNeighbour: NeighbourCheck, star: boolean): void {
  if (!isRecord(w)) throw new ModelError('bad-type', f, 'must be an object of neighbour -> { send, receive }')
  for (const [k, pair] of Object.entries(w)) {
    if (!(k === '*' && star) && !STATUS_KEY.test(k) && !isNeighbour(k)) {
      throw new ModelError('unknown-network', `${f}.${k}`, `${describe(k)} is not a neighbour${star ? ', "*"' : ''} or status:customer|peer|transit`)
    }
    if (!isRecord(pair)) throw new ModelError('bad-type', `${f}.${k}`, 'must be an object { send, receive }')
    for (const d of ['send', 'receive'] as const) parseNonNegativeDec(pair[d], `${f}.${k}.${d}`, 'weight')
  }
}

function checkPeriodFee (fee: unknown, f: string, isNeighbour: NeighbourCheck): void {
  if (fee === undefined) return
  if (typeof fee === 'string') { parseDec(fee, f); return }
  if (!isRecord(fee)) throw new ModelError('bad-type', f, 'must be a decimal string or an object of neighbour | status:<s> | * -> decimal or { fee, whenIdle }')
  for (const [k, v] of Object.entries(fee)) {
    if (k !== '*' && !STATUS_KEY.test(k) && !isNeighbour(k)) throw new ModelError('unknown-network', `${f}.${k}`, `${describe(k)} is not a neighbour, "*" or status:customer|peer|transit`)
    if (typeof v === 'string') { parseDec(v, `${f}.${k}`); continue }
    if (!isRecord(v)) throw new ModelError('bad-type', `${f}.${k}`, 'must be a decimal string or { fee, whenIdle }')
    const extra = Object.keys(v).find(x => x !== 'fee' && x !== 'whenIdle')
    if (extra !== undefined) throw new ModelError('bad-type', `${f}.${k}.${extra}`, 'unknown field (a period fee is { fee, whenIdle })')
    parseDec(v.fee, `${f}.${k}.fee`)
    if (v.whenIdle !== undefined && typeof v.whenIdle !== 'boolean') throw new ModelError('bad-type', `${f}.${k}.whenIdle`, 'must be true or false')
  }
}

function checkClassMap (classes: Record<string, unknown>, n: string, map: unknown, f: string, isNeighbour: NeighbourCheck): void {
  if (!isNeighbour(n)) throw new ModelError('unknown-network', f, `${describe(n)} is not a neighbour`)
  if (!isRecord(map)) throw new ModelError('bad-type', f, 'must be an object of their class -> our class')
  const seen = new Map<string, string>()
  for (const [theirs, ours] of Object.entries(map)) {
    if (typeof ours !== 'string' || own(classes, ours) === undefined) {
      throw new ModelError('unknown-class', `${f}.${theirs}`, `${describe(ours)} is not a class this tariff prices`)
    }
    const other = seen.get(ours)
    if (other !== undefined) throw new ModelError('bad-type', `${f}.${theirs}`, `maps onto ${JSON.stringify(ours)} like ${JSON.stringify(other)}: a class map must be one-to-one`)
    seen.set(ours, theirs)
  }
}
