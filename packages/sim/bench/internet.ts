/**
 * `npm run bench -- internet [--quick] [--sizes 1000,10000|none] [--seed 1] [--report-dir DIR] [--with PATH,...] [--chart PATH | --no-chart]`
 *
 * Generates the `internet` AS graph at each size, runs one settlement cycle over it with real
 * agents on the simulated network (faults off), prints progress and one JSON line per size, writes
 * docs/internet.svg (degree CCDF at 1,000, 10,000 and 75,000; cost per agent against degree, one
 * line per N), and ends with one JSON line. `--quick` runs N = 1,000 only and writes no chart
 * unless --chart is given. `--report-dir` keeps each size's figures (internet-N.json); `--with`
 * adds sizes kept by earlier runs to the chart and to n_independence, so a 75,000 run need not
 * repeat the smaller ones in the same process.
 *
 * The process re-runs itself with a V8 heap limit of 19 GB (`--heap-mb` to choose; the default is
 * about 4 GB and 75,000 agents need more) and a young generation of up to 64 MB.
 *
 * Then section 3 of the issue: one real agent process with D libp2p neighbours
 * (bench/border-load/, D = 1,000; 100 with --quick; `--high-degree D` to choose, 0 to skip), whose
 * figures are `high_degree`.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getHeapStatistics } from 'node:v8'
import {
  COLORS, degreeBuckets, degreeCcdf, degrees, internetGraph, logLogChart, minus, nIndependence, perBorderSpread, runInternetCycle, seededRng, summarize,
  type Bucket, type InternetCycleResult
} from '../src/index.js'
import { runHighDegree } from './border-load/index.js'

// `--heap-mb M` sets another limit (e.g. a smaller size run beside a larger one).
const heapArg = process.argv.indexOf('--heap-mb')
const HEAP_MB = heapArg >= 0 ? Number(process.argv[heapArg + 1]) : 19 * 1024
// A young generation of up to 64 MB instead of 16: most of what an agent allocates dies within an
// event or two, and a larger nursery lets it die there. At N = 300 this cut the cycle's CPU by a
// fifth and its mark-compact collections from 4.8 s to 0.1 s.
const SEMI_MB = 64
if (process.env.SPLITEDGE_HEAP_SET === undefined && Math.abs(getHeapStatistics().heap_size_limit / 2 ** 20 - HEAP_MB) > HEAP_MB * 0.1) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, `--max-semi-space-size=${SEMI_MB}`, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, SPLITEDGE_HEAP_SET: '1' } })
  process.exit(r.status ?? 1)
}


const args = process.argv.slice(2).filter(a => a !== 'internet')
const flag = (name: string): boolean => args.includes(`--${name}`)
const value = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined }
const quick = flag('quick')
// `--sizes none` runs nothing: the chart and the summary from the `--with` reports alone.
const sizes = (quick ? '1000' : (value('sizes') ?? '1000')).split(',').filter(x => x !== 'none').map(Number)
const seed = Number(value('seed') ?? 1)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const chartPath = flag('no-chart') ? undefined : (value('chart') ?? (quick ? undefined : resolve(root, 'docs/internet.svg')))
const reportDir = value('report-dir')
const t0 = Date.now()
const log = (line: string): void => { console.error(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line} (rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB)`) }

/**
 * Live memory once the period is settled everywhere (the agents still up): a full collection,
 * then heap used plus array buffers. Needs --expose-gc (npm run bench gives it); undefined without.
 */
const live: { mb?: number } = {}
const progress = (line: string): void => {
  log(line)
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined || !line.endsWith(': 0 borders not settled yet')) return
  gc()
  gc() // the second completes the freeing of array buffers the first found dead
  const m = process.memoryUsage()
  live.mb = Math.round((m.heapUsed + m.arrayBuffers) / 2 ** 20)
  log(`live after a full collection: ${live.mb} MB (heap ${Math.round(m.heapUsed / 2 ** 20)} MB, array buffers ${Math.round(m.arrayBuffers / 2 ** 20)} MB)`)
}

/** What is kept of one size: enough for the chart and the comparisons across N. */
interface SizeReport { n: number, borders: number, max_degree: number, cycle_s: number, cpu_s: number, peak_rss_mb: number, live_mb?: number, unsettled: number, attestations: number, events: number, gc_ms?: { minor: number, major: number, collections: number }, by_kind?: InternetCycleResult['byKind'], buckets: Bucket[], after_tariffs: Bucket[] }

// The generator alone, at the sizes the chart shows.
const shapes = [1000, 10_000, 75_000].map(n => {
  const t = Date.now()
  const g = internetGraph(n, seededRng(seed))
  const d = degrees(g)
  console.log(JSON.stringify({ graph: { ...summarize(g, d), generate_ms: Date.now() - t } }))
  return { n, ccdf: degreeCcdf(d) }
})

const reports: SizeReport[] = (value('with') ?? '').split(',').filter(p => p !== '').map(p => JSON.parse(readFileSync(p, 'utf8')) as SizeReport)
for (const n of sizes) {
  const [t, cpu] = [Date.now(), process.cpuUsage()]
  live.mb = undefined
  const r: InternetCycleResult = await runInternetCycle({ n, seed, progress })
  const c = process.cpuUsage(cpu)
  const rep: SizeReport = {
    n, borders: r.borders, max_degree: r.maxDegree, cycle_s: (Date.now() - t) / 1000, cpu_s: Math.round((c.user + c.system) / 1e4) / 100,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), live_mb: live.mb, unsettled: r.unsettled.length, attestations: r.attestations, events: r.events,
    gc_ms: { minor: r.gc.minorMs, major: r.gc.majorMs, collections: r.gc.collections }, by_kind: r.byKind,
    buckets: degreeBuckets(r.agents), after_tariffs: degreeBuckets(minus(r.agents, r.tariffPhase))
  }
  reports.push(rep)
  console.log(JSON.stringify({ ...rep, spread: perBorderSpread(rep.buckets), spread_after_tariffs: perBorderSpread(rep.after_tariffs), unattributed_cpu_ms: Math.round(r.unattributedCpuMs) }))
  if (reportDir !== undefined) {
    mkdirSync(reportDir, { recursive: true })
    writeFileSync(join(reportDir, `internet-${n}.json`), JSON.stringify(rep))
  }
}
reports.sort((a, b) => a.n - b.n)

if (chartPath !== undefined) {
  mkdirSync(dirname(chartPath), { recursive: true })
  writeFileSync(chartPath, logLogChart([
    { title: 'Degree CCDF of the generated AS graph', xLabel: 'degree d (neighbours)', series: shapes.map((s, i) => ({ label: `N = ${s.n}`, color: COLORS[i] as string, points: s.ccdf })) },
    { title: 'CPU ms per agent per cycle, by degree', xLabel: 'degree (bucket upper bound)', series: reports.map((r, i) => ({ label: `N = ${r.n}`, color: COLORS[i] as string, points: r.buckets.map(b => [b.hi, b.perAgent.cpuMs] as [number, number]) })) }
  ], [
    'Left: share of ASes with at least d neighbours (seed 1). Right: one cycle (tariffs, 2 intervals attested, 1 period settled),',
    'real agents in the deterministic simulator, mean CPU per agent in each degree bucket; both axes logarithmic.'
  ]))
  log(`chart written to ${chartPath}`)
}

const D = Number(value('high-degree') ?? (quick ? 100 : 1000))
const hd = D > 0 ? await runHighDegree({ D, intervals: quick ? 2 : 3, progress: log }) : undefined
if (hd !== undefined) console.log(JSON.stringify({ border_load: hd }))

const [first, last] = [reports[0] as SizeReport, reports[reports.length - 1] as SizeReport]
const spread = perBorderSpread(last.buckets)
const across = reports.length > 1 ? nIndependence(first.buckets, last.buckets) : undefined
console.log(JSON.stringify({
  agents: last.n,
  borders: last.borders,
  max_degree: last.max_degree,
  cycle_s: last.cycle_s,
  cpu_s: last.cpu_s,
  peak_rss_mb: last.peak_rss_mb,
  live_mb: last.live_mb ?? null,
  per_border_cost_spread: spread.cpuMs,
  per_border_spread: spread,
  per_border_spread_after_tariffs: perBorderSpread(last.after_tariffs),
  // CPU at equal degree, smallest N against largest; null with one size only.
  n_independence: across?.ratio.cpuMs ?? null,
  n_independence_by_metric: across === undefined ? null : { between: [first.n, last.n], ...across },
  high_degree: hd === undefined ? null : { D: hd.D, border_intervals_per_s: hd.border_intervals_per_s, crypto_ratio: hd.crypto_ratio, p99_interval_close_ms: hd.p99_interval_close_ms, rss_per_border_kb: hd.rss_per_border_kb },
  unsettled: last.unsettled,
  wall_s: (Date.now() - t0) / 1000
}))
process.exit(last.unsettled === 0 ? 0 : 1)
