/**
 * The pricing model in agents (issue 15): publishes are serialised, a unit mismatch across a border
 * is a dispute with a clear reason, and two agents whose tariffs use per-class weights, a negative
 * per-neighbour period fee, a flat message fee and a bilateral SLA co-sign the model's statement.
 */
import assert from 'node:assert/strict'
import { decodeDocument } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { computeStatement, type PricingTariff } from '@splitedge/model'
import { assembleStatement } from '../src/settle/assemble.js'
import { configFor, makeIdentities, pricing, startAgent, waitFor, type Running, freePorts } from './agent-fixtures.js'
import { VirtualWorld, type VirtualAgent } from './virtual.js'

const opts = { intervalMs: 500, periodIntervals: 2, noise: 0.001, tolerance: '0.01' }

describe('agent: the pricing model', function () {
  this.timeout(60_000)
  const running: Running[] = []
  const worlds: VirtualWorld[] = []
  afterEach(async () => { await Promise.all([...running.splice(0).map(async r => await r.agent.stop()), ...worlds.splice(0).map(async w => await w.stop())]) })

  it('serialises concurrent publishes: each gets the next version, none fails', async () => {
    const ids = await makeIdentities(1)
    const ports = await freePorts(1)
    running.push(await startAgent(configFor(0, ids, ports, [], opts), ids[0]!))
    const results = await Promise.all(['1', '2', '3', '4', '5'].map(async p => await running[0]!.agent.tariffs.publishOwn(pricing(`0.00000${p}`), 0)))
    assert.deepEqual(results.map(r => r.seq).sort(), [1, 2, 3, 4, 5])
    assert.ok(results.every(r => r.status === 'published'))
    assert.equal((await running[0]!.store.latestTariff(ids[0]!.peerId))?.seq, 5)
  })

  it('records a dispute with a clear reason when the two tariffs of a border use different units', async () => {
    const ids = await makeIdentities(2)
    const ports = await freePorts(2)
    for (let i = 0; i < 2; i++) running.push(await startAgent(configFor(i, ids, ports, [[0, 1]], opts), ids[i]!))
    await running[0]!.agent.tariffs.publishOwn(pricing('0.00001'), 0)
    await running[1]!.agent.tariffs.publishOwn({ ...pricing('0.01'), unit: 'packet' }, 0)
    const border = borderOf(ids[0]!.peerId, ids[1]!.peerId)
    for (const r of running) {
      await waitFor('a unit dispute', async () => (await r.store.listDisputes(border, 'open')).some(d => d.key.startsWith('unit:')), 20_000)
      const d = (await r.store.listDisputes(border, 'open')).find(x => x.key.startsWith('unit:'))!
      assert.match((d.detail as { reason: string }).reason, /unit mismatch: n[01] prices per (packet|octet) .* we price per (octet|packet)/)
    }
  })

  it('co-signs the model\'s statement with per-class weights, a negative period fee, a message fee and a bilateral SLA', async () => {
    // On virtual time and the in-memory network: the period is reached without waiting for it.
    const ids = await makeIdentities(2)
    const [a, b] = [ids[0]!.peerId, ids[1]!.peerId]
    const vopts = { ...opts, intervalMs: 60_000 }
    const world = await VirtualWorld.start([0, 1].map(i => configFor(i, ids, [1, 2], [[0, 1]], vopts)), ids, 1_800_000_000_000 - 30_000)
    worlds.push(world)
    const running: VirtualAgent[] = world.agents
    const A = pricing('0.000002', { '*': { send: '1', receive: '1' } }, { periodFee: { [b]: '-0.5' } })
    A.classes.ef = { ...A.classes.ef!, weights: { [b]: { send: '3', receive: '1' } }, messageFee: '0.0001' }
    const B: PricingTariff = pricing('0.000003', { '*': { send: '1', receive: '0' } }, {
      bilateralSla: { [a]: { ef: [{ metric: 'delay_ms', window: 'period', bands: [{ upTo: '1000', factor: '1' }, { factor: '0.5' }] }] } }
    })
    await running[0]!.agent.tariffs.publishOwn(A, 0)
    await running[1]!.agent.tariffs.publishOwn(B, 0)
    const border = borderOf(a, b)
    const len = vopts.intervalMs * vopts.periodIntervals
    const from = Math.max(world.now, await running[0]!.agent.border.since(b), await running[1]!.agent.border.since(a))
    const p = Math.ceil((from + 1) / len) * len
    await world.until('both sides co-sign the period', async () => (await running[0]!.store.getStatement(border, p)) !== undefined && (await running[1]!.store.getStatement(border, p)) !== undefined, 3 * len)
    const s0 = await running[0]!.store.getStatement(border, p)
    const s1 = await running[1]!.store.getStatement(border, p)
    assert.deepEqual(Buffer.from(s0!.bytes), Buffer.from(s1!.bytes))
    const d = decodeDocument(s0!.bytes, 'settlement-statement')
    assert.ok(d.ok)
    const atts = (await running[0]!.store.listAttestations(border, p, p + len)).map(r => {
      const x = decodeDocument(r.bytes, 'usage-attestation')
      assert.ok(x.ok)
      return { id: r.id, doc: x.value }
    })
    const st = computeStatement(await assembleStatement(d.value.body.border, opts.periodIntervals, atts, async (issuer, t) => await running[0]!.agent.view.inForce(issuer, t)))
    assert.deepEqual(d.value.body.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount, l.note ?? null]), st.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount, l.note ?? null]))
    assert.equal(d.value.body.net, st.net)
    // A's fee toward B is negative (A pays B): the line runs from B, the payer of A's fee, to A, at −0.5.
    const fee = d.value.body.lines.find(l => l.kind === 'period-fee')
    assert.deepEqual([fee?.from, fee?.to, fee?.amount], [b, a, '-0.500000'])
    // ef from A into B: B's weight send 1 and A's per-class receive weight 1 toward B.
    assert.ok(d.value.body.lines.some(l => l.kind === 'usage' && l.class === 'ef'))
  })
})
