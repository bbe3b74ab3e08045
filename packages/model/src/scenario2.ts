/**
 * Scenario format 2 (`"format": 2`): the whole pricing model, border by border, exactly as agents
 * settle it. Each provider has tariff versions (a `PricingTariff` without currency, decimals or
 * unit, which the scenario supplies) that may change inside the period; flows and trees carry
 * volume and messages in an interval; SLA values are measured per border and interval. Every
 * border that traffic crosses (or that `borders` lists, for period fees) gets a statement computed
 * by `computeStatement`, so each line is rounded once and surpluses are sums of rounded lines: they
 * add up to exactly zero.
 */
import { add, describe, neg, parseDec, ZERO, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import { checkPricing, UNITS } from './pricing.js'
import { checkFieldsAndDecimals, codeUnitOrder, indexNetworks } from './scenario.js'
import { isRecord } from './sla.js'
import { computeStatement, receiverClass, type Measured, type Statement, type StatementInput, type UsageLine } from './statement.js'
import type { ClassId, NetworkId, PricingTariff } from './types.js'
import { own } from './weights.js'

export interface Scenario2Result {
  decimals: number
  ids: NetworkId[]
  /** One statement per border, ordered by the declaration index of its two networks. */
  statements: Array<{ parties: [NetworkId, NetworkId], statement: Statement }>
}

const TOP_LEVEL = new Set(['format', 'name', 'description', 'currency', 'decimals', 'unit', 'intervals', 'networks',
  'tariffs', 'flows', 'trees', 'measured', 'borders', 'periodFees'])
const VERSION_KEYS = new Set(['fromInterval', 'ref', 'currency', 'decimals', 'unit', 'classes', 'weights', 'statuses',
  'periodFee', 'bilateralSla', 'classMap'])

interface Version { from: number, ref: string, pricing: PricingTariff }
interface Ctx {
  ids: NetworkId[]
  index: Map<NetworkId, number>
  edge: boolean[]
  intervals: number
  tariffs: Version[][]
  /** border key "i,j" (i < j) -> interval -> usage lines. */
  usage: Map<string, UsageLine[][]>
}

/** Validate and evaluate a format-2 scenario. Throws `ModelError` naming the bad field. */
export function evaluateScenario2 (input: Record<string, unknown>): Scenario2Result {
  const decimals = checkFieldsAndDecimals(input, TOP_LEVEL)
  const currency = input.currency ?? 'XXX'
  if (typeof currency !== 'string' || currency === '') throw new ModelError('bad-type', 'currency', 'must be a currency code string')
  const unit = input.unit ?? 'octet'
  if (!(UNITS as readonly unknown[]).includes(unit)) throw new ModelError('bad-type', 'unit', `must be one of ${UNITS.join(', ')}`)
  const intervals = input.intervals ?? 1
  if (typeof intervals !== 'number' || !Number.isSafeInteger(intervals) || intervals < 1 || intervals > 100_000) {
    throw new ModelError('bad-type', 'intervals', 'must be an integer from 1 to 100000')
  }
  const ctx = networks(input.networks, intervals)
  const base = { currency, decimals, unit: unit as PricingTariff['unit'] }
  readTariffs(ctx, input.tariffs, base)
  if (input.flows !== undefined) readFlows(ctx, input.flows)
  if (input.trees !== undefined) readTrees(ctx, input.trees)
  for (const [i, pair] of (asArray(input.borders ?? [], 'borders')).entries()) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new ModelError('bad-type', `borders[${i}]`, 'must be a [network, network] pair')
    borderUsage(ctx, networkAt(ctx, pair[0], `borders[${i}][0]`), networkAt(ctx, pair[1], `borders[${i}][1]`), `borders[${i}]`)
  }
  const measured = readMeasured(ctx, input.measured)
  if (input.periodFees !== undefined && typeof input.periodFees !== 'boolean') throw new ModelError('bad-type', 'periodFees', 'must be true or false')
  const keys = [...ctx.usage.keys()].map(k => k.split(',').map(Number) as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1])
  const statements = keys.map(([i, j]) => {
    const parties: [NetworkId, NetworkId] = [ctx.ids[i]!, ctx.ids[j]!]
    try {
      return { parties, statement: computeStatement(statementInput(ctx, i, j, measured, base, input.periodFees !== false)) }
    } catch (e) {
      // Name the border: the statement's own field paths are relative to it.
      if (e instanceof ModelError) throw new ModelError(e.code, `border ${parties.join('-')}: ${e.field}`, e.detail)
      throw e
    }
  })
  return { decimals, ids: ctx.ids, statements }
}

function networks (v: unknown, intervals: number): Ctx {
  const validId = (id: unknown): id is string => typeof id === 'string' && id !== '' && id !== '*' && !id.includes(',') && !id.startsWith('status:')
  const nets = indexNetworks(asArray(v, 'networks'), validId, 'a non-empty string other than "*", without "," or a status: prefix')
  return { ...nets, intervals, tariffs: nets.ids.map(() => []), usage: new Map() }
}

/** Every provider's tariff versions: the first from interval 0, each later one from a later interval. */
function readTariffs (ctx: Ctx, v: unknown, base: Pick<PricingTariff, 'currency' | 'decimals' | 'unit'>): void {
  const all = v === undefined ? {} : v
  if (!isRecord(all)) throw new ModelError('bad-type', 'tariffs', 'must be an object of network -> tariff versions')
  for (const [id, versions] of Object.entries(all)) {
    const n = networkAt(ctx, id, `tariffs.${id}`)
    if (ctx.edge[n] === true) throw new ModelError('bad-type', `tariffs.${id}`, 'edge networks charge nobody: give tariffs to providers only')
    const list = Array.isArray(versions) ? versions : [versions]
    list.forEach((t: unknown, k) => {
      const f = Array.isArray(versions) ? `tariffs.${id}[${k}]` : `tariffs.${id}`
      if (!isRecord(t)) throw new ModelError('bad-type', f, 'must be a tariff object { classes, weights, ... }')
      for (const key of Object.keys(t)) if (!VERSION_KEYS.has(key)) throw new ModelError('bad-type', `${f}.${key}`, `unknown field (expected one of ${[...VERSION_KEYS].join(', ')})`)
      const from = t.fromInterval ?? 0
      const prev = ctx.tariffs[n]!.at(-1)
      if (typeof from !== 'number' || !Number.isInteger(from) || from < 0 || from >= ctx.intervals || (prev === undefined ? from !== 0 : from <= prev.from)) {
        throw new ModelError('bad-type', `${f}.fromInterval`, prev === undefined ? 'the first version must start at interval 0' : 'must be a later interval than the previous version\'s, below intervals')
      }
      if (t.ref !== undefined && typeof t.ref !== 'string') throw new ModelError('bad-type', `${f}.ref`, 'must be a string')
      const classes = isRecord(t.classes)
        ? Object.fromEntries(Object.entries(t.classes).map(([c, x]) => [c, isRecord(x) ? { mode: 'unicast', quality: c, ...x } : x]))
        : t.classes
      const { fromInterval: _from, ref: _ref, ...terms } = t
      const pricing = { ...base, weights: {}, ...terms, classes }
      checkPricing(pricing, f, key => ctx.index.has(key) && key !== id)
      ctx.tariffs[n]!.push({ from, ref: (t.ref as string | undefined) ?? `${id}#${k}`, pricing })
    })
  }
  ctx.ids.forEach((id, n) => {
    if (ctx.edge[n] === false && ctx.tariffs[n]!.length === 0) throw new ModelError('bad-type', `tariffs.${id}`, 'missing: every provider needs a tariff')
  })
}

/** The version of network `n`'s tariff in force in interval `t` (edge networks: none). */
function versionAt (ctx: Ctx, n: number, t: number): Version | undefined {
  let found: Version | undefined
  for (const v of ctx.tariffs[n]!) if (v.from <= t) found = v
  return found
}

function borderUsage (ctx: Ctx, u: number, v: number, field: string): UsageLine[][] {
  if (u === v) throw new ModelError('bad-type', field, 'must cross a border between two different networks')
  const key = u < v ? `${u},${v}` : `${v},${u}`
  let per = ctx.usage.get(key)
  if (per === undefined) ctx.usage.set(key, per = Array.from({ length: ctx.intervals }, () => []))
  return per
}

/** Add one border crossing: the class it arrives in is the receiver's (its class map applies). */
function cross (ctx: Ctx, u: number, v: number, cls: ClassId, t: number, volume: string, messages: string | undefined, field: string): ClassId {
  const tv = versionAt(ctx, v, t)
  const arrives = tv === undefined ? cls : receiverClass(tv.pricing, ctx.ids[u]!, cls)
  borderUsage(ctx, u, v, field)[t]!.push({ from: ctx.ids[u]!, to: ctx.ids[v]!, class: arrives, volume, ...(messages !== undefined ? { messages } : {}) })
  return arrives
}

function readFlows (ctx: Ctx, v: unknown): void {
  asArray(v, 'flows').forEach((fl: unknown, i) => {
    const f = `flows[${i}]`
    const { cls, volume, messages, t } = flowCommon(ctx, fl, f)
    const path = (fl as Record<string, unknown>).path
    if (!Array.isArray(path) || path.length === 0) throw new ModelError('bad-type', `${f}.path`, 'must be a non-empty array of network ids')
    let prev = networkAt(ctx, path[0], `${f}.path[0]`)
    let c = cls
    for (let j = 1; j < path.length; j++) {
      const next = networkAt(ctx, path[j], `${f}.path[${j}]`)
      c = cross(ctx, prev, next, c, t, volume, messages, `${f}.path[${j}]`)
      prev = next
    }
  })
}

function readTrees (ctx: Ctx, v: unknown): void {
  asArray(v, 'trees').forEach((tr: unknown, i) => {
    const f = `trees[${i}]`
    const { cls, volume, messages, t } = flowCommon(ctx, tr, f)
    const edges = asArray((tr as Record<string, unknown>).edges, `${f}.edges`)
    const parent = new Map<number, number>()
    const pairs = edges.map((e: unknown, j) => {
      if (!Array.isArray(e) || e.length !== 2) throw new ModelError('bad-type', `${f}.edges[${j}]`, 'must be a [parent, child] pair')
      const p = networkAt(ctx, e[0], `${f}.edges[${j}][0]`)
      const c = networkAt(ctx, e[1], `${f}.edges[${j}][1]`)
      if (parent.has(c)) throw new ModelError('bad-type', `${f}.edges[${j}][1]`, 'a network has at most one parent in a tree')
      parent.set(c, p)
      return [p, c, j] as const
    })
    // Each node's class: the root's is the tree's; a child's is what its class map makes of its parent's.
    const classAt = new Map<number, ClassId>()
    const classOf = (n: number, depth: number): ClassId => {
      const known = classAt.get(n)
      if (known !== undefined) return known
      const p = parent.get(n)
      if (p === undefined) return cls
      if (depth > parent.size) throw new ModelError('bad-type', `${f}.edges`, 'must not form a cycle')
      const tv = versionAt(ctx, n, t)
      const c = tv === undefined ? classOf(p, depth + 1) : receiverClass(tv.pricing, ctx.ids[p]!, classOf(p, depth + 1))
      classAt.set(n, c)
      return c
    }
    // Each branch crossing a border is charged there like one unicast of volume V (section 2).
    for (const [p, c, j] of pairs) cross(ctx, p, c, classOf(p, 0), t, volume, messages, `${f}.edges[${j}]`)
  })
}

function flowCommon (ctx: Ctx, fl: unknown, f: string): { cls: ClassId, volume: string, messages: string | undefined, t: number } {
  if (!isRecord(fl)) throw new ModelError('bad-type', f, 'must be an object { class, volume, ... }')
  if (typeof fl.class !== 'string' || fl.class === '') throw new ModelError('bad-type', `${f}.class`, 'must be a class id string')
  if (typeof fl.volume !== 'string' || parseDec(fl.volume, `${f}.volume`).c < 0n) throw new ModelError('bad-decimal', `${f}.volume`, `must be a non-negative decimal string, got ${describe(fl.volume)}`)
  if (fl.messages !== undefined && (typeof fl.messages !== 'string' || !/^\d+$/.test(fl.messages))) {
    throw new ModelError('bad-decimal', `${f}.messages`, `must be a non-negative integer string, got ${describe(fl.messages)}`)
  }
  const t = fl.interval ?? 0
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= ctx.intervals) {
    throw new ModelError('bad-type', `${f}.interval`, `must be an interval index from 0 to ${ctx.intervals - 1}`)
  }
  return { cls: fl.class, volume: fl.volume, messages: fl.messages as string | undefined, t }
}

interface MeasuredAt { border: string | null, interval: number | null, subject: NetworkId, cls: ClassId, metric: string, value: string }

/**
 * SLA values: a list of `{ border, subject, class, metric, value, interval? }` (per border; no
 * interval means the whole period), or format 1's `{ subject: { class: { metric: value } } }`,
 * which holds on every border of the subject for the whole period.
 */
function readMeasured (ctx: Ctx, v: unknown): MeasuredAt[] {
  if (v === undefined) return []
  if (isRecord(v)) {
    const out: MeasuredAt[] = []
    for (const [s, byClass] of Object.entries(v)) {
      networkAt(ctx, s, `measured.${s}`)
      if (!isRecord(byClass)) throw new ModelError('bad-type', `measured.${s}`, 'must be an object of class -> { metric: value }')
      for (const [c, byMetric] of Object.entries(byClass)) {
        if (!isRecord(byMetric)) throw new ModelError('bad-type', `measured.${s}.${c}`, 'must be an object of metric -> decimal')
        for (const [m, x] of Object.entries(byMetric)) {
          parseDec(x, `measured.${s}.${c}.${m}`)
          out.push({ border: null, interval: null, subject: s, cls: c, metric: m, value: x as string })
        }
      }
    }
    return out
  }
  return asArray(v, 'measured').map((m: unknown, i) => {
    const f = `measured[${i}]`
    if (!isRecord(m)) throw new ModelError('bad-type', f, 'must be an object { border, subject, class, metric, value, interval? }')
    if (!Array.isArray(m.border) || m.border.length !== 2) throw new ModelError('bad-type', `${f}.border`, 'must be a [network, network] pair')
    const x = networkAt(ctx, m.border[0], `${f}.border[0]`)
    const y = networkAt(ctx, m.border[1], `${f}.border[1]`)
    if (m.subject !== m.border[0] && m.subject !== m.border[1]) throw new ModelError('bad-type', `${f}.subject`, 'must be one of the border\'s two networks')
    if (typeof m.class !== 'string' || typeof m.metric !== 'string') throw new ModelError('bad-type', f, 'class and metric must be strings')
    parseDec(m.value, `${f}.value`)
    const t = m.interval ?? null
    if (t !== null && (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= ctx.intervals)) {
      throw new ModelError('bad-type', `${f}.interval`, `must be an interval index from 0 to ${ctx.intervals - 1}`)
    }
    return { border: x < y ? `${x},${y}` : `${y},${x}`, interval: t as number | null, subject: m.subject as string, cls: m.class, metric: m.metric, value: m.value as string }
  })
}

/** The statement input of border (i, j): a segment per run of intervals under the same two versions. */
function statementInput (ctx: Ctx, i: number, j: number, all: MeasuredAt[], base: Pick<PricingTariff, 'currency' | 'decimals' | 'unit'>, periodFees: boolean): StatementInput {
  const key = `${i},${j}`
  const mine = all.filter(m => (m.border === key || (m.border === null && (m.subject === ctx.ids[i] || m.subject === ctx.ids[j]))))
  const put = (target: Measured, m: MeasuredAt): void => { ((target[m.subject] ??= {})[m.cls] ??= {})[m.metric] = m.value }
  const period: Measured = {}
  for (const m of mine) if (m.interval === null) put(period, m)
  const zero = (n: number): { ref: string, pricing: PricingTariff } => ({ ref: `${ctx.ids[n]!}#0`, pricing: { ...base, classes: {}, weights: {} } })
  const segments: StatementInput['segments'] = []
  let last = ''
  const usage = ctx.usage.get(key)!
  for (let t = 0; t < ctx.intervals; t++) {
    const [vi, vj] = [versionAt(ctx, i, t) ?? zero(i), versionAt(ctx, j, t) ?? zero(j)]
    if (`${vi.ref}\u0000${vj.ref}` !== last) {
      segments.push({ tariffs: { [ctx.ids[i]!]: { ref: vi.ref, pricing: vi.pricing }, [ctx.ids[j]!]: { ref: vj.ref, pricing: vj.pricing } }, intervals: [] })
      last = `${vi.ref}\u0000${vj.ref}`
    }
    const measured: Measured = {}
    for (const m of mine) if (m.interval === t) put(measured, m)
    segments.at(-1)!.intervals!.push({ usage: usage[t]!, measured })
  }
  return { parties: [ctx.ids[i]!, ctx.ids[j]!], segments, measured: period, periodFees }
}

function networkAt (ctx: Ctx, id: unknown, field: string): number {
  const n = typeof id === 'string' ? ctx.index.get(id) : undefined
  if (n === undefined) {
    throw new ModelError(typeof id === 'string' ? 'unknown-network' : 'bad-type', field,
      typeof id === 'string' ? `unknown network ${describe(id)}` : `must be a network id string, got ${describe(id)}`)
  }
  return n
}

function asArray (v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new ModelError('bad-type', field, 'must be an array')
  return v
}

/** Surplus of every network (sum of the rounded lines it receives minus those it pays) and border nets. */
export function scenario2Totals (r: Scenario2Result): { surplus: Dec[], borders: Array<{ from: number, to: number, class: ClassId, net: Dec }> } {
  const index = new Map(r.ids.map((id, i) => [id, i]))
  const surplus = r.ids.map(() => ZERO)
  const borders = new Map<string, { from: number, to: number, class: ClassId, net: Dec }>()
  for (const { statement } of r.statements) {
    for (const l of statement.lines) {
      const amount = parseDec(l.amount, 'amount')
      const from = index.get(l.from)!
      const to = index.get(l.to)!
      surplus[to] = add(surplus[to]!, amount)
      surplus[from] = add(surplus[from]!, neg(amount))
      if (l.class === null) continue
      const key = JSON.stringify([from, to, l.class])
      const b = borders.get(key) ?? { from, to, class: l.class, net: ZERO }
      b.net = add(b.net, amount)
      borders.set(key, b)
    }
  }
  const sorted = [...borders.values()].sort((x, y) => x.from - y.from || x.to - y.to || codeUnitOrder(x.class, y.class))
  return { surplus, borders: sorted }
}

