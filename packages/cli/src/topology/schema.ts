/**
 * Topology files: which operators exist, what role each plays, the borders between them (with
 * the status each side has for the other), who the clearers serve, and each operator's tariff.
 * Parsing is pure: text in, a checked Topology or a list of typed errors out.
 */
import { parse as parseYaml } from 'yaml'

export type Role = 'edge' | 'provider' | 'clearer'
export type Status = 'customer' | 'peer' | 'transit'

export interface Operator {
  name: string
  role: Role
  /** The operator's tariff file content (see packages/agent/src/tariff/file.ts), passed through. */
  tariff: Record<string, unknown> | undefined
  /** The agent's usage source; defaults to the topology's, then to HTTP pushes. */
  usage: Record<string, unknown> | undefined
}

/** A border: `b` is `a`'s `status` (so `a` is `b`'s inverse status). */
export interface Border {
  a: string
  b: string
  status: Status
  tolerance: string | undefined
}

export interface Clearing {
  clearer: string
  serves: string[]
  /** The clearer's margin on the charges it moves (percent of them plus a flat part); decimal strings. */
  margin: { percent: string, fixed: string } | undefined
}

export interface Topology {
  name: string
  interval: { lengthMs: number, graceMs?: number } | undefined
  settlement: { periodIntervals: number } | undefined
  usage: Record<string, unknown> | undefined
  operators: Operator[]
  borders: Border[]
  clearing: Clearing[]
}

export type TopologyErrorCode =
  | 'bad-yaml' | 'bad-shape' | 'bad-name' | 'unknown-operator' | 'self-border'
  | 'duplicate-border' | 'isolated-operator' | 'clearer-on-border' | 'not-a-clearer'

export interface TopologyError {
  code: TopologyErrorCode
  /** Where in the file, e.g. `borders[2].b`. */
  field: string
  message: string
}

export type TopologyResult = { ok: true, topology: Topology } | { ok: false, errors: TopologyError[] }

/** Operator names become container, DNS and network names, so they keep to DNS-label characters. */
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/
const STATUSES: readonly Status[] = ['customer', 'peer', 'transit']
const ROLES: readonly Role[] = ['edge', 'provider', 'clearer']
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/

export function inverseStatus (s: Status): Status {
  return s === 'customer' ? 'transit' : s === 'transit' ? 'customer' : 'peer'
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parse and check a topology YAML document. */
export function parseTopology (text: string): TopologyResult {
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (e) {
    return { ok: false, errors: [{ code: 'bad-yaml', field: '(file)', message: (e as Error).message }] }
  }
  return checkTopology(raw)
}

type Fail = (code: TopologyErrorCode, field: string, message: string) => void

/** Check a parsed topology document: every problem is listed, in the order of the file's sections. */
export function checkTopology (raw: unknown): TopologyResult {
  const errors: TopologyError[] = []
  const fail: Fail = (code, field, message) => { errors.push({ code, field, message }) }
  if (!isRecord(raw)) return { ok: false, errors: [{ code: 'bad-shape', field: '(top level)', message: 'expected a mapping' }] }
  const head = checkHead(raw, fail)
  const operators = checkOperators(raw['operators'], fail)
  const byName = new Map(operators.map(o => [o.name, o]))
  const borders = checkBorders(raw['borders'] ?? [], byName, fail)
  const clearing = checkClearing(raw['clearing'] ?? [], byName, fail)
  // Every operator needs a network to be reached on.
  const linked = new Set([...borders.flatMap(b => [b.a, b.b]), ...clearing.flatMap(c => [c.clearer, ...c.serves])])
  for (const o of operators) {
    if (!linked.has(o.name)) fail('isolated-operator', `operators.${o.name}`, 'has no border and no clearing link')
  }
  if (errors.length > 0 || head === undefined) return { ok: false, errors }
  return { ok: true, topology: { ...head, operators, borders, clearing } }
}

/** The name, and the interval, settlement and usage defaults; undefined when the name is bad. */
function checkHead (raw: Record<string, unknown>, fail: Fail): Pick<Topology, 'name' | 'interval' | 'settlement' | 'usage'> | undefined {
  const name = raw['name']
  const goodName = typeof name === 'string' && NAME.test(name)
  if (!goodName) fail('bad-name', 'name', 'a lower-case DNS label (a-z, 0-9, -), at most 32 characters')
  const interval = optionalRecord(raw['interval'], 'interval', fail)
  if (interval !== undefined && !(Number.isInteger(interval['lengthMs']) && (interval['lengthMs'] as number) >= 100)) {
    fail('bad-shape', 'interval.lengthMs', 'an integer number of milliseconds, at least 100')
  }
  const settlement = optionalRecord(raw['settlement'], 'settlement', fail)
  if (settlement !== undefined && !(Number.isInteger(settlement['periodIntervals']) && (settlement['periodIntervals'] as number) >= 1)) {
    fail('bad-shape', 'settlement.periodIntervals', 'a positive integer')
  }
  const usage = optionalRecord(raw['usage'], 'usage', fail)
  if (!goodName) return undefined
  return { name, interval: interval as Topology['interval'], settlement: settlement as Topology['settlement'], usage }
}

function checkOperators (rawOps: unknown, fail: Fail): Operator[] {
  const operators: Operator[] = []
  if (!isRecord(rawOps) || Object.keys(rawOps).length === 0) {
    fail('bad-shape', 'operators', 'a mapping from operator name to { role, tariff? }')
    return operators
  }
  for (const [opName, op] of Object.entries(rawOps)) {
    const field = `operators.${opName}`
    if (!NAME.test(opName)) fail('bad-name', field, 'operator names are lower-case DNS labels (a-z, 0-9, -), at most 32 characters')
    if (!isRecord(op)) { fail('bad-shape', field, 'expected { role, tariff? }'); continue }
    const role = op['role']
    if (!ROLES.includes(role as Role)) { fail('bad-shape', `${field}.role`, `one of ${ROLES.join(', ')}`); continue }
    operators.push({
      name: opName,
      role: role as Role,
      tariff: optionalRecord(op['tariff'], `${field}.tariff`, fail),
      usage: optionalRecord(op['usage'], `${field}.usage`, fail)
    })
  }
  return operators
}

function checkBorders (rawBorders: unknown, byName: Map<string, Operator>, fail: Fail): Border[] {
  const borders: Border[] = []
  if (!Array.isArray(rawBorders)) { fail('bad-shape', 'borders', 'a list of { a, b, status }'); return borders }
  const seen = new Set<string>()
  rawBorders.forEach((b: unknown, i) => {
    const field = `borders[${i}]`
    const border = checkBorder(b, field, byName, fail)
    if (border === undefined) return
    const key = borderNetworkName(border.a, border.b)
    if (seen.has(key)) { fail('duplicate-border', field, `${border.a} and ${border.b} already share a border`); return }
    seen.add(key)
    borders.push(border)
  })
  return borders
}

/** One border on its own (duplicates are the caller's): every problem with it, or the border. */
function checkBorder (b: unknown, field: string, byName: Map<string, Operator>, fail: Fail): Border | undefined {
  if (!isRecord(b)) { fail('bad-shape', field, 'expected { a, b, status, tolerance? }'); return undefined }
  const [a, bb, status, tolerance] = [b['a'], b['b'], b['status'], b['tolerance']]
  let good = true
  for (const [k, v] of [['a', a], ['b', bb]] as const) {
    if (typeof v !== 'string' || !byName.has(v)) { fail('unknown-operator', `${field}.${k}`, `"${String(v)}" is not an operator of this topology`); good = false } else if (byName.get(v)?.role === 'clearer') {
      fail('clearer-on-border', `${field}.${k}`, `"${v}" is a clearer; clearers are listed under clearing, not borders`); good = false
    }
  }
  if (!STATUSES.includes(status as Status)) { fail('bad-shape', `${field}.status`, `what b is to a: ${STATUSES.join(', ')}`); good = false }
  if (tolerance !== undefined && (typeof tolerance !== 'string' || !DECIMAL.test(tolerance))) { fail('bad-shape', `${field}.tolerance`, 'a decimal string, e.g. "0.01"'); good = false }
  if (!good) return undefined
  if (a === bb) { fail('self-border', field, 'a border joins two different operators'); return undefined }
  return { a: a as string, b: bb as string, status: status as Status, tolerance: tolerance as string | undefined }
}

function checkClearing (rawClearing: unknown, byName: Map<string, Operator>, fail: Fail): Clearing[] {
  const clearing: Clearing[] = []
  if (!Array.isArray(rawClearing)) { fail('bad-shape', 'clearing', 'a list of { clearer, serves: [operators], margin? }'); return clearing }
  rawClearing.forEach((c: unknown, i) => {
    const field = `clearing[${i}]`
    if (!isRecord(c) || typeof c['clearer'] !== 'string' || !Array.isArray(c['serves'])) { fail('bad-shape', field, 'expected { clearer, serves: [operators], margin? }'); return }
    const clearer = c['clearer']
    if (byName.get(clearer)?.role !== 'clearer') { fail('not-a-clearer', `${field}.clearer`, `"${clearer}" is not an operator with role clearer`); return }
    const serves: string[] = []
    c['serves'].forEach((s: unknown, j) => {
      if (typeof s !== 'string' || !byName.has(s) || byName.get(s)?.role === 'clearer') fail('unknown-operator', `${field}.serves[${j}]`, `"${String(s)}" is not a non-clearer operator of this topology`)
      else if (!serves.includes(s)) serves.push(s)
    })
    clearing.push({ clearer, serves, margin: checkMargin(c['margin'], `${field}.margin`, fail) })
  })
  return clearing
}

function checkMargin (m: unknown, field: string, fail: Fail): Clearing['margin'] {
  if (m === undefined || m === null) return undefined
  const ok = isRecord(m) && Object.keys(m).every(k => k === 'percent' || k === 'fixed') &&
    [m['percent'] ?? '0', m['fixed'] ?? '0'].every(v => typeof v === 'string' && DECIMAL.test(v))
  if (!ok) { fail('bad-shape', field, 'expected { percent: "1", fixed: "0" } (decimal strings)'); return undefined }
  return { percent: (m['percent'] ?? '0') as string, fixed: (m['fixed'] ?? '0') as string }
}

function optionalRecord (v: unknown, field: string, fail: Fail): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined
  if (!isRecord(v)) { fail('bad-shape', field, 'expected a mapping'); return undefined }
  return v
}

/** The border's network: named after its two operators, in sorted order so it is the same either way round. */
export function borderNetworkName (a: string, b: string): string {
  return a < b ? `${a}--${b}` : `${b}--${a}`
}
