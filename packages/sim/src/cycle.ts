/**
 * What one measured cycle is, shared by splitedge and the baselines: the same tariffs, the same
 * synthetic usage on the same borders, K intervals, one settlement period.
 */
import type { net } from '@splitedge/node'
import type { PricingTariff } from '@splitedge/model'
import { generateIdentity, verifyCounts, type Identity } from '@splitedge/wire'
import type { Graph } from './topology.js'
import { diffSample, sampleOf, trafficCount, type AgentFigures, type GossipMeter, type Sample } from './counters.js'

export interface CycleOptions {
  graph: Graph
  /** Interval length (ms of the virtual clock for splitedge); at least 100 (the agent's minimum). */
  intervalMs: number
  /** K: intervals per settlement period. */
  periodIntervals: number
  /** Seed of the synthetic usage both sides of a border derive. */
  usageSeed: string
  /** Bound on each phase, in real ms; a phase that runs out is reported, not waited on forever. */
  phaseTimeoutMs: number
  /** Agents started (or nodes connected) at once. */
  batch?: number
  /** Unique per run, so in-memory transport addresses never collide. */
  runId: string
}

export const CLASSES = ['be', 'ef'] as const
export const TOLERANCE = '0.01'
export const NOISE = 0.001
export const MEAN_VOLUME = 1_000_000

/** Agent i's tariff: prices vary by agent so every border has a non-zero net. */
export function pricingOf (i: number): PricingTariff {
  const be = `0.00000${1 + (i % 9)}`
  const ef = `0.0000${10 + (i % 17)}`
  return {
    currency: 'EUR',
    decimals: 6,
    unit: 'octet',
    classes: {
      be: { mode: 'unicast', quality: 'BE', price: be },
      ef: { mode: 'unicast', quality: 'EF', price: ef }
    },
    weights: { '*': { send: '1', receive: '0.5' } }
  }
}

/** One design's measured cycle, as the scalability experiment compares them. */
export interface DesignResult {
  design: string
  n: number
  edges: number
  /** One row per agent (hub excluded). */
  agents: AgentFigures[]
  /** Raw per-agent samples of the cycle, by protocol. */
  samples: Sample[]
  /** The central core's own figures, when the design has one. */
  hub?: AgentFigures
  process: ProcessTotals
  phases: PhaseResult[]
  /** Borders without a co-signed statement (or the baseline's equivalent) when the cycle ended. */
  incomplete: number
  /** Wall-clock ms of the measured cycle. */
  cycleMs: number
}

/** A phase's outcome: complete, or how much was left when its time ran out. */
export interface PhaseResult { name: string, ok: boolean, ms: number, missing: number, rounds?: number }

/** Process-wide measurements: only their totals exist, so per-agent values are totals / N. */
export interface ProcessTotals {
  /** CPU time of the measured cycle. */
  cpuMs: number
  /** Heap held at the end of the cycle by everything the design created (nodes, stores, documents). */
  heapBytes: number
  signaturesVerified: number
}

export class ProcessMeter {
  private readonly cpu = process.cpuUsage()
  private readonly sigs = verifyCounts().signatures

  /** CPU and signatures count from now; heap from `heap`, taken before the design's nodes existed. */
  constructor (private readonly heap: number) {}

  read (): ProcessTotals {
    const c = process.cpuUsage(this.cpu)
    return { cpuMs: (c.user + c.system) / 1000, heapBytes: heapNow() - this.heap, signaturesVerified: verifyCounts().signatures - this.sigs }
  }
}

/** Heap in use, after a full collection when the process was started with --expose-gc. */
export function heapNow (): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) { gc(); gc() }
  return process.memoryUsage().heapUsed
}

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Poll `done` (which returns how many items are still missing) until 0 or the deadline. */
export async function until (name: string, timeoutMs: number, missing: () => Promise<number> | number, step?: () => Promise<void>, everyMs = 20): Promise<PhaseResult> {
  const t0 = Date.now()
  let rounds = 0
  let left = await missing()
  while (left > 0 && Date.now() - t0 < timeoutMs) {
    if (step !== undefined) await step()
    else await sleep(everyMs)
    rounds++
    left = await missing()
  }
  return { name, ok: left === 0, ms: Date.now() - t0, missing: left, rounds }
}

/** Run `fn` over `items`, `size` at a time. */
export async function inBatches<T, R> (items: T[], size: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size) {
    out.push(...await Promise.all(items.slice(i, i + size).map(async (x, j) => await fn(x, i + j))))
  }
  return out
}

/** A period boundary comfortably after now, where every design's measured period starts. */
export const firstPeriodStart = (periodMs: number): number => (Math.floor(Date.now() / periodMs) + 2) * periodMs

/** One fresh identity per agent. */
export async function identities (n: number): Promise<Identity[]> {
  return await inBatches(Array.from({ length: n }, (_, i) => i), 256, async () => await generateIdentity())
}

/** Wait until a traffic total stops moving for a while (connection-time syncs and mesh grafts). */
export async function quiet (total: () => number, timeoutMs: number, windowMs = 1500): Promise<PhaseResult> {
  const t0 = Date.now()
  let last = total()
  let since = Date.now()
  while (Date.now() - since < windowMs && Date.now() - t0 < timeoutMs) {
    await sleep(100)
    const now = total()
    if (now !== last) { last = now; since = Date.now() }
  }
  return { name: 'quiet', ok: Date.now() - since >= windowMs, ms: Date.now() - t0, missing: 0 }
}

/** `quiet` over the messages in and out of `nodes`. */
export async function quietTraffic (nodes: net.NetNode[], meter: GossipMeter, timeoutMs: number, windowMs?: number): Promise<PhaseResult> {
  return await quiet(() => nodes.reduce((s, n) => s + trafficCount(sampleOf(n, meter)), 0), timeoutMs, windowMs)
}

/** What the measured cycle cost: each node's counters, the process totals and the wall-clock time. */
export interface Measured { samples: Sample[], process: ProcessTotals, cycleMs: number }

/**
 * Start measuring the cycle: `read` samples every node (in a fixed order) now and again when the
 * returned function is called, which gives what happened in between.
 */
export function startMeasure (read: () => Sample[], heap0: number): () => Measured {
  const before = read()
  const proc = new ProcessMeter(heap0)
  const c0 = Date.now()
  return () => {
    const cycleMs = Date.now() - c0
    const process = proc.read()
    const samples = read().map((a, i) => diffSample(a, before[i] as Sample))
    return { samples, process, cycleMs }
  }
}
