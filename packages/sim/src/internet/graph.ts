/**
 * `internet`: a seeded AS-level graph with the published shape of the real one (see
 * docs/internet.md for the figures and their sources). Three layers, numbered in this order:
 * - a clique of Tier-1 networks (no providers, all peering with each other);
 * - transit networks, each buying from 1 to 4 providers among the Tier-1s and earlier transits;
 * - stubs (about 85 %), each buying from 1 to 3 providers, some also peering.
 * A provider is always an earlier node, so the customer-to-provider hierarchy has no cycle, and
 * every node reaches the clique through its providers, so the graph is connected.
 * Who attracts customers and peers follows a Zipf weight on the provider's rank, which gives the
 * heavy-tailed degree distribution (a few transit networks with thousands of neighbours).
 */
import { below, type Rng } from '../rng.js'
import { TopologyError, type Edge, type Graph } from '../topology.js'

/** For edge [a, b]: 1 if a is b's provider, -1 if b is a's provider, 0 if they peer. */
export type Relationship = 1 | -1 | 0

export interface InternetGraph extends Graph {
  /** Nodes 0..tier1-1 are the Tier-1 clique. */
  tier1: number
  /** Nodes tier1..tier1+transit-1 are transit networks; every later node is a stub. */
  transit: number
  /** rel[k] is the relationship of edges[k]. */
  rel: Int8Array
}

export interface InternetParams {
  /** Tier-1 clique size at full scale (CAIDA's inferred clique has 15 to 20 members). */
  tier1: number
  /** Share of ASes with no customers. */
  stubShare: number
  /** Zipf exponent of the attractiveness of the provider of rank r: weight (r+1)^-zipf. */
  zipf: number
  /** Providers of a transit network: 1 + below(transitProvidersSpread). */
  transitProvidersSpread: number
  /** Providers of a stub: 1, 2 or 3 with these probabilities (multihoming). */
  stubProviders: [number, number, number]
  /** Peerings each transit network starts with other transit networks (mean). */
  transitPeers: number
  /** Share of stubs that peer (content and enterprise networks at exchanges), and their peerings. */
  stubPeerShare: number
  stubPeers: number
}

export const INTERNET_DEFAULTS: InternetParams = {
  tier1: 15,
  stubShare: 0.85,
  zipf: 0.85,
  transitProvidersSpread: 4,
  stubProviders: [0.45, 0.35, 0.2],
  transitPeers: 8,
  stubPeerShare: 0.3,
  stubPeers: 4
}

const key = (a: number, b: number): number => a < b ? a * 0x10_0000 + b : b * 0x10_0000 + a

/** Draws providers in proportion to a Zipf weight on rank, among the first `limit` candidates. */
class ZipfPicker {
  private readonly cum: Float64Array
  constructor (size: number, exponent: number) {
    this.cum = new Float64Array(size)
    let s = 0
    for (let r = 0; r < size; r++) { s += (r + 1) ** -exponent; this.cum[r] = s }
  }

  pick (rng: Rng, limit: number = this.cum.length): number {
    const x = rng() * (this.cum[limit - 1] as number)
    let lo = 0
    let hi = limit - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.cum[mid] as number) > x) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

/** The layer sizes at n: the clique shrinks below 750 nodes so small graphs keep their shape. */
export function layers (n: number, p: InternetParams = INTERNET_DEFAULTS): { tier1: number, transit: number, stubs: number } {
  const tier1 = Math.max(3, Math.min(p.tier1, Math.round(n / 50)))
  const transit = Math.max(1, Math.round(n * (1 - p.stubShare)) - tier1)
  return { tier1, transit, stubs: n - tier1 - transit }
}

/** The AS graph at size n (at least 20; 75,000 is the size of today's Internet). */
export function internetGraph (n: number, rng: Rng, params: Partial<InternetParams> = {}): InternetGraph {
  const p = { ...INTERNET_DEFAULTS, ...params }
  if (!Number.isInteger(n) || n < 20 || n >= 0x10_0000) throw new TopologyError('bad-size', `n must be an integer in [20, 2^20), got ${n}`)
  const { tier1, transit } = layers(n, p)
  const providers = tier1 + transit
  const zipf = new ZipfPicker(providers, p.zipf)
  const rels = new Map<number, Relationship>()
  const add = (a: number, b: number, providerOfB: boolean): boolean => {
    const k = key(a, b)
    if (a === b || rels.has(k)) return false
    // Stored for [lower, higher]: 1 when the lower end is the provider.
    rels.set(k, providerOfB ? (a < b ? 1 : -1) : 0)
    return true
  }
  for (let a = 0; a < tier1; a++) for (let b = a + 1; b < tier1; b++) add(a, b, false)
  for (let v = tier1; v < providers; v++) {
    // At least one Tier-1 or earlier transit; providers always come earlier: no cycle.
    const want = 1 + below(rng, p.transitProvidersSpread)
    for (let tries = 0, got = 0; got < Math.min(want, v) && tries < 8 * want; tries++) if (add(zipf.pick(rng, v), v, true)) got++
  }
  for (let v = providers; v < n; v++) stubProviders(v, providers, p, zipf, rng, add)
  peerings(n, tier1, providers, p, zipf, rng, add)
  return finishInternet(n, tier1, transit, rels)
}

type Add = (a: number, b: number, providerOfB: boolean) => boolean

function stubProviders (v: number, providers: number, p: InternetParams, zipf: ZipfPicker, rng: Rng, add: Add): void {
  const x = rng()
  const want = x < p.stubProviders[0] ? 1 : x < p.stubProviders[0] + p.stubProviders[1] ? 2 : 3
  // The first stubs go one to each provider in turn, so every transit network has a customer.
  let got = v - providers < providers ? (add(v - providers, v, true) ? 1 : 0) : 0
  for (let tries = 0; got < want && tries < 8 * want; tries++) if (add(zipf.pick(rng), v, true)) got++
}

/** Peering among transit networks, and of some stubs with transit networks and other stubs. */
function peerings (n: number, tier1: number, providers: number, p: InternetParams, zipf: ZipfPicker, rng: Rng, add: Add): void {
  for (let v = tier1; v < providers; v++) {
    const want = below(rng, 2 * p.transitPeers + 1)
    for (let i = 0; i < want; i++) {
      const u = zipf.pick(rng)
      // Tier-1s peer only among themselves: everyone else buys transit from them.
      if (u >= tier1) add(u, v, false)
    }
  }
  const stubs = n - providers
  for (let v = providers; v < n; v++) {
    if (rng() >= p.stubPeerShare) continue
    const want = 1 + below(rng, 2 * p.stubPeers - 1)
    for (let i = 0; i < want; i++) {
      // Half with a transit network (by its weight), half with another stub at an exchange.
      const u = rng() < 0.5 ? zipf.pick(rng) : providers + below(rng, stubs)
      if (u >= tier1) add(u, v, false)
    }
  }
}

function finishInternet (n: number, tier1: number, transit: number, rels: Map<number, Relationship>): InternetGraph {
  const keys = [...rels.keys()].sort((x, y) => x - y)
  const edges: Edge[] = keys.map(k => [Math.floor(k / 0x10_0000), k % 0x10_0000])
  const rel = Int8Array.from(keys, k => rels.get(k) as number)
  return { n, edges, tier1, transit, rel }
}
