/**
 * Real agents on the simulated network and virtual time: they attest and settle with no wall clock
 * and no libp2p, both sides of every border co-sign the same bytes, and a seed replays exactly.
 */
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { below, EventQueue, runWorld, seededRng, SimLevel } from '../src/index.js'

type Range = { gt?: string, gte?: string, lt?: string, lte?: string, reverse?: boolean, limit?: number }

/** A seeded random range over keys of the alphabet `ab!"` (sublevel separators included). */
function randomRange (rng: () => number, key: () => string): Range {
  const r: Range = {}
  const lower = below(rng, 3)
  if (lower === 1) r.gt = key()
  if (lower === 2) r.gte = key()
  const upper = below(rng, 3)
  if (upper === 1) r.lt = key()
  if (upper === 2) r.lte = key()
  if (rng() < 0.5) r.reverse = true
  if (rng() < 0.3) r.limit = below(rng, 5)
  return r
}

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

  it('SimLevel answers gets, ranges, reverse and limits as memory-level does, over seeded random writes', async () => {
    const rng = seededRng(11)
    const key = (): string => Array.from({ length: 1 + below(rng, 4) }, () => 'ab!"'[below(rng, 4)]).join('')
    const [sim, mem] = [new SimLevel(), new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })]
    await mem.open()
    for (let step = 0; step < 400; step++) {
      const k = key()
      const big = new Uint8Array(64).fill(step % 251)
      const value = big.subarray(3, 3 + below(rng, 8))
      if (rng() < 0.7) for (const db of [sim, mem]) await db.put(k, value)
      else for (const db of [sim, mem]) await db.del(k)
      if (step % 20 !== 0) continue
      const r = randomRange(rng, key)
      const bytes = (v: Uint8Array | undefined): number[] | undefined => v === undefined ? undefined : [...v]
      assert.deepEqual((await sim.iterator(r).all()).map(([a, b]) => [a, bytes(b)]), (await mem.iterator(r).all()).map(([a, b]) => [a, bytes(b)]), JSON.stringify(r))
      assert.deepEqual(await sim.keys(r).all(), await mem.keys(r).all(), JSON.stringify(r))
      const ks = [key(), key(), k]
      assert.deepEqual((await sim.getMany(ks)).map(bytes), (await mem.getMany(ks)).map(bytes))
    }
    // A value that was a view into a larger buffer is held as a copy of its own bytes.
    const held = await sim.get((await sim.keys().all())[0] as string)
    assert.ok(held !== undefined && held.byteLength === held.buffer.byteLength)
  })

  it('a cancelled event is dropped unrun and unlogged; an event already run cannot be cancelled', async () => {
    const q = new EventQueue(0)
    const ran: string[] = []
    const cancelB = q.after(10, 'b', () => { ran.push('b') })
    const cancelA = q.after(5, 'a', () => { ran.push('a') })
    q.after(20, 'c', () => { ran.push('c') })
    assert.equal(q.pending, 3)
    cancelB()
    cancelB()
    assert.equal(q.pending, 2)
    while (q.step()) await Promise.resolve()
    cancelA()
    assert.deepEqual(ran, ['a', 'c'])
    assert.equal(q.steps, 2)
    assert.equal(q.pending, 0)
    const r = new EventQueue(0)
    r.after(5, 'a', () => {})
    r.after(20, 'c', () => {})
    while (r.step()) await Promise.resolve()
    assert.equal(q.logDigest(), r.logDigest())
  })
})
