/**
 * `npm run bench -- border-load [--quick] [--D N[,N...]] [--intervals K] [--interval-ms MS] [--agent-prof DIR]`
 *
 * One real `splitedge agent` process (store on disk, TCP on 127.0.0.1) with D lightweight libp2p
 * neighbours in this process (bench/border-load/). Prints progress, one JSON line per D, and ends
 * with one JSON line holding every D's figures and `high_degree` (the largest D run). Without
 * flags it runs D = 10, 100 and 1,000; `--quick` runs D = 100 only.
 */
import { runHighDegree, type HighDegreeResult } from './border-load/index.js'

const args = process.argv.slice(2).filter(a => a !== 'border-load')
const value = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined }
const quick = args.includes('--quick')
const sizes = (value('D') ?? (quick ? '100' : '10,100,1000')).split(',').map(Number)
const intervals = value('intervals') === undefined ? 3 : Number(value('intervals'))
const intervalMs = value('interval-ms') === undefined ? undefined : Number(value('interval-ms'))
const prof = value('agent-prof')
const agentNodeArgs = prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]
const t0 = Date.now()
const log = (line: string): void => { console.error(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`) }

// A stopped bench exits through 'exit', which takes its agent process down with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { process.exit(130) })

const runs: HighDegreeResult[] = []
for (const D of sizes) {
  if (!Number.isInteger(D) || D < 1) throw new Error(`--D wants positive integers, got ${String(D)}`)
  const r = await runHighDegree({ D, intervals, agentNodeArgs, ...(intervalMs !== undefined ? { intervalMs } : {}), progress: log })
  runs.push(r)
  console.log(JSON.stringify(r))
}
const top = runs[runs.length - 1] as HighDegreeResult
console.log(JSON.stringify({
  bench: 'border-load',
  node: process.version,
  runs: Object.fromEntries(runs.map(r => [String(r.D), r])),
  high_degree: highDegree(top),
  wall_s: (Date.now() - t0) / 1000
}))
process.exit(runs.every(r => r.border_intervals === r.border_intervals_expected) ? 0 : 1)

function highDegree (r: HighDegreeResult): Record<string, number> {
  return { D: r.D, border_intervals_per_s: r.border_intervals_per_s, crypto_ratio: r.crypto_ratio, p99_interval_close_ms: r.p99_interval_close_ms, rss_per_border_kb: r.rss_per_border_kb }
}
