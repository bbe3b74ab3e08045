/**
 * The `internet` generator has the shape it claims (connected, a provider hierarchy without
 * cycles, about 85 % stubs, a heavy degree tail, statuses that agree on both ends of a link), a
 * seed repeats it, and one settlement cycle over a small one settles every border.
 */
import assert from 'node:assert/strict'
import { resolveWeights } from '@splitedge/model'
import { degreeBuckets, degrees, internetGraph, isConnected, minus, nIndependence, neighbourStatuses, runInternetCycle, seededRng, summarize, tariffOf, type InternetGraph } from '../src/index.js'

/** Depth-first search over customer-to-provider arcs: true if some provider chain loops. */
function hasProviderCycle (g: InternetGraph): boolean {
  const up: number[][] = Array.from({ length: g.n }, () => [])
  g.edges.forEach(([a, b], k) => { if (g.rel[k] === 1) up[b]?.push(a); else if (g.rel[k] === -1) up[a]?.push(b) })
  const state = new Uint8Array(g.n) // 0 new, 1 on the stack, 2 done
  for (let s = 0; s < g.n; s++) {
    if (state[s] !== 0) continue
    const stack: Array<[number, number]> = [[s, 0]]
    state[s] = 1
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number]
      const next = up[top[0]]?.[top[1]++]
      if (next === undefined) { state[top[0]] = 2; stack.pop(); continue }
      if (state[next] === 1) return true
      if (state[next] === 0) { state[next] = 1; stack.push([next, 0]) }
    }
  }
  return false
}

describe('sim: the internet generator', function () {
  this.timeout(60_000)

  it('is connected, with a Tier-1 clique, about 85 % stubs and a mean degree in the published range', () => {
    for (const n of [200, 1000, 10_000]) {
      const g = internetGraph(n, seededRng(1))
      const s = summarize(g, degrees(g))
      assert.ok(isConnected(g), `n=${n} connected`)
      assert.ok(Math.abs(s.stubShare - 0.85) < 0.02, `stub share ${s.stubShare}`)
      assert.ok(s.meanDegree >= 5 && s.meanDegree <= 12, `mean degree ${s.meanDegree}`)
      assert.ok(s.customerProvider > 0 && s.peering > 0)
      for (let a = 0; a < g.tier1; a++) for (let b = a + 1; b < g.tier1; b++) {
        const k = g.edges.findIndex(([x, y]) => x === a && y === b)
        assert.ok(k >= 0 && g.rel[k] === 0, `Tier-1s ${a} and ${b} peer`)
      }
    }
  })

  it('has no provider cycle, and Tier-1s have no provider', () => {
    for (const seed of [1, 2, 3]) {
      const g = internetGraph(5000, seededRng(seed))
      assert.equal(hasProviderCycle(g), false)
      const links = neighbourStatuses(g)
      for (let t = 0; t < g.tier1; t++) assert.ok(!(links[t] ?? []).some(l => l.status === 'transit'))
    }
    // The check itself finds a cycle when there is one.
    const loop: InternetGraph = { n: 3, edges: [[0, 1], [0, 2], [1, 2]], rel: Int8Array.from([1, -1, 1]), tier1: 1, transit: 2 }
    assert.equal(hasProviderCycle(loop), true)
  })

  it('has a heavy degree tail: a few networks with a large share of all links, at every size', () => {
    for (const [n, minMax] of [[1000, 100], [10_000, 700]] as const) {
      const d = degrees(internetGraph(n, seededRng(1))).sort((x, y) => y - x)
      assert.ok((d[0] as number) >= minMax, `n=${n}: largest degree ${d[0]}`)
      // Most networks have one to three neighbours; the median stays small whatever n.
      assert.ok((d[Math.floor(n / 2)] as number) <= 3, `median ${d[Math.floor(n / 2)]}`)
    }
  })

  it('gives the same graph for the same seed, and another for another seed', () => {
    const [a, b, c] = [internetGraph(3000, seededRng(9)), internetGraph(3000, seededRng(9)), internetGraph(3000, seededRng(10))]
    assert.deepEqual(a.edges, b.edges)
    assert.deepEqual([...a.rel], [...b.rel])
    assert.notDeepEqual(a.edges, c.edges)
  })

  it('gives both ends of a link consistent statuses, and tariffs where customers pay', () => {
    const g = internetGraph(1000, seededRng(4))
    const links = neighbourStatuses(g)
    const mirror = { customer: 'transit', transit: 'customer', peer: 'peer' } as const
    for (let v = 0; v < g.n; v++) {
      for (const l of links[v] ?? []) {
        const back = (links[l.peer] ?? []).find(x => x.peer === v)
        assert.equal(back?.status, mirror[l.status], `a${v} sees a${l.peer} as ${l.status}`)
      }
    }
    // Each transit network's tariff weighs its customers and peers at 1 and its providers at 0,
    // naming only the less common statuses.
    for (let v = g.tier1; v < g.tier1 + g.transit; v++) {
      const mine = links[v] ?? []
      const t = tariffOf(1, mine, i => `p${i}`)
      assert.ok(Object.keys(t.statuses ?? {}).length < mine.length, 'the most common status is `*`')
      for (const l of mine) assert.equal(resolveWeights(t, `p${l.peer}`).send, l.status === 'transit' ? '0' : '1')
    }
  })
})

describe('sim: one settlement cycle over the internet graph', function () {
  this.timeout(300_000)

  it('at N = 200: every border attests its intervals and settles the period, both sides identical', async () => {
    const r = await runInternetCycle({ n: 200, seed: 1 })
    assert.deepEqual(r.unsettled, [])
    // Two intervals on both sides of every border, at least: one attestation per interval and side.
    assert.ok(r.attestations >= 2 * 2 * r.borders, `attestations ${r.attestations} for ${r.borders} borders`)
    for (const a of r.agents) {
      assert.ok(a.messages > 0 && a.signatures > 0 && a.storedBytes > 0 && a.cpuMs > 0, `a${a.index} did work`)
    }
    // After the tariffs, signatures per border are the same at every degree: no work grows with N.
    const buckets = degreeBuckets(minus(r.agents, r.tariffPhase))
    const sig = buckets.map(b => b.perBorder.signatures)
    assert.ok(Math.max(...sig) / Math.min(...sig) <= 1.5, JSON.stringify(sig))
    // Every request's timeout was cancelled by its answer or ran as the request's failure: none is left to run.
    assert.equal(r.byKind.timeout, undefined, JSON.stringify(r.byKind))
    assert.ok((r.byKind.deliver?.events ?? 0) > 0 && (r.byKind.tick?.events ?? 0) > 0)
  })

  it('compares the cost at equal degree across N, bucket by bucket, leaving out buckets with few agents', () => {
    const cost = (degree: number, k: number): { degree: number, messages: number, bytes: number, signatures: number, cpuMs: number, storedBytes: number, storedKeys: number } =>
      ({ degree, messages: 10 * degree * k, bytes: 100 * degree, signatures: 6 * degree, cpuMs: 9 * degree * k, storedBytes: 50 * degree, storedKeys: degree })
    const small = degreeBuckets([1, 1, 1, 2, 2, 2, 40].map(d => cost(d, 1)))
    const large = degreeBuckets([1, 1, 1, 2, 2, 2, 2, 900].map(d => cost(d, d === 2 ? 1.2 : 1)))
    const c = nIndependence(small, large)
    assert.deepEqual(c.buckets.map(b => [b.lo, b.hi]), [[1, 1], [2, 2]])
    assert.ok(Math.abs(c.ratio.cpuMs - 1.2) < 1e-9 && Math.abs(c.ratio.messages - 1.2) < 1e-9 && c.ratio.bytes === 1)
  })
})
