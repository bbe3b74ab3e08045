// View cost against history: an agent whose store holds N co-signed statements (on disk, synced),
// serving GET /v1/statements and /v1/brokerage a page at a time, against the baseline of loading
// and decoding every statement at once (what the views did before they were paged), in the same
// run. Usage: node dist/bench/views.js [--quick]. Prints figures, then one JSON object last.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { decodeDocument, generateIdentity, type Identity } from '@splitedge/wire'
import { openStore } from '@splitedge/store'
import { fillStatements } from '../test/statement-fixtures.js'
import { Agent } from '../src/agent.js'
import { checkConfig } from '../src/config/load.js'

const quick = process.argv.includes('--quick')
const SIZES = quick ? [500, 2000] : [500, 2000, 4000]

const mb = (n: number): number => Math.round(n / 1024 / 102.4) / 10
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

async function timed<T> (fn: () => Promise<T>): Promise<{ ms: number, value: T }> {
  const t = performance.now()
  const value = await fn()
  return { ms: Math.round((performance.now() - t) * 10) / 10, value }
}

/** Every page of a list, following X-Next-Cursor. */
async function walk (url: string): Promise<{ items: number, bytes: number }> {
  let items = 0
  let bytes = 0
  let next: string | null = url
  while (next !== null) {
    const res: Response = await fetch(next)
    const text = await res.text()
    bytes += text.length
    items += (JSON.parse(text) as unknown[]).length
    const cursor = res.headers.get('x-next-cursor')
    next = cursor === null ? null : `${url}${url.includes('?') ? '&' : '?'}cursor=${cursor}`
  }
  return { items, bytes }
}

async function one (n: number, a: Identity, b: Identity): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'splitedge-bench-views-'))
  try {
    const store = await openStore({ path: join(dir, 'db') })
    await fillStatements(store, a, b, 0, n)
    const config = checkConfig({ name: 'a', key: '/unused', dataDir: '/unused', listen: ['/ip4/127.0.0.1/tcp/0'], http: { host: '127.0.0.1', port: 0 }, neighbours: [{ name: 'b', peerId: b.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'], status: 'peer' }] }, '/')
    const agent = await Agent.start({ config, identity: a, store, logger: pino({ level: 'silent' }) })
    try {
      gc()
      const before = process.memoryUsage()
      const page = await timed(async () => await (await fetch(`${agent.url!}/v1/statements?limit=100`)).text())
      const all = await timed(async () => await walk(`${agent.url!}/v1/statements`))
      const brokerage = await timed(async () => await (await fetch(`${agent.url!}/v1/brokerage?limit=100`)).text())
      gc()
      const afterPaged = process.memoryUsage()
      // Baseline: every statement loaded and decoded at once, as the unpaged view did.
      const baseline = await timed(async () => (await store.listStatements()).map(s => decodeDocument(s.bytes, 'settlement-statement')).length)
      const afterBaseline = process.memoryUsage()
      const r = {
        statements: n,
        page_ms: page.ms,
        page_kb: Math.round(page.value.length / 1024),
        walk_all_pages_ms: all.ms,
        walk_items: all.value.items,
        brokerage_page_ms: brokerage.ms,
        baseline_load_all_ms: baseline.ms,
        rss_mb: mb(afterPaged.rss),
        heap_used_mb: mb(afterPaged.heapUsed),
        heap_total_mb: mb(afterPaged.heapTotal),
        external_mb: mb(afterPaged.external),
        array_buffers_mb: mb(afterPaged.arrayBuffers),
        rss_growth_paged_mb: mb(afterPaged.rss - before.rss),
        rss_growth_baseline_mb: mb(afterBaseline.rss - afterPaged.rss),
        heap_growth_baseline_mb: mb(afterBaseline.heapUsed - afterPaged.heapUsed)
      }
      console.log(JSON.stringify(r))
      return r
    } finally {
      await agent.stop()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const [a, b] = [await generateIdentity(), await generateIdentity()]
const runs: Array<Record<string, number>> = []
for (const n of SIZES) {
  console.log(`statements in the store: ${n} …`)
  runs.push(await one(n, a, b))
}
const first = runs[0] as Record<string, number>
const last = runs[runs.length - 1] as Record<string, number>
console.log(JSON.stringify({
  bench: 'views',
  runs,
  // How the first page's latency grows while the history grows (paged: flat), against the baseline's.
  page_growth: Math.round((last.page_ms ?? 0) / Math.max(0.1, first.page_ms ?? 0) * 100) / 100,
  baseline_growth: Math.round((last.baseline_load_all_ms ?? 0) / Math.max(0.1, first.baseline_load_all_ms ?? 0) * 100) / 100,
  history_growth: Math.round((last.statements ?? 0) / (first.statements ?? 1))
}))
