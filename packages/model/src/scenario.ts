/**
 * The scenario format (docs/pricing.md, "splitedge simulate"): its types, and a strict check that turns the static
 * parts (networks, prices, weights, SLA) into indexed tables for the evaluator. Every error is a
 * `ModelError` whose `field` is a path into the scenario (`weights.A.B.send`).
 */
import { describe, mul, ONE, parseDec, sub, ZERO, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import { classFactor, isRecord, parseCriteria } from './sla.js'
import type { ClassId, Decimal, NetworkId, SlaCriterion } from './types.js'
import { own } from './weights.js'

export type NetworkRole = 'provider' | 'edge'

export interface ScenarioNetwork { id: NetworkId, role: NetworkRole }
export interface ScenarioFlow { path: NetworkId[], class: ClassId, volume: Decimal }
export interface ScenarioTree { edges: Array<[NetworkId, NetworkId]>, class: ClassId, volume: Decimal }

export interface Scenario {
  decimals: number
  networks: ScenarioNetwork[]
  prices?: Record<NetworkId, Record<ClassId, Decimal>>
  weights?: Record<NetworkId, Record<NetworkId | '*', { send?: Decimal, receive?: Decimal }>>
  flows?: ScenarioFlow[]
  trees?: ScenarioTree[]
  sla?: Record<NetworkId, Record<ClassId, SlaCriterion[]>>
  measured?: Record<NetworkId, Record<ClassId, Record<string, Decimal>>>
}

/** Largest `decimals` accepted: far beyond any currency, small enough to keep output sane. */
export const MAX_DECIMALS = 30

const TOP_LEVEL = new Set(['decimals', 'networks', 'prices', 'weights', 'flows', 'trees', 'sla', 'measured',
  'name', 'description'])

interface WeightRow { send: Dec, receive: Dec }

/** The static part of a scenario, indexed: networks and classes by integer. */
export interface CompiledScenario {
  decimals: number
  ids: NetworkId[]
  index: Map<NetworkId, number>
  edge: boolean[]
  /** Classes any network prices, in code-unit order (the order of output lines). */
  classes: ClassId[]
  classIndex: Map<ClassId, number>
  /** price[n][c], 0 where network n does not price class c. */
  price: Dec[][]
  /** factor[n][c]: SLA factor of network n's charges for class c. */
  factor: Dec[][]
  /** priceFactor[n][c] = price[n][c] * factor[n][c]: what one unit at weight 1 costs. */
  priceFactor: Dec[][]
  /** Explicit weights of network n toward neighbour index (edge networks: none). */
  named: Array<Map<number, WeightRow>>
  /** `*` weights of network n (0 when absent or for edge networks). */
  star: WeightRow[]
}

const ZERO_ROW: WeightRow = { send: ZERO, receive: ZERO }

/** Check and index everything but flows and trees. */
export function compileScenario (input: unknown): CompiledScenario {
  if (!isRecord(input)) throw new ModelError('bad-type', 'scenario', `must be a JSON object, got ${describe(input)}`)
  const decimals = checkFieldsAndDecimals(input, TOP_LEVEL)
  // Each step checks its part in this order, so the first problem reported stays the same.
  const nets = compileNetworks(input.networks)
  const { classes, classIndex, price } = compilePrices(nets, input.prices)
  const { named, star } = compileWeights(nets, input.weights)
  const factor = compileFactors(nets, classes, classIndex, input.sla, input.measured)
  const priceFactor = price.map((row, n) => row.map((p, c) => mul(p, factor[n]![c]!)))
  return { decimals, ids: nets.ids, index: nets.index, edge: nets.edge, classes, classIndex, price, factor, priceFactor, named, star }
}

/** What both scenario formats check first: every field is known, and `decimals` is in range. */
export function checkFieldsAndDecimals (input: Record<string, unknown>, known: Set<string>): number {
  for (const k of Object.keys(input)) {
    if (!known.has(k)) throw new ModelError('bad-type', k, `unknown field (expected one of ${[...known].join(', ')})`)
  }
  const decimals = input.decimals
  if (typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new ModelError('bad-type', 'decimals', `must be an integer from 0 to ${MAX_DECIMALS}, got ${describe(decimals)}`)
  }
  return decimals
}

/** The networks of a scenario, in declaration order. */
export type Networks = Pick<CompiledScenario, 'ids' | 'index' | 'edge'>

function compileNetworks (networks: unknown): Networks {
  if (!Array.isArray(networks)) throw new ModelError('bad-type', 'networks', 'must be an array')
  return indexNetworks(networks, (id): id is string => typeof id === 'string' && id !== '' && id !== '*', 'a non-empty string other than "*"')
}

/** `networks[i]` as { id, role }, each id once; what a valid id is differs by format (`idRule` says it). */
export function indexNetworks (networks: unknown[], validId: (id: unknown) => id is string, idRule: string): Networks {
  const nets: Networks = { ids: [], index: new Map(), edge: [] }
  networks.forEach((n: unknown, i) => {
    const f = `networks[${i}]`
    if (!isRecord(n)) throw new ModelError('bad-type', f, 'must be an object { id, role }')
    if (!validId(n.id)) throw new ModelError('bad-type', `${f}.id`, `must be ${idRule}, got ${describe(n.id)}`)
    if (n.role !== 'provider' && n.role !== 'edge') {
      throw new ModelError('bad-type', `${f}.role`, `must be "provider" or "edge", got ${describe(n.role)}`)
    }
    if (nets.index.has(n.id)) throw new ModelError('duplicate-network', `${f}.id`, `duplicate network ${describe(n.id)}`)
    nets.index.set(n.id, nets.ids.length)
    nets.ids.push(n.id)
    nets.edge.push(n.role === 'edge')
  })
  return nets
}

function networkAt (nets: Networks, id: string, field: string): number {
  const i = nets.index.get(id)
  if (i === undefined) throw new ModelError('unknown-network', field, `unknown network ${describe(id)}`)
  return i
}

/** Prices: the classes priced anywhere are the known classes. */
function compilePrices (nets: Networks, input: unknown): Pick<CompiledScenario, 'classes' | 'classIndex' | 'price'> {
  const prices = optionalRecord(input, 'prices')
  const priced = new Map<number, Map<ClassId, Dec>>()
  const classSet = new Set<ClassId>()
  for (const [nid, byClass] of Object.entries(prices)) {
    const n = networkAt(nets, nid, `prices.${nid}`)
    if (!isRecord(byClass)) throw new ModelError('bad-type', `prices.${nid}`, 'must be an object of class -> price')
    const m = new Map<ClassId, Dec>()
    for (const [cls, p] of Object.entries(byClass)) {
      m.set(cls, parseDec(p, `prices.${nid}.${cls}`))
      classSet.add(cls)
    }
    priced.set(n, m)
  }
  const classes = [...classSet].sort(codeUnitOrder)
  const classIndex = new Map(classes.map((c, i) => [c, i]))
  // Edge networks charge nobody, so their prices never matter; kept as declared for clarity.
  const price = nets.ids.map((_, n) => classes.map(c => priced.get(n)?.get(c) ?? ZERO))
  return { classes, classIndex, price }
}

/** Weights: edge networks' weights are always 0, whatever the file says. */
function compileWeights (nets: Networks, input: unknown): Pick<CompiledScenario, 'named' | 'star'> {
  const weights = optionalRecord(input, 'weights')
  const named = nets.ids.map(() => new Map<number, WeightRow>())
  const star = nets.ids.map(() => ZERO_ROW)
  for (const [nid, byNeighbour] of Object.entries(weights)) {
    const n = networkAt(nets, nid, `weights.${nid}`)
    if (!isRecord(byNeighbour)) throw new ModelError('bad-type', `weights.${nid}`, 'must be an object of neighbour -> { send, receive }')
    for (const [jid, pair] of Object.entries(byNeighbour)) {
      const f = `weights.${nid}.${jid}`
      const row = parseWeightRow(pair, f)
      if (nets.edge[n] === true) continue
      if (jid === '*') star[n] = row
      else named[n]!.set(networkAt(nets, jid, f), row)
    }
  }
  return { named, star }
}

/** SLA criteria and measurements (both must name known networks and priced classes): factor[n][c]. */
function compileFactors (nets: Networks, classes: ClassId[], classIndex: Map<ClassId, number>, slaInput: unknown, measuredInput: unknown): Dec[][] {
  const sla = optionalRecord(slaInput, 'sla')
  const measured = optionalRecord(measuredInput, 'measured')
  for (const [nid, byClass] of Object.entries(measured)) {
    networkAt(nets, nid, `measured.${nid}`)
    if (!isRecord(byClass)) throw new ModelError('bad-type', `measured.${nid}`, 'must be an object of class -> { metric: value }')
    for (const [cls, metrics] of Object.entries(byClass)) {
      const f = `measured.${nid}.${cls}`
      knownClass(classIndex, cls, f)
      if (!isRecord(metrics)) throw new ModelError('bad-type', f, 'must be an object of metric -> decimal')
      for (const [metric, v] of Object.entries(metrics)) parseDec(v, `${f}.${metric}`)
    }
  }
  const factor = nets.ids.map(() => classes.map(() => ONE))
  for (const [nid, byClass] of Object.entries(sla)) {
    const n = networkAt(nets, nid, `sla.${nid}`)
    if (!isRecord(byClass)) throw new ModelError('bad-type', `sla.${nid}`, 'must be an object of class -> criteria')
    for (const [cls, criteria] of Object.entries(byClass)) {
      const f = `sla.${nid}.${cls}`
      const c = knownClass(classIndex, cls, f)
      const parsed = parseCriteria(criteria, f)
      const m = own(measured, nid)
      const metrics = isRecord(m) ? own(m, cls) : undefined
      factor[n]![c] = classFactor(parsed, metrics as Record<string, Decimal> | undefined, `measured.${nid}.${cls}`)
    }
  }
  return factor
}

/** Weights of `i` toward `j`: `weights[i][j]`, then `weights[i]["*"]`, else 0; edge networks 0. */
export function weightsOf (s: CompiledScenario, i: number, j: number): WeightRow {
  return s.named[i]!.get(j) ?? s.star[i]!
}

function parseWeightRow (pair: unknown, field: string): WeightRow {
  if (!isRecord(pair)) throw new ModelError('bad-type', field, 'must be an object { send, receive }')
  for (const k of Object.keys(pair)) {
    if (k !== 'send' && k !== 'receive') throw new ModelError('bad-type', `${field}.${k}`, 'unknown field (expected send, receive)')
  }
  return {
    send: pair.send === undefined ? ZERO : parseDec(pair.send, `${field}.send`),
    receive: pair.receive === undefined ? ZERO : parseDec(pair.receive, `${field}.receive`)
  }
}

export function knownClass (classIndex: Map<ClassId, number>, cls: unknown, field: string): number {
  const c = typeof cls === 'string' ? classIndex.get(cls) : undefined
  if (c === undefined) {
    throw new ModelError('unknown-class', field, `unknown class ${describe(cls)} (no network prices it)`)
  }
  return c
}

function optionalRecord (v: unknown, field: string): Record<string, unknown> {
  if (v === undefined) return {}
  if (!isRecord(v)) throw new ModelError('bad-type', field, `must be an object, got ${describe(v)}`)
  return v
}


/** Code-unit string order: locale-free, so every machine sorts the same. */
export function codeUnitOrder (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * `w_vus p_v f_v - w_uvr p_u f_u`: net per unit for class `cls` crossing from `u` into `v`
 * (`netRate` in charge.ts, with each network's `p * f` computed once in `priceFactor`).
 */
export function netRateOf (s: CompiledScenario, u: number, v: number, cls: number): Dec {
  return sub(mul(weightsOf(s, v, u).send, s.priceFactor[v]![cls]!), mul(weightsOf(s, u, v).receive, s.priceFactor[u]![cls]!))
}
