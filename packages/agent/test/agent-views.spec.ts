/**
 * Paged views: every list endpoint answers a page (`limit`, default 200, at most 1000) and points
 * at the next one (`Link: <…>; rel="next"` and `X-Next-Cursor`); filters by neighbour and time;
 * the NDJSON export streams everything. Walking the pages gives each record exactly once.
 */
import assert from 'node:assert/strict'
import type { Identity } from '@splitedge/wire'
import { configFor, makeIdentities, pricing, startAgent, type Running } from './agent-fixtures.js'
import { PERIOD, fillStatements } from './statement-fixtures.js'

async function walk (base: string, path: string): Promise<{ pages: number, items: Array<Record<string, unknown>> }> {
  const items: Array<Record<string, unknown>> = []
  let url: string | undefined = base + path
  let pages = 0
  while (url !== undefined) {
    const res: Response = await fetch(url)
    assert.equal(res.status, 200)
    items.push(...await res.json() as Array<Record<string, unknown>>)
    pages++
    const link = res.headers.get('link')
    const cursor = res.headers.get('x-next-cursor')
    assert.equal(link === null, cursor === null, 'Link and X-Next-Cursor come together')
    url = link === null ? undefined : base + (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? assert.fail(`bad Link ${link}`))
  }
  return { pages, items }
}

describe('agent: paged views', function () {
  this.timeout(60_000)
  let ids: Identity[]
  let A: Running
  let url = ''

  before(async () => {
    ids = await makeIdentities(2)
    const config = configFor(0, ids, [0, 1], [[0, 1]], { intervalMs: 1000, periodIntervals: 2, usage: { source: 'http' }, http: { host: '127.0.0.1', port: 0 } })
    A = await startAgent(config, ids[0]!, undefined, { http: true })
    url = A.agent.url!
    await fillStatements(A.store, ids[0]!, ids[1]!, 0, 23)
    for (let v = 1; v <= 5; v++) await A.agent.tariffs.publishOwn(pricing(`0.00000${v}`), 0)
  })
  after(async () => { await A?.agent.stop() })

  it('walks statements a page at a time, each exactly once, in period order', async () => {
    const { pages, items } = await walk(url, '/v1/statements?limit=5')
    assert.equal(pages, 5)
    assert.deepEqual(items.map(s => (s.period as { start: number }).start), Array.from({ length: 23 }, (_, p) => p * PERIOD))
    const first = await fetch(`${url}/v1/statements`)
    assert.equal(((await first.json()) as unknown[]).length, 23, 'the default page holds them all')
    assert.equal(first.headers.get('link'), null)
  })

  it('filters by neighbour and by period range, across pages', async () => {
    const { items } = await walk(url, `/v1/statements?neighbour=n1&from=${3 * PERIOD}&to=${9 * PERIOD}&limit=4`)
    assert.deepEqual(items.map(s => (s.period as { start: number }).start), [3, 4, 5, 6, 7, 8].map(p => p * PERIOD))
    assert.equal((await fetch(`${url}/v1/statements?neighbour=stranger`)).status, 400)
  })

  it('pages tariffs and brokerage too', async () => {
    const t = await walk(url, '/v1/tariffs?limit=2')
    assert.deepEqual(t.items.map(x => x.seq), [1, 2, 3, 4, 5])
    assert.equal(t.pages, 3)
    const b = await walk(url, '/v1/brokerage?limit=10')
    assert.deepEqual(b.items.map(x => x.periodStart), Array.from({ length: 23 }, (_, p) => p * PERIOD))
  })

  it('refuses a bad limit or cursor with 400 naming it', async () => {
    for (const q of ['limit=0', 'limit=1001', 'limit=ten', 'cursor=%00']) {
      const res = await fetch(`${url}/v1/statements?${q}`)
      assert.equal(res.status, 400, q)
      assert.match(((await res.json()) as { error: string }).error, new RegExp(q.split('=')[0]!))
    }
  })

  it('streams every statement as NDJSON', async () => {
    const res = await fetch(`${url}/v1/export/statements.ndjson?from=${20 * PERIOD}`)
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson')
    const lines = (await res.text()).trimEnd().split('\n').map(l => JSON.parse(l) as { period: { start: number } })
    assert.deepEqual(lines.map(l => l.period.start), [20, 21, 22].map(p => p * PERIOD))
  })
})
