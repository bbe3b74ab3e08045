/**
 * `npm run bench -- scale [--quick] [--sizes 16,64,256,1024] [--degree 4] [--topology random]
 *   [--interval 500] [--k 2] [--seed 1] [--global-topic-max-n 256] [--chart PATH | --no-chart]`
 *   (or `--replot REPORT [--chart PATH]` to redraw the chart from a saved run's output)
 *
 * Runs one cycle of splitedge (real agents), the central core and the global tariff topic at each
 * N in this process, prints one JSON line per design and N as it goes, writes the chart (by default
 * docs/scale.svg for a full run; a --quick run writes none unless --chart is given), and ends with
 * one JSON object: per-agent figures, `growth` and the acceptance verdict.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runScale, scaleChart, type ScaleReport, type TopologyKind } from '../src/index.js'

const args = process.argv.slice(2).filter(a => a !== 'scale')
const flag = (name: string): boolean => args.includes(`--${name}`)
const value = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined }
const quick = flag('quick')
const sizes = (value('sizes') ?? (quick ? '16,64' : '16,64,256,1024')).split(',').map(Number)
if (sizes.some(n => !Number.isInteger(n) || n < 4)) { console.error('--sizes: comma-separated integers >= 4'); process.exit(2) }
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const chartPath = flag('no-chart') ? undefined : (value('chart') ?? (quick ? undefined : resolve(root, 'docs/scale.svg')))

// --replot FILE: redraw the chart from a report this benchmark printed (its last stdout line).
const replot = value('replot')
if (replot !== undefined) {
  const lines = readFileSync(replot, 'utf8').trim().split('\n')
  const saved = JSON.parse(lines[lines.length - 1] ?? '{}') as ScaleReport
  const out = value('chart') ?? resolve(root, 'docs/scale.svg')
  writeFileSync(out, scaleChart(saved))
  console.log(JSON.stringify({ chart: out, growth: saved.growth }))
  process.exit(0)
}

const t0 = Date.now()
const report = await runScale({
  sizes,
  degree: Number(value('degree') ?? 4),
  topology: (value('topology') ?? 'random') as TopologyKind,
  intervalMs: Number(value('interval') ?? 500),
  periodIntervals: Number(value('k') ?? 2),
  seed: Number(value('seed') ?? 1),
  phaseTimeoutMs: Number(value('phase-timeout') ?? 600_000),
  globalTopicMaxN: Number(value('global-topic-max-n') ?? 256),
  onResult: (r) => {
    const pick = (k: string): { mean: number, max: number } | undefined => r.perAgent[k]
    console.log(JSON.stringify({
      design: r.design, n: r.n, messages: pick('messages'), bytes: pick('bytes'), storedKeys: pick('storedKeys'),
      ...r.perAgentProcess, ...(r.hub !== undefined ? { hubMessages: r.hub.messages, hubBytes: r.hub.bytes } : {}),
      incomplete: r.incomplete, cycleMs: r.cycleMs, rssMB: Math.round(process.memoryUsage().rss / 1e6)
    }))
  }
})
if (chartPath !== undefined) {
  mkdirSync(dirname(chartPath), { recursive: true })
  writeFileSync(chartPath, scaleChart(report))
  console.log(`chart written to ${chartPath}`)
}
console.log(JSON.stringify({ ...report, wallMs: Date.now() - t0, chart: chartPath ?? null }))
process.exit(report.verdict.complete ? 0 : 1)
