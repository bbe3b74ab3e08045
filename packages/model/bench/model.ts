/**
 * `npm run bench -- model [--networks N] [--hops H] [--reps R]`: flow-hops evaluated per second on a
 * generated scenario (default 10,000 networks, 1,000,000 flow-hops), exact arithmetic included,
 * next to a naive per-hop baseline (string keys, one exact multiply and two exact adds per hop).
 * Only evaluation is timed, never generation; one warm-up run is not counted. `flow_hops_per_s` is
 * from the median wall time; `flow_hops_per_cpu_s` from the median CPU time of the process, which
 * stays meaningful when other work shares the cores. Last stdout line: one JSON object.
 */
import { performance } from 'node:perf_hooks'
import {
  add, compileScenario, evaluateScenario, formatRounded, mul, neg, netRateOf, parseNonNegativeDec, ZERO,
  type Dec, type Scenario
} from '../src/index.js'
import { generateScenario } from './generate.js'

function arg (name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`)
  return v
}

/** The straightforward version: everything per hop, string-keyed borders. */
function naiveEvaluate (input: Scenario): { surplus: Dec[], borders: number } {
  const s = compileScenario(input)
  const surplus: Dec[] = s.ids.map(() => ZERO)
  const borders = new Map<string, Dec>()
  for (const f of input.flows ?? []) {
    const c = s.classIndex.get(f.class)!
    const v = parseNonNegativeDec(f.volume, 'volume')
    for (let j = 1; j < f.path.length; j++) {
      const a = s.index.get(f.path[j - 1]!)!
      const b = s.index.get(f.path[j]!)!
      const net = mul(v, netRateOf(s, a, b, c))
      const key = `${f.path[j - 1]!}\u0000${f.path[j]!}\u0000${f.class}`
      borders.set(key, add(borders.get(key) ?? ZERO, net))
      surplus[b] = add(surplus[b]!, net)
      surplus[a] = add(surplus[a]!, neg(net))
    }
  }
  return { surplus, borders: borders.size }
}

/** Wall time of `fn`, plus the process's CPU time over it (shows when other load steals the cores). */
function time<T> (fn: () => T): { ms: number, cpuMs: number, value: T } {
  globalThis.gc?.()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const value = fn()
  const ms = performance.now() - t0
  const c = process.cpuUsage(c0)
  return { ms, cpuMs: (c.user + c.system) / 1000, value }
}

const networks = arg('networks', 10_000)
const flowHops = arg('hops', 1_000_000)
const reps = arg('reps', 5)
const scenario = generateScenario({ networks, providers: Math.max(2, Math.round(networks / 10)), flowHops, seed: 42 })
console.log(`scenario: ${networks} networks, ${scenario.flows!.length} flows, ${flowHops} flow-hops`)

// One warm-up run (JIT), not counted.
const warm = time(() => evaluateScenario(scenario))
console.log(`  evaluator warm-up: ${warm.ms.toFixed(1)} ms`)
const fast: number[] = []
const fastCpu: number[] = []
let check = ''
for (let r = 0; r < reps; r++) {
  const { ms, cpuMs, value } = time(() => evaluateScenario(scenario))
  fastCpu.push(cpuMs)
  if (value.flowHops !== flowHops) throw new Error(`evaluated ${value.flowHops} hops, expected ${flowHops}`)
  // Conservation must hold on every run: the exact surpluses sum to zero.
  const total = value.surplus.reduce(add, ZERO)
  if (total.c !== 0n) throw new Error('conservation violated')
  check = value.surplus.map(x => formatRounded(x, 6)).join(',')
  fast.push(ms)
  console.log(`  evaluator rep ${r + 1}: ${ms.toFixed(1)} ms (cpu ${cpuMs.toFixed(1)} ms), ${(flowHops / ms * 1000).toFixed(0)} flow-hops/s, ${value.borders.length} border-class lines`)
}
const naive: number[] = []
const naiveReps = Math.min(reps, 3)
for (let r = 0; r < naiveReps; r++) {
  const { ms, value } = time(() => naiveEvaluate(scenario))
  if (value.surplus.map(x => formatRounded(x, 6)).join(',') !== check) throw new Error('baseline disagrees with evaluator')
  naive.push(ms)
  console.log(`  naive per-hop rep ${r + 1}: ${ms.toFixed(1)} ms, ${(flowHops / ms * 1000).toFixed(0)} flow-hops/s`)
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const fastRate = flowHops / median(fast) * 1000
const naiveRate = flowHops / median(naive) * 1000
const peakRssMb = process.resourceUsage().maxRSS / 1024
console.log(`median: evaluator ${fastRate.toFixed(0)} flow-hops/s, naive ${naiveRate.toFixed(0)} flow-hops/s (x${(fastRate / naiveRate).toFixed(1)}); peak RSS ${peakRssMb.toFixed(0)} MB`)
console.log(JSON.stringify({
  bench: 'model',
  networks,
  flows: scenario.flows!.length,
  flow_hops: flowHops,
  reps,
  flow_hops_per_s: Math.round(fastRate),
  best_flow_hops_per_s: Math.round(flowHops / Math.min(...fast) * 1000),
  flow_hops_per_cpu_s: Math.round(flowHops / median(fastCpu) * 1000),
  flows_per_s: Math.round(scenario.flows!.length / median(fast) * 1000),
  median_ms: Number(median(fast).toFixed(1)),
  baseline: 'naive-per-hop',
  baseline_flow_hops_per_s: Math.round(naiveRate),
  speedup_vs_baseline: Number((fastRate / naiveRate).toFixed(2)),
  peak_rss_mb: Math.round(peakRssMb)
}))
