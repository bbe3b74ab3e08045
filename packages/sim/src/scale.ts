/**
 * The scalability experiment: for each N, one graph of fixed average degree, and one measured
 * cycle of each design on it, all in this process; per-agent mean and max of every counter, and
 * how the per-agent means grow from the smallest to the largest N.
 */
import { generate, degrees, type TopologyKind } from './topology.js'
import { seededRng } from './rng.js'
import { stats, type AgentFigures, type Stat } from './counters.js'
import { runSplitedge } from './splitedge.js'
import { runCore } from './core.js'
import { runGlobalTopic, withBilateral } from './global-topic.js'
import type { DesignResult, PhaseResult } from './cycle.js'

export const DESIGNS = ['splitedge', 'core', 'globalTopic'] as const
export type Design = typeof DESIGNS[number]

export interface ScaleOptions {
  sizes: number[]
  degree: number
  topology: TopologyKind
  intervalMs: number
  periodIntervals: number
  seed: number
  phaseTimeoutMs: number
  /**
   * Largest N at which the global topic runs. Its total work is quadratic (every node receives,
   * verifies and forwards every tariff: about 7 RPC deliveries per node and tariff here), so past
   * a few hundred agents one process spends hours on it; its growth is measured up to this N.
   */
  globalTopicMaxN: number
  /** Called after each design run, for progress output. */
  onResult?: (r: DesignSummary) => void
}

export interface DesignSummary {
  design: Design
  n: number
  edges: number
  averageDegree: number
  maxDegree: number
  /** Per-agent mean and max of every counter (agents only; the hub is in `hub`). */
  perAgent: Record<string, Stat>
  /** Process-wide totals divided by N (only totals exist in one process; no max). */
  perAgentProcess: { cpuMs: number, heapBytes: number, signaturesVerified: number }
  hub?: AgentFigures
  incomplete: number
  cycleMs: number
  phases: PhaseResult[]
  /** globalTopic only: where its bilateral traffic comes from. */
  note?: string
}

export interface Growth {
  messages: number
  bytes: number
  hubMessages?: number
  hubBytes?: number
  /** The N the ratio is taken at, when it is not the run's largest (global topic). */
  largestN?: number
  /** Global topic: the ratio of its own tariff gossip (messages, bytes), without the bilateral part. */
  gossipMessages?: number
  gossipBytes?: number
}

export interface ScaleReport {
  bench: 'scale'
  params: Omit<ScaleOptions, 'onResult'>
  results: DesignSummary[]
  growth: { splitedge: Growth, core: Growth, globalTopic: Growth, largestN: number, smallestN: number }
  /** The acceptance test, evaluated on this run. */
  verdict: { splitedgeWithin125: boolean, coreHubAtLeastLinear: boolean, globalTopicAtLeastLinear: boolean, complete: boolean }
}

function summarize (design: Design, r: DesignResult, deg: number[], note?: string): DesignSummary {
  const n = r.n
  return {
    design,
    n,
    edges: r.edges,
    averageDegree: 2 * r.edges / n,
    maxDegree: Math.max(...deg),
    perAgent: stats(r.agents),
    perAgentProcess: { cpuMs: r.process.cpuMs / n, heapBytes: r.process.heapBytes / n, signaturesVerified: r.process.signaturesVerified / n },
    ...(r.hub !== undefined ? { hub: r.hub } : {}),
    incomplete: r.incomplete,
    cycleMs: r.cycleMs,
    phases: r.phases,
    ...(note !== undefined ? { note } : {})
  }
}

const ratio = (a: number | undefined, b: number | undefined): number => (a ?? 0) / Math.max(1e-9, b ?? 0)

/** Is `f` at least proportional to N between the two sizes (what the issue calls linear growth)? */
const atLeastLinear = (fLarge: number, fSmall: number, nLarge: number, nSmall: number): boolean => fLarge / fSmall >= nLarge / nSmall

export async function runScale (opts: ScaleOptions): Promise<ScaleReport> {
  const results: DesignSummary[] = []
  const runBase = `scale-${process.pid}-${Date.now()}`
  for (const n of opts.sizes) {
    const graph = generate(opts.topology, n, opts.degree, seededRng(opts.seed + n))
    const deg = degrees(graph)
    const cycle = {
      graph,
      intervalMs: opts.intervalMs,
      periodIntervals: opts.periodIntervals,
      usageSeed: `scale-${opts.seed}`,
      phaseTimeoutMs: opts.phaseTimeoutMs,
      runId: `${runBase}-${n}`
    }
    const push = (s: DesignSummary): void => { results.push(s); opts.onResult?.(s) }
    const se = await runSplitedge(cycle)
    push(summarize('splitedge', se, deg))
    push(summarize('core', await runCore(cycle), deg))
    if (n > opts.globalTopicMaxN) continue
    const gt = await runGlobalTopic(cycle)
    push(summarize('globalTopic', withBilateral(gt, se), deg, 'tariff gossip on one global topic measured here; border, settle and tariff-sync traffic and stores measured in the splitedge run of the same graph (same protocol, same borders); process totals add both runs'))
  }
  const nMin = Math.min(...opts.sizes)
  const nMax = Math.max(...opts.sizes)
  const at = (d: Design, n: number): DesignSummary | undefined => results.find(r => r.design === d && r.n === n)
  const largestOf = (d: Design): number => Math.max(...results.filter(r => r.design === d).map(r => r.n))
  const grow = (d: Design): Growth => {
    const top = largestOf(d)
    const lo = at(d, nMin)
    const hi = at(d, top)
    const g: Growth = {
      messages: ratio(hi?.perAgent.messages?.mean, lo?.perAgent.messages?.mean),
      bytes: ratio(hi?.perAgent.bytes?.mean, lo?.perAgent.bytes?.mean)
    }
    if (top !== nMax) g.largestN = top
    if (d === 'globalTopic') {
      g.gossipMessages = ratio(hi?.perAgent['gossipsub:messages']?.mean, lo?.perAgent['gossipsub:messages']?.mean)
      g.gossipBytes = ratio(hi?.perAgent['gossipsub:bytes']?.mean, lo?.perAgent['gossipsub:bytes']?.mean)
    }
    if (d === 'core') {
      g.hubMessages = ratio(hi?.hub?.messages, lo?.hub?.messages)
      g.hubBytes = ratio(hi?.hub?.bytes, lo?.hub?.bytes)
    }
    return g
  }
  const growth = { splitedge: grow('splitedge'), core: grow('core'), globalTopic: grow('globalTopic'), largestN: nMax, smallestN: nMin }
  const nr = nMax / nMin
  const gtTop = largestOf('globalTopic')
  const gtLo = at('globalTopic', nMin)
  const gtHi = at('globalTopic', gtTop)
  const verdict = {
    splitedgeWithin125: growth.splitedge.messages <= 1.25 && growth.splitedge.bytes <= 1.25,
    coreHubAtLeastLinear: (growth.core.hubMessages ?? 0) >= nr && (growth.core.hubBytes ?? 0) >= nr,
    // The global topic's own traffic (its tariff gossip) must grow at least in proportion to N.
    globalTopicAtLeastLinear: gtTop > nMin &&
      atLeastLinear(gtHi?.perAgent['gossipsub:messages']?.mean ?? 0, gtLo?.perAgent['gossipsub:messages']?.mean ?? 1, gtTop, nMin) &&
      atLeastLinear(gtHi?.perAgent['gossipsub:bytes']?.mean ?? 0, gtLo?.perAgent['gossipsub:bytes']?.mean ?? 1, gtTop, nMin),
    complete: results.every(r => r.incomplete === 0)
  }
  return { bench: 'scale', params: { sizes: opts.sizes, degree: opts.degree, topology: opts.topology, intervalMs: opts.intervalMs, periodIntervals: opts.periodIntervals, seed: opts.seed, phaseTimeoutMs: opts.phaseTimeoutMs, globalTopicMaxN: opts.globalTopicMaxN }, results, growth, verdict }
}
