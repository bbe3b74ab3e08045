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
