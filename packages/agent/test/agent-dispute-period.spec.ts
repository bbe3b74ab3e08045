/**
 * A period whose every interval is disputed has nothing to settle when it closes; it must settle
 * once a revision attests one of its intervals, rather than being passed over for good.
 */
import assert from 'node:assert/strict'
import { decodeDocument, type Identity } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { configFor, makeIdentities, pricing, postJson } from './agent-fixtures.js'
import { VirtualWorld, type VirtualAgent } from './virtual.js'

// Virtual time: the world moves only when the test moves it, so no step waits on the wall clock.
const INTERVAL = 60_000
const INTERVALS = 2
const LEN = INTERVAL * INTERVALS
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % LEN) - 30_000
const opts = { intervalMs: INTERVAL, periodIntervals: INTERVALS, tolerance: '0.01', usage: { source: 'http' }, http: { host: '127.0.0.1', port: 0 } }
const key = (start: number): string => String(start).padStart(16, '0')

const post = postJson

describe('agent: a fully disputed period settles after a revision', function () {
  this.timeout(60_000)
  let ids: Identity[]
  let world: VirtualWorld
  let A: VirtualAgent
  let B: VirtualAgent

  before(async () => {
    ids = await makeIdentities(2)
    world = await VirtualWorld.start([0, 1].map(i => configFor(i, ids, [1, 2], [[0, 1]], opts)), ids, T0, { http: true })
    ;[A, B] = world.agents as [VirtualAgent, VirtualAgent]
    await A.agent.tariffs.publishOwn(pricing('0.000002'), 0)
    await B.agent.tariffs.publishOwn(pricing('0.000001'), 0)
  })
  after(async () => { await world?.stop() })

  it('keeps the period open while its usage disputes are, and settles it once one is revised', async () => {
    const a = A.identity.peerId
    const b = B.identity.peerId
    const border = borderOf(a, b)
    const since = Math.max(await A.agent.border.since(b), await B.agent.border.since(a))
    const period = Math.ceil((Math.max(world.now + 1, since)) / LEN) * LEN
    for (const start of [period, period + INTERVAL]) {
      // Counters are accepted up to the clock-skew allowance (2 s here) ahead of their interval.
      await world.advance(start - 1000)
      const r1 = await post(A.agent.url!, '/v1/usage', [{ neighbour: 'n1', intervalStart: start, class: 'be', direction: 'out', volume: '1000' }])
      const r2 = await post(B.agent.url!, '/v1/usage', [{ neighbour: a, intervalStart: start, class: 'be', direction: 'in', volume: '800' }])
      assert.equal(r1.status, 200, JSON.stringify(r1.body))
      assert.equal(r2.status, 200, JSON.stringify(r2.body))
    }
    await world.until('every interval of the period disputed on both sides', async () => {
      for (const r of [A, B]) for (const s of [period, period + INTERVAL]) if ((await r.store.getDispute('usage', border, key(s)))?.status !== 'open') return false
      return true
    }, 2 * INTERVAL)
    // The period closes with nothing to co-sign; both agents work on for three intervals past its end.
    await world.advance(period + LEN + 3 * INTERVAL)
    for (const [r, peer] of [[A, b], [B, a]] as const) assert.equal((await r.agent.settle.state(peer, period)).phase, 'on-hold', 'nothing to co-sign while a usage dispute of the period is open')
    assert.equal(await A.store.getStatement(border, period), undefined)
    assert.equal(await B.store.getStatement(border, period), undefined)

    const res = await post(B.agent.url!, '/v1/disputes/revise', { neighbour: 'n0', intervalStart: period, accept: true })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await world.until('the period settles on both sides', async () =>
      (await A.store.getStatement(border, period)) !== undefined && (await B.store.getStatement(border, period)) !== undefined, LEN)
    const sa = await A.store.getStatement(border, period)
    const sb = await B.store.getStatement(border, period)
    assert.deepEqual(Buffer.from(sa!.bytes), Buffer.from(sb!.bytes))
    const d = decodeDocument(sa!.bytes, 'settlement-statement')
    assert.ok(d.ok)
    assert.equal(d.value.body.attestations.length, 1, 'only the revised interval is settled')
    assert.equal((await A.store.getDispute('usage', border, key(period + INTERVAL)))?.status, 'open', 'the other interval stays disputed')
  })
})
