/**
 * Real agents on the simulated network and virtual time: they attest and settle with no wall clock
 * and no libp2p, both sides of every border co-sign the same bytes, and a seed replays exactly.
 */
import assert from 'node:assert/strict'
import { runWorld } from '../src/index.js'

describe('sim world: real agents on virtual time', function () {
  this.timeout(120_000)

  it('two agents settle every period on byte-identical statements, with no wall-clock wait', async () => {
    const r = await runWorld({ seed: 1, agents: 2, intervals: 6 })
    assert.deepEqual(r.disagreements, [])
    const list = r.statements['a0-a1'] ?? []
    assert.ok(list.length >= 3, `periods settled: ${list.length}`)
    assert.ok(r.events > 50 && r.net.requests > 10, JSON.stringify(r.net))
  })

  it('the same seed gives the same event log and the same statements; another seed does not', async () => {
    const [a, b, c] = [await runWorld({ seed: 7, agents: 3, intervals: 4 }), await runWorld({ seed: 7, agents: 3, intervals: 4 }), await runWorld({ seed: 8, agents: 3, intervals: 4 })]
    assert.equal(a.logDigest, b.logDigest)
    assert.deepEqual(a.statements, b.statements)
    assert.notEqual(a.logDigest, c.logDigest)
    assert.notDeepEqual(a.statements, c.statements)
  })

  it('a ring of four with 10 % message loss still settles, both sides agreeing', async () => {
    const r = await runWorld({ seed: 3, agents: 4, intervals: 12, faults: { loss: 0.1, latencyMs: { min: 5, spread: 40 } } })
    assert.deepEqual(r.disagreements, [])
    assert.ok(r.net.lost > 0, 'messages were lost')
    for (const [border, list] of Object.entries(r.statements)) assert.ok(list.length >= 2, `${border} settled ${list.length} periods`)
  })
})
