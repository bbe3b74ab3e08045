/**
 * The clearer keeps every quote it issues (over HTTP or libp2p) and lists them: `GET /v1/quotes`,
 * newest first, a page at a time like the agent's lists (`limit`, `cursor`, `X-Next-Cursor` and
 * `Link`), each with its expiry and the receipt that used it, if one did.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { Agent } from '@splitedge/agent'
import type { Identity } from '@splitedge/wire'
import { ClearerClient, ClearingParticipant, type Clearer } from '../src/index.js'
import { clearerConfig, identities, pricing, startClearer, startOperator, waitFor } from './fixtures.js'

const TOKEN = 'quotes-test-token-0123456789'

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => { resolve(typeof a === 'object' && a !== null ? a.port : 0) }) })
  })
}

interface Listed { seq: number, id: string, class: string, status: string, receipt: string | null, expires: number, issued: number, ends: Array<{ name: string, role: string }>, total: string }

describe('clearer: issued quotes, kept and listed', function () {
  this.timeout(60_000)
  let a: Agent, b: Agent, clearer: Clearer
  let skew = 0
  const stops: Array<() => Promise<void>> = []

  before(async () => {
    const [ia, ib, ic] = await identities(3) as [Identity, Identity, Identity]
    const [pa, pb] = [await freePort(), await freePort()]
    a = await startOperator('A', ia, pa, [ic.peerId])
    b = await startOperator('B', ib, pb, [ic.peerId])
    stops.push(async () => await a.stop(), async () => await b.stop())
    await a.tariffs.publishOwn(pricing('0.000001'), 0)
    await b.tariffs.publishOwn(pricing('0.000003'), 0)
    clearer = await startClearer(clearerConfig(0, [{ name: 'A', peerId: ia.peerId, port: pa }, { name: 'B', peerId: ib.peerId, port: pb }], {
      periodMs: 60_000, http: { host: '127.0.0.1', port: 0, token: TOKEN }
    }), ic, { http: true, now: () => Date.now() + skew })
    stops.push(async () => await clearer.stop())
    await waitFor('the clearer to hold both tariffs', async () => (await clearer.view.latest(ia.peerId)) !== undefined && (await clearer.view.latest(ib.peerId)) !== undefined)
  })
  after(async () => { for (const s of stops.reverse()) await s().catch(() => {}) })

  const ends = (): Array<{ operator: string, role: 'sender' | 'receiver' }> => [{ operator: a.peerId, role: 'sender' }, { operator: b.peerId, role: 'receiver' }]

  it('lists every quote issued, newest first, a page at a time, each exactly once', async () => {
    const api = new ClearerClient(clearer.url!, { token: TOKEN })
    for (const volume of ['1000', '2000', '3000', '4000']) await api.quote({ ends: ends(), class: 'ef', volume, apportion: { kind: 'sender-pays' } })
    // One over the libp2p quote protocol's path (Clearer.quote serves it) is kept as well.
    const p2p = await clearer.quote({ ends: ends(), class: 'ef', volume: '5000', apportion: { kind: 'receiver-pays' } })
    assert.ok(p2p.ok)
    const seen: Listed[] = []
    let url: string | undefined = `${clearer.url!}/v1/quotes?limit=2`
    let pages = 0
    while (url !== undefined) {
      const res: Response = await fetch(url) // a read from loopback needs no token
      assert.equal(res.status, 200)
      seen.push(...await res.json() as Listed[])
      pages++
      const link = res.headers.get('link')
      assert.equal(link === null, res.headers.get('x-next-cursor') === null, 'Link and X-Next-Cursor come together')
      url = link === null ? undefined : clearer.url! + (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? assert.fail(`bad Link ${link}`))
    }
    assert.equal(pages, 3)
    assert.deepEqual(seen.map(q => q.seq), [5, 4, 3, 2, 1])
    assert.equal(new Set(seen.map(q => q.id)).size, 5)
    assert.deepEqual(seen.map(q => q.status), ['open', 'open', 'open', 'open', 'open'])
    assert.deepEqual(seen[4]!.ends.map(e => `${e.name}:${e.role}`), ['A:sender', 'B:receiver'])
    assert.ok(seen.every(q => q.expires === q.issued + clearer.config.quoteTtlMs))
    const viaClient = await api.quotes({ limit: 3 })
    assert.deepEqual([viaClient.items.map(q => q.seq), viaClient.next !== null], [[5, 4, 3], true])
    assert.deepEqual((await api.quotes({ limit: 3, cursor: viaClient.next! })).items.map(q => q.seq), [2, 1])
  })

  it('refuses a bad limit or cursor with 400 naming it', async () => {
    for (const q of ['limit=0', 'limit=1001', 'limit=ten', 'cursor=%00', 'cursor=AA', 'sort=up']) {
      const res = await fetch(`${clearer.url!}/v1/quotes?${q}`)
      assert.equal(res.status, 400, q)
      assert.match(((await res.json()) as { error: string }).error, new RegExp(q.split('=')[0]!), q)
    }
  })

  it('marks the quote a cleared receipt used, and the others expired once past their expiry', async () => {
    const api = new ClearerClient(clearer.url!.replace('http://', `http://:${TOKEN}@`))
    const q = await api.quote({ ends: ends(), class: 'be', volume: '500000', apportion: { kind: 'sender-pays' } })
    const pa = await ClearingParticipant.attach(a, { clearers: [clearer.peerId] })
    const pb = await ClearingParticipant.attach(b, { clearers: [clearer.peerId] })
    const eff = Math.max(...await Promise.all([a, b].map(async o => (await clearer.view.latest(o.peerId))?.body.effective ?? 0)))
    await waitFor('an interval after the tariffs took effect', async () => Date.now() >= eff + 1000)
    const now = Date.now()
    const receipt = await pb.issueReceipt({ src: 'a::1', dst: 'b::2', class: 'be', volume: '500000', interval: { start: eff, length: 1000 } })
    const consent = pa.consent({ src: 'a::1', dst: 'b::2', class: 'be', maxVolume: '500000', share: '100', window: { start: now - 60_000, end: now + 60_000 } })
    const cleared = await api.present({ receipt, role: 'receiver', remote: a.peerId, consent })
    const list = (await api.quotes()).items
    const used = list.find(x => x.class === 'be')!
    assert.deepEqual([used.status, used.receipt, used.total], ['used', cleared.receipt, q.total])
    assert.ok(list.filter(x => x.class === 'ef').every(x => x.status === 'open'), 'quotes of another class are not used by it')
    skew = clearer.config.quoteTtlMs + 1000
    const later = (await api.quotes()).items
    assert.deepEqual(later.map(x => x.status), ['used', 'expired', 'expired', 'expired', 'expired', 'expired'])
    skew = 0
  })
})
