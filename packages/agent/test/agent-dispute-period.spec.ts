/**
 * A period whose every interval is disputed has nothing to settle when it closes; it must settle
 * once a revision attests one of its intervals, rather than being passed over for good.
 */
import assert from 'node:assert/strict'
import { decodeDocument, type Identity } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { configFor, makeIdentities, pricing, sleep, startAgent, waitFor, type Running, postJson, freePorts } from './agent-fixtures.js'

// Ports are chosen free when the tests start (see freePorts).
const PORTS: number[] = []
const INTERVAL = 800
const INTERVALS = 2
const LEN = INTERVAL * INTERVALS
const opts = { intervalMs: INTERVAL, periodIntervals: INTERVALS, tolerance: '0.01', usage: { source: 'http' }, http: { host: '127.0.0.1', port: 0 } }
const key = (start: number): string => String(start).padStart(16, '0')

const post = postJson

describe('agent: a fully disputed period settles after a revision', function () {
  this.timeout(60_000)
  let ids: Identity[]
  let A: Running
  let B: Running

  before(async () => { PORTS.push(...await freePorts(2)) })
  before(async () => {
    ids = await makeIdentities(2)
    A = await startAgent(configFor(0, ids, PORTS, [[0, 1]], opts), ids[0]!, undefined, { http: true })
    B = await startAgent(configFor(1, ids, PORTS, [[0, 1]], opts), ids[1]!, undefined, { http: true })
    await A.agent.tariffs.publishOwn(pricing('0.000002'), 0)
    await B.agent.tariffs.publishOwn(pricing('0.000001'), 0)
  })
  after(async () => { await Promise.all([A, B].map(async r => await r?.agent.stop())) })

  it('keeps the period open while its usage disputes are, and settles it once one is revised', async () => {
    const a = A.identity.peerId
    const b = B.identity.peerId
    const border = borderOf(a, b)
    const since = Math.max(await A.agent.border.since(b), await B.agent.border.since(a))
    const period = Math.ceil((Math.max(Date.now() + 1, since)) / LEN) * LEN
    for (const start of [period, period + INTERVAL]) {
      // Counters are accepted up to the clock-skew allowance (2 s here) ahead of their interval.
      await sleep(Math.max(0, start - 1000 - Date.now()))
      const r1 = await post(A.agent.url!, '/v1/usage', [{ neighbour: 'n1', intervalStart: start, class: 'be', direction: 'out', volume: '1000' }])
      const r2 = await post(B.agent.url!, '/v1/usage', [{ neighbour: a, intervalStart: start, class: 'be', direction: 'in', volume: '800' }])
      assert.equal(r1.status, 200, JSON.stringify(r1.body))
      assert.equal(r2.status, 200, JSON.stringify(r2.body))
    }
    await waitFor('every interval of the period disputed on both sides', async () => {
      for (const r of [A, B]) for (const s of [period, period + INTERVAL]) if ((await r.store.getDispute('usage', border, key(s)))?.status !== 'open') return false
      return true
    })
    // The period closes with nothing to co-sign; give both agents several ticks past its end.
    await sleep(Math.max(0, period + LEN + 3 * INTERVAL - Date.now()))
    assert.equal(await A.store.getStatement(border, period), undefined)
    assert.equal(await B.store.getStatement(border, period), undefined)

    const res = await post(B.agent.url!, '/v1/disputes/revise', { neighbour: 'n0', intervalStart: period, accept: true })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await waitFor('the period settles on both sides', async () =>
      (await A.store.getStatement(border, period)) !== undefined && (await B.store.getStatement(border, period)) !== undefined)
    const sa = await A.store.getStatement(border, period)
    const sb = await B.store.getStatement(border, period)
    assert.deepEqual(Buffer.from(sa!.bytes), Buffer.from(sb!.bytes))
    const d = decodeDocument(sa!.bytes, 'settlement-statement')
    assert.ok(d.ok)
    assert.equal(d.value.body.attestations.length, 1, 'only the revised interval is settled')
    assert.equal((await A.store.getDispute('usage', border, key(period + INTERVAL)))?.status, 'open', 'the other interval stays disputed')
  })
})
