/**
 * Cost against degree: agents are grouped in buckets of degree (1, 2, 3-4, 5-8, ... powers of
 * two), each metric is divided by the agent's degree (its number of borders), and the spread is
 * the largest bucket mean over the smallest. A spread near 1 means an agent's cost is its number
 * of borders times a constant, whatever its degree.
 */
import type { AgentCost } from './counting.js'

export const METRICS = ['messages', 'bytes', 'signatures', 'cpuMs', 'storedBytes'] as const
export type Metric = typeof METRICS[number]

export interface Bucket {
  /** Degrees lo..hi inclusive. */
  lo: number
  hi: number
  agents: number
  /** Mean per agent, and mean per border (per agent divided by its degree, averaged). */
  perAgent: Record<Metric, number>
  perBorder: Record<Metric, number>
}

export interface CostRow extends AgentCost { degree: number }

const bucketOf = (d: number): number => d <= 1 ? 0 : Math.ceil(Math.log2(d))

export function degreeBuckets (rows: CostRow[]): Bucket[] {
  const groups = new Map<number, CostRow[]>()
  for (const r of rows) {
    if (r.degree === 0) continue
    const b = bucketOf(r.degree)
    const list = groups.get(b) ?? []
    list.push(r)
    groups.set(b, list)
  }
  return [...groups.entries()].sort((x, y) => x[0] - y[0]).map(([b, list]) => {
    const mean = (f: (r: CostRow) => number): number => list.reduce((s, r) => s + f(r), 0) / list.length
    const perAgent = Object.fromEntries(METRICS.map(m => [m, mean(r => r[m])])) as Record<Metric, number>
    const perBorder = Object.fromEntries(METRICS.map(m => [m, mean(r => r[m] / r.degree)])) as Record<Metric, number>
    return { lo: b === 0 ? 1 : 2 ** (b - 1) + 1, hi: 2 ** b, agents: list.length, perAgent, perBorder }
  })
}

/** Largest over smallest per-border mean across buckets, per metric. */
export function perBorderSpread (buckets: Bucket[]): Record<Metric, number> {
  return Object.fromEntries(METRICS.map(m => {
    const v = buckets.map(b => b.perBorder[m])
    return [m, Math.max(...v) / Math.min(...v)]
  })) as Record<Metric, number>
}

/** Each agent's cost after the tariff phase: the attestation and settlement work alone. */
export function minus (total: CostRow[], before: AgentCost[]): CostRow[] {
  return total.map((r, i) => {
    const b = before[i] as AgentCost
    return { degree: r.degree, messages: r.messages - b.messages, bytes: r.bytes - b.bytes, signatures: r.signatures - b.signatures, cpuMs: r.cpuMs - b.cpuMs, storedBytes: r.storedBytes - b.storedBytes, storedKeys: r.storedKeys - b.storedKeys }
  })
}

export interface NComparison {
  /** The worst bucket's ratio, per metric: the larger per-agent mean over the smaller. */
  ratio: Record<Metric, number>
  /** Each bucket compared (held by both runs with at least `minAgents` agents each). */
  buckets: Array<{ lo: number, hi: number, agents: [number, number], ratio: Record<Metric, number> }>
}

/**
 * Whether the cost at a given degree depends on N: the same degree buckets of two runs at
 * different N, compared by their mean cost per agent. A ratio of 1 means an agent's cost is set by
 * its degree alone. Buckets with fewer than `minAgents` agents in either run (the few largest hubs,
 * whose degrees differ from one N to the next) are left out.
 */
export function nIndependence (small: Bucket[], large: Bucket[], minAgents = 3): NComparison {
  const buckets: NComparison['buckets'] = []
  for (const a of small) {
    const b = large.find(x => x.lo === a.lo && x.hi === a.hi)
    if (b === undefined || a.agents < minAgents || b.agents < minAgents) continue
    const ratio = Object.fromEntries(METRICS.map(m => {
      const [x, y] = [a.perAgent[m], b.perAgent[m]]
      return [m, Math.max(x, y) / Math.min(x, y)]
    })) as Record<Metric, number>
    buckets.push({ lo: a.lo, hi: a.hi, agents: [a.agents, b.agents], ratio })
  }
  const ratio = Object.fromEntries(METRICS.map(m => [m, Math.max(...buckets.map(b => b.ratio[m]))])) as Record<Metric, number>
  return { ratio, buckets }
}
