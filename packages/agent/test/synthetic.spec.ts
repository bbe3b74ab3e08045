import assert from 'node:assert/strict'
import { syntheticUsage } from '../src/usage/synthetic.js'
import { reconcile } from '../src/border/reconcile.js'

describe('synthetic usage', () => {
  const opts = { seed: 'demo', classes: ['be', 'ef'], meanVolume: 1_000_000, noise: 0.002 }
  it('gives both neighbours matching traffic within their noise', () => {
    for (let start = 0; start < 20_000; start += 2000) {
      const a = syntheticUsage(opts, 'A', 'B', start)
      const b = syntheticUsage(opts, 'B', 'A', start)
      assert.equal(a.length, 4)
      const r = reconcile({ lines: a, metrics: [] }, { lines: b, metrics: [] }, '0.01')
      assert.equal(r.ok, true)
    }
  })
  it('is deterministic and varies by interval', () => {
    assert.deepEqual(syntheticUsage(opts, 'A', 'B', 0), syntheticUsage(opts, 'A', 'B', 0))
    assert.notDeepEqual(syntheticUsage(opts, 'A', 'B', 0), syntheticUsage(opts, 'A', 'B', 2000))
  })
  it('without noise both sides measure exactly the same', () => {
    const o = { ...opts, noise: 0 }
    const a = syntheticUsage(o, 'A', 'B', 0)
    const b = syntheticUsage(o, 'B', 'A', 0)
    assert.deepEqual(a, b)
  })
})
