/**
 * Scenario evaluator (docs/pricing.md, "splitedge simulate"): unicast paths and multicast trees, per-network surplus
 * and per-(directed border, class) net amounts.
 *
 * The net across a border is linear in volume, so the evaluator first sums volume per
 * (directed border, class) over every flow hop and tree edge (integer indices, one bigint add per
 * hop), then multiplies once per (border, class) by `w_vus p_v f_v - w_uvr p_u f_u`. Surpluses are
 * exact sums of those nets, so they add up to exactly zero; rounding happens only when rendering.
 */
import { describe, mul, pow10, rescale, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import { compileScenario, netRateOf, type CompiledScenario } from './scenario.js'
import { isRecord } from './sla.js'
import type { ClassId, NetworkId } from './types.js'

export interface BorderNet {
  from: NetworkId
  to: NetworkId
  class: ClassId
  /** Total volume that crossed from `from` into `to` in this class (exact). */
  volume: Dec
  /** What `from` pays `to` (exact, negative when `to` pays). */
  net: Dec
}

export interface ScenarioResult {
  decimals: number
  /** Network ids in declaration order. */
  ids: NetworkId[]
  /** Exact surplus of each network, by declaration index. Sums to exactly zero. */
  surplus: Dec[]
  /** One line per directed border and class that carried traffic, ordered by (from, to) declaration index, then class id. */
  borders: BorderNet[]
  /** Border crossings evaluated: flow path steps plus tree edges. */
  flowHops: number
}

/** Validate and evaluate a parsed scenario. Throws `ModelError` naming the bad field. */
export function evaluateScenario (input: unknown): ScenarioResult {
  const s = compileScenario(input)
  const acc = new VolumeAccumulator(s.ids.length, s.classes.length)
  const rec = input as Record<string, unknown>
  let hops = 0
  if (rec.flows !== undefined) hops += addFlows(s, acc, rec.flows)
  if (rec.trees !== undefined) hops += addTrees(s, acc, rec.trees)
  return settle(s, acc, hops)
}

/**
 * Sums volume per (from, to, class) slot, exactly. Each slot's total is `hi + lo` at scale
 * `scale`: `lo` is an integer held in a double and kept <= 2^53 - 1, where integer addition is
 * exact, and is carried into the bigint `hi` before it could exceed that. This keeps the per-hop
 * work free of bigint arithmetic and allocation; no fractional double is ever formed.
 *
 * Slots are found through an open-addressing table on (u, v * classes + class) held in typed
 * arrays: cheaper per hop than a `Map` and free of garbage.
 */
class VolumeAccumulator {
  /** Slot keys in creation order: (u * n + v) * c + cls (exact: n * n * c is asserted safe). */
  readonly keys: number[] = []
  lo = new Float64Array(1024)
  readonly hi: bigint[] = []
  /** Common scale of every slot; grows (rarely) when a volume with more decimals arrives. */
  scale = 0
  /** Set by `volumeCoefficient` when a volume does not fit a safe integer. */
  big = 0n
  private mask = 1023
  private tu = new Int32Array(1024).fill(-1)
  private tvc = new Int32Array(1024)
  private ts = new Int32Array(1024)

  constructor (readonly n: number, readonly c: number) {
    if (!Number.isSafeInteger(n * n * c) || n * c > 0x7fffffff) throw new RangeError('scenario too large to index')
  }

  slot (u: number, v: number, cls: number): number {
    const vc = v * this.c + cls
    let h = (Math.imul(u, 0x9e3779b1) ^ Math.imul(vc, 0x85ebca6b)) & this.mask
    for (;;) {
      const k = this.tu[h]!
      if (k === -1) break
      if (k === u && this.tvc[h] === vc) return this.ts[h]!
      h = (h + 1) & this.mask
    }
    const slot = this.keys.length
    this.tu[h] = u
    this.tvc[h] = vc
    this.ts[h] = slot
    this.keys.push((u * this.n + v) * this.c + cls)
    this.hi.push(0n)
    if (slot >= this.lo.length) {
      const lo = new Float64Array(this.lo.length * 2)
      lo.set(this.lo)
      this.lo = lo
    }
    if (this.keys.length * 2 > this.mask) this.rehash()
    return slot
  }

  private rehash (): void {
    const size = (this.mask + 1) * 2
    const { tu, tvc, ts } = this
    this.mask = size - 1
    this.tu = new Int32Array(size).fill(-1)
    this.tvc = new Int32Array(size)
    this.ts = new Int32Array(size)
    for (let i = 0; i < tu.length; i++) {
      if (tu[i] === -1) continue
      let h = (Math.imul(tu[i]!, 0x9e3779b1) ^ Math.imul(tvc[i]!, 0x85ebca6b)) & this.mask
      while (this.tu[h] !== -1) h = (h + 1) & this.mask
      this.tu[h] = tu[i]!
      this.tvc[h] = tvc[i]!
      this.ts[h] = ts[i]!
    }
  }

  /** Bring every slot to scale `s` (> current): carry `lo` into `hi`, then multiply exactly. */
  growScale (s: number): void {
    const m = pow10(s - this.scale)
    for (let i = 0; i < this.hi.length; i++) {
      this.hi[i] = (this.hi[i]! + BigInt(this.lo[i]!)) * m
      this.lo[i] = 0
    }
    this.scale = s
  }

  /** Add a coefficient from `volumeCoefficient` (at the current scale) to a slot. */
  add (slot: number, x: number): void {
    if (x < 0) {
      this.hi[slot] = this.hi[slot]! + this.big
      return
    }
    const t = this.lo[slot]! + x
    if (t <= Number.MAX_SAFE_INTEGER) {
      this.lo[slot] = t
    } else {
      this.hi[slot] = this.hi[slot]! + BigInt(this.lo[slot]!) + BigInt(x)
      this.lo[slot] = 0
    }
  }

  total (slot: number): Dec {
    return { c: this.hi[slot]! + BigInt(this.lo[slot]!), s: this.scale }
  }
}

const DIGITS_SAFE = 15

/**
 * Parse a non-negative volume (`digits(.digits)?`) straight into a coefficient at the
 * accumulator's scale, growing the scale if needed. Returns the coefficient when it is a safe
 * integer, else -1 with the bigint coefficient in `acc.big`; `null` when the text is not a
 * non-negative decimal. Digit by digit, so that common volumes never touch a regex or a bigint.
 */
function volumeCoefficient (acc: VolumeAccumulator, v: unknown): number | null {
  if (typeof v !== 'string') return null
  const len = v.length
  let c = 0
  let digits = 0
  let dot = -1
  for (let i = 0; i < len; i++) {
    const ch = v.charCodeAt(i)
    if (ch >= 48 && ch <= 57) {
      c = c * 10 + (ch - 48)
      digits++
    } else if (ch === 46 && dot < 0 && i > 0 && i < len - 1) {
      dot = i
    } else {
      return null
    }
  }
  if (digits === 0) return null
  const s = dot < 0 ? 0 : len - dot - 1
  if (s > acc.scale) acc.growScale(s)
  const shift = acc.scale - s
  if (digits <= DIGITS_SAFE && shift <= DIGITS_SAFE - digits) return c * 10 ** shift // < 10^15: exact
  const big = BigInt(dot < 0 ? v : v.slice(0, dot) + v.slice(dot + 1)) * pow10(shift)
  if (big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big)
  acc.big = big
  return -1
}

function badVolume (v: unknown, field: string): ModelError {
  const negative = typeof v === 'string' && /^-\d+(\.\d+)?$/.test(v)
  return new ModelError(negative ? 'negative' : 'bad-decimal', field, `must be a non-negative decimal string, got ${describe(v)}`)
}

function classOf (s: CompiledScenario, cls: unknown, field: string): number {
  const c = typeof cls === 'string' ? s.classIndex.get(cls) : undefined
  if (c === undefined) {
    throw new ModelError(typeof cls === 'string' ? 'unknown-class' : 'bad-type', field,
      typeof cls === 'string' ? `unknown class ${describe(cls)} (no network prices it)` : `must be a class id string, got ${describe(cls)}`)
  }
  return c
}

/** Index of a network id, or -1 (the caller names the field: no closures per hop). */
function networkOf (s: CompiledScenario, id: unknown): number {
  const n = typeof id === 'string' ? s.index.get(id) : undefined
  return n ?? -1
}

function badNetwork (id: unknown, field: string): ModelError {
  return new ModelError(typeof id === 'string' ? 'unknown-network' : 'bad-type', field,
    typeof id === 'string' ? `unknown network ${describe(id)}` : `must be a network id string, got ${describe(id)}`)
}

function addFlows (s: CompiledScenario, acc: VolumeAccumulator, flows: unknown): number {
  if (!Array.isArray(flows)) throw new ModelError('bad-type', 'flows', 'must be an array')
  let hops = 0
  for (let i = 0; i < flows.length; i++) {
    const f: unknown = flows[i]
    if (!isRecord(f)) throw new ModelError('bad-type', `flows[${i}]`, 'must be an object { path, class, volume }')
    const cls = s.classIndex.get(f.class as string) ?? classOf(s, f.class, `flows[${i}].class`)
    const coeff = volumeCoefficient(acc, f.volume)
    if (coeff === null) throw badVolume(f.volume, `flows[${i}].volume`)
    const path = f.path
    if (!Array.isArray(path) || path.length === 0) {
      throw new ModelError('bad-type', `flows[${i}].path`, 'must be a non-empty array of network ids')
    }
    let prev = networkOf(s, path[0])
    if (prev < 0) throw badNetwork(path[0], `flows[${i}].path[0]`)
    for (let j = 1; j < path.length; j++) {
      const next = networkOf(s, path[j])
      if (next < 0) throw badNetwork(path[j], `flows[${i}].path[${j}]`)
      if (next === prev) {
        throw new ModelError('bad-type', `flows[${i}].path[${j}]`, `repeats ${describe(path[j])}: each step must cross a border`)
      }
      acc.add(acc.slot(prev, next, cls), coeff)
      prev = next
    }
    hops += path.length - 1
  }
  return hops
}

function addTrees (s: CompiledScenario, acc: VolumeAccumulator, trees: unknown): number {
  if (!Array.isArray(trees)) throw new ModelError('bad-type', 'trees', 'must be an array')
  let hops = 0
  for (let i = 0; i < trees.length; i++) {
    const t: unknown = trees[i]
    if (!isRecord(t)) throw new ModelError('bad-type', `trees[${i}]`, 'must be an object { edges, class, volume }')
    const cls = classOf(s, t.class, `trees[${i}].class`)
    const coeff = volumeCoefficient(acc, t.volume)
    if (coeff === null) throw badVolume(t.volume, `trees[${i}].volume`)
    const edges = t.edges
    if (!Array.isArray(edges)) throw new ModelError('bad-type', `trees[${i}].edges`, 'must be an array of [parent, child] pairs')
    // Each branch crossing a border is charged there like one unicast of volume V (section 2).
    for (let j = 0; j < edges.length; j++) {
      const e: unknown = edges[j]
      if (!Array.isArray(e) || e.length !== 2) {
        throw new ModelError('bad-type', `trees[${i}].edges[${j}]`, 'must be a [parent, child] pair')
      }
      const u = networkOf(s, e[0])
      if (u < 0) throw badNetwork(e[0], `trees[${i}].edges[${j}][0]`)
      const v = networkOf(s, e[1])
      if (v < 0) throw badNetwork(e[1], `trees[${i}].edges[${j}][1]`)
      if (u === v) throw new ModelError('bad-type', `trees[${i}].edges[${j}]`, 'parent and child are the same network')
      acc.add(acc.slot(u, v, cls), coeff)
    }
    hops += edges.length
  }
  return hops
}

function settle (s: CompiledScenario, acc: VolumeAccumulator, flowHops: number): ScenarioResult {
  const n = s.ids.length
  const nc = s.classes.length
  // Keys are unique and encode (from, to, class) in output order: a numeric sort orders the lines.
  const order = Float64Array.from(acc.keys).sort()
  const borders: BorderNet[] = []
  const ends: Array<[number, number]> = []
  let scale = 0
  for (const key of order) {
    const cls = key % nc
    const pair = (key - cls) / nc
    const v = pair % n
    const u = (pair - v) / n
    const volume = acc.total(acc.slot(u, v, cls))
    const net = mul(volume, netRateOf(s, u, v, cls))
    if (net.s > scale) scale = net.s
    borders.push({ from: s.ids[u]!, to: s.ids[v]!, class: s.classes[cls]!, volume, net })
    ends.push([u, v])
  }
  // Surpluses: every net added to its receiver and taken from its payer, at one common scale.
  const surplus = new Array<bigint>(n).fill(0n)
  for (let i = 0; i < borders.length; i++) {
    const c = rescale(borders[i]!.net, scale)
    const [u, v] = ends[i]!
    surplus[v]! += c
    surplus[u]! -= c
  }
  return { decimals: s.decimals, ids: s.ids, surplus: surplus.map(c => ({ c, s: scale })), borders, flowHops }
}
