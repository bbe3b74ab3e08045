/**
 * What the generated relationships mean to the agents: each neighbour's status in the agent's
 * config (a provider is `transit` to its customer, the customer is `customer` to it, peers are
 * `peer`), and the weights of each tariff, so that customers pay their providers and peers settle
 * at weight 1. Plus the summary figures of a graph that docs/internet.md and the tests use.
 */
import type { NeighbourStatus, PricingTariff } from '@splitedge/model'
import type { InternetGraph } from './graph.js'

export interface Link { peer: number, status: NeighbourStatus }

/** Each node's neighbours with the status each has in that node's config. */
export function neighbourStatuses (g: InternetGraph): Link[][] {
  const out: Link[][] = Array.from({ length: g.n }, () => [])
  g.edges.forEach(([a, b], k) => {
    const r = g.rel[k]
    // r = 1: a provides transit to b; r = -1: b provides transit to a.
    out[a]?.push({ peer: b, status: r === 1 ? 'customer' : r === -1 ? 'transit' : 'peer' })
    out[b]?.push({ peer: a, status: r === 1 ? 'transit' : r === -1 ? 'customer' : 'peer' })
  })
  return out
}

/**
 * Weights by status. A customer pays in both directions: its provider weighs the customer's
 * traffic at 1 both ways, and the customer weighs its provider at 0. Peers weigh each other at 1,
 * so with equal prices and traffic a peering nets to about zero.
 */
export const STATUS_WEIGHTS: Readonly<Record<NeighbourStatus, { send: string, receive: string }>> = {
  customer: { send: '1', receive: '1' },
  peer: { send: '1', receive: '1' },
  transit: { send: '0', receive: '0' }
}

/** Price per octet by layer: Tier-1s dearest, stubs cheapest (what a stub charges its peers). */
const PRICES = ['0.000004', '0.000003', '0.000002'] as const

/**
 * The tariff of a node. Its most common status is the `*` weight and only the other neighbours
 * are named in `statuses`, so a transit network with thousands of customers publishes a tariff
 * that names its few providers and peers, not every customer (tariff bytes stay near constant
 * per border rather than growing with the degree).
 */
export function tariffOf (layer: 0 | 1 | 2, links: Link[], peerIdOf: (i: number) => string): PricingTariff {
  const count: Record<NeighbourStatus, number> = { customer: 0, peer: 0, transit: 0 }
  for (const l of links) count[l.status]++
  const common = (['customer', 'transit', 'peer'] as const).reduce((m, s) => count[s] > count[m] ? s : m, 'peer')
  const statuses: Record<string, NeighbourStatus> = {}
  for (const l of links) if (l.status !== common) statuses[peerIdOf(l.peer)] = l.status
  const weights: PricingTariff['weights'] = { '*': { ...STATUS_WEIGHTS[common] } }
  for (const s of ['customer', 'peer', 'transit'] as const) if (s !== common && count[s] > 0) weights[`status:${s}`] = { ...STATUS_WEIGHTS[s] }
  return {
    currency: 'EUR', decimals: 6, unit: 'octet',
    classes: { be: { mode: 'unicast', quality: 'BE', price: PRICES[layer] } },
    weights,
    ...(Object.keys(statuses).length > 0 ? { statuses } : {})
  }
}

export const layerOf = (g: InternetGraph, i: number): 0 | 1 | 2 => i < g.tier1 ? 0 : i < g.tier1 + g.transit ? 1 : 2

export interface InternetSummary {
  n: number
  links: number
  customerProvider: number
  peering: number
  meanDegree: number
  maxDegree: number
  /** Share of nodes with no customer. */
  stubShare: number
  tier1: number
  transit: number
  /** Mean providers of a node that has any. */
  meanProviders: number
}

export function summarize (g: InternetGraph, deg: number[]): InternetSummary {
  const customers = new Uint32Array(g.n)
  const providers = new Uint32Array(g.n)
  let c2p = 0
  g.edges.forEach(([a, b], k) => {
    const r = g.rel[k]
    if (r === 0) return
    c2p++
    const [prov, cust] = r === 1 ? [a, b] : [b, a]
    customers[prov]!++
    providers[cust]!++
  })
  const withProviders = providers.filter(x => x > 0)
  return {
    n: g.n,
    links: g.edges.length,
    customerProvider: c2p,
    peering: g.edges.length - c2p,
    meanDegree: 2 * g.edges.length / g.n,
    maxDegree: deg.reduce((m, x) => Math.max(m, x), 0),
    stubShare: customers.filter(x => x === 0).length / g.n,
    tier1: g.tier1,
    transit: g.transit,
    meanProviders: withProviders.reduce((s, x) => s + x, 0) / withProviders.length
  }
}

/** The degree CCDF: for each distinct degree d, the share of nodes with degree >= d. */
export function degreeCcdf (deg: number[]): Array<[number, number]> {
  const sorted = [...deg].sort((x, y) => x - y)
  const out: Array<[number, number]> = []
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) continue
    out.push([sorted[i] as number, (sorted.length - i) / sorted.length])
  }
  return out
}
