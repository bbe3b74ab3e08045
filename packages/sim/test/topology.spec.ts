import assert from 'node:assert/strict'
import fc from 'fast-check'
import { averageDegree, degrees, generate, isConnected, preferentialAttachment, randomGraph, ring, seededRng, star, TopologyError, type Graph } from '../src/index.js'

function simple (g: Graph): void {
  const seen = new Set<string>()
  for (const [a, b] of g.edges) {
    assert.ok(a < b, `edge [${a}, ${b}] is stored as [lower, higher]`)
    assert.ok(a >= 0 && b < g.n)
    assert.ok(!seen.has(`${a}-${b}`), 'no duplicate edge')
    seen.add(`${a}-${b}`)
  }
}

describe('sim: topology generators', () => {
  it('ring: every node has degree 2, connected', () => {
    for (const n of [3, 4, 17, 100]) {
      const g = ring(n)
      simple(g)
      assert.deepEqual(degrees(g), new Array(n).fill(2))
      assert.ok(isConnected(g))
    }
  })

  it('star: the hub has degree n-1, every other node 1', () => {
    const g = star(50)
    simple(g)
    const d = degrees(g)
    assert.equal(d[0], 49)
    assert.ok(d.slice(1).every(x => x === 1))
    assert.ok(isConnected(g))
  })

  it('random: connected, simple, average degree exactly the parameter', () => {
    fc.assert(fc.property(fc.integer({ min: 8, max: 400 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (n, half, seed) => {
      const degree = Math.min(2 * half, n - 1 - ((n - 1) % 2))
      const g = randomGraph(n, degree, seededRng(seed))
      simple(g)
      assert.ok(isConnected(g))
      assert.equal(g.edges.length, Math.round(n * degree / 2))
      assert.equal(averageDegree(g), 2 * Math.round(n * degree / 2) / n)
    }), { numRuns: 60 })
  })

  it('random: the same seed gives the same graph, another seed another', () => {
    assert.deepEqual(randomGraph(64, 4, seededRng(7)), randomGraph(64, 4, seededRng(7)))
    assert.notDeepEqual(randomGraph(64, 4, seededRng(7)), randomGraph(64, 4, seededRng(8)))
  })

  it('preferential attachment: m links per new node, connected, heavy-tailed', () => {
    fc.assert(fc.property(fc.integer({ min: 10, max: 600 }), fc.integer({ min: 1, max: 3 }), fc.integer(), (n, m, seed) => {
      const g = preferentialAttachment(n, m, seededRng(seed))
      simple(g)
      assert.ok(isConnected(g))
      assert.equal(g.edges.length, m * (m + 1) / 2 + (n - m - 1) * m)
      assert.ok(degrees(g).every(d => d >= m), 'every node has at least m links')
    }), { numRuns: 40 })
    const g = preferentialAttachment(2000, 2, seededRng(1))
    const d = degrees(g)
    assert.ok(Math.abs(averageDegree(g) - 4) < 0.01, 'average degree tends to 2m')
    assert.ok(Math.max(...d) > 8 * 4, `hubs emerge (max degree ${Math.max(...d)})`)
  })

  it('generate: degree parameter by kind; bad parameters are typed errors', () => {
    assert.equal(averageDegree(generate('random', 100, 6, seededRng(1))), 6)
    assert.ok(Math.abs(averageDegree(generate('preferential', 500, 4, seededRng(1))) - 4) < 0.05)
    assert.throws(() => randomGraph(10, 1, seededRng(1)), (e: unknown) => e instanceof TopologyError && e.code === 'bad-degree')
    assert.throws(() => ring(2), (e: unknown) => e instanceof TopologyError && e.code === 'bad-size')
  })
})
