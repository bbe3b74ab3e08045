/**
 * Usage from counter pushes to attestations (docs/protocol.md) and the HTTP API that takes the
 * pushes: within tolerance both sides attest the lower figure; beyond it both record a usage
 * dispute and the interval contributes nothing to the period's statement; `/health`, `/metrics`
 * and `/v1/usage` answer as documented, with JSON errors naming the field.
 */
import assert from 'node:assert/strict'
import { decodeDocument, type Identity } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { configFor, makeIdentities, pricing } from './agent-fixtures.js'
import { VirtualWorld, type VirtualAgent } from './virtual.js'

// Virtual time: the world moves only when the test moves it, so no step waits on the wall clock.
const INTERVAL = 60_000
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % (2 * INTERVAL)) - 30_000
const opts = { intervalMs: INTERVAL, periodIntervals: 2, tolerance: '0.01', usage: { source: 'http' }, http: { host: '127.0.0.1', port: 0 } }

async function post (url: string, body: unknown): Promise<{ status: number, body: { error?: string, field?: string, accepted?: number } }> {
  const res = await fetch(`${url}/v1/usage`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  return { status: res.status, body: await res.json() as { error?: string, field?: string } }
}

/** Two agents with their HTTP APIs on one border, on virtual time; `period` is the first both settle. */
interface UsageBorder { world: VirtualWorld, A: VirtualAgent, B: VirtualAgent, period: number, border: string }

async function usageBorder (): Promise<UsageBorder> {
  const ids: Identity[] = await makeIdentities(2)
  const world = await VirtualWorld.start([0, 1].map(i => configFor(i, ids, [1, 2], [[0, 1]], opts)), ids, T0, { http: true })
  const [A, B] = world.agents as [VirtualAgent, VirtualAgent]
  await A.agent.tariffs.publishOwn(pricing('0.000002'), 0)
  await B.agent.tariffs.publishOwn(pricing('0.000001'), 0)
  // The next whole period that starts after both tariffs are in force and both agents settle.
  const len = INTERVAL * 2
  const from = Math.max(world.now, await A.agent.border.since(B.identity.peerId), await B.agent.border.since(A.identity.peerId))
  return { world, A, B, period: Math.ceil((from + 1) / len) * len, border: borderOf(A.identity.peerId, B.identity.peerId) }
}

/** Within tolerance the lower figure is attested; beyond it both sides record a dispute, and the period settles without it. */
async function lowerOrDispute (c: UsageBorder): Promise<void> {
  const { world, A, B, period, border } = c
  const [a, b] = [A.identity.peerId, B.identity.peerId]
  const disputed = period
  const agreed = period + INTERVAL
  // Interval 1: A counts 1000 octets sent to B, B counts 900 received (10% apart, tolerance 1%).
  // Interval 2: 1000 against 995: within tolerance, so 995 is attested. (Counters are accepted
  // up to the clock-skew allowance ahead of their interval.)
  await world.advance(disputed - 1000)
  assert.equal((await post(A.agent.url!, [{ neighbour: 'n1', intervalStart: disputed, class: 'be', direction: 'out', volume: '1000' }])).status, 200)
  assert.equal((await post(B.agent.url!, [{ neighbour: a, intervalStart: disputed, class: 'be', direction: 'in', volume: '900' }])).status, 200)
  await world.advance(agreed - 1000)
  assert.equal((await post(A.agent.url!, [
    { neighbour: 'n1', intervalStart: agreed, class: 'be', direction: 'out', volume: '600' },
    { neighbour: 'n1', intervalStart: agreed, class: 'be', direction: 'out', volume: '400' }
  ])).status, 200)
  assert.equal((await post(B.agent.url!, [{ neighbour: a, intervalStart: agreed, class: 'be', direction: 'in', volume: '995' }])).status, 200)
  await world.until('both sides hold the period\'s statement', async () =>
    (await A.store.getStatement(border, period)) !== undefined && (await B.store.getStatement(border, period)) !== undefined, 4 * INTERVAL)

  for (const r of [A, B]) {
    const disputes = await r.store.listDisputes(border)
    const d = disputes.find(x => x.kind === 'usage' && x.key === String(disputed).padStart(16, '0'))
    assert.ok(d, `${r.agent.ctx.config.name} recorded the usage dispute`)
    assert.equal(d.status, 'open')
    assert.equal(await r.store.getAttestation(border, disputed), undefined, 'no attestation for the disputed interval')
    const att = await r.store.getAttestation(border, agreed)
    assert.ok(att, 'the agreed interval is attested')
    const doc = decodeDocument(att.bytes, 'usage-attestation')
    assert.ok(doc.ok)
    assert.deepEqual(doc.value.body.lines, [{ class: 'be', from: a, to: b, volume: '995' }], 'the lower figure')
    const st = await r.store.getStatement(border, period)
    assert.ok(st)
    const s = decodeDocument(st.bytes, 'settlement-statement')
    assert.ok(s.ok)
    assert.deepEqual(s.value.body.attestations, [att.id], 'the disputed interval contributes no line')
    assert.ok(s.value.body.lines.every(l => l.kind !== 'usage' || l.volume === '995'))
  }
  const [sa, sb] = await Promise.all([A.store.getStatement(border, period), B.store.getStatement(border, period)])
  assert.deepEqual(Buffer.from(sa!.bytes), Buffer.from(sb!.bytes))
  const metrics = await (await fetch(`${A.agent.url!}/metrics`)).text()
  assert.match(metrics, /splitedge_disputes_total\{kind="usage"\} 1/)
}

/** Good pushes are counted; bad ones are refused with a JSON error naming the field, and store nothing. */
async function pushes (c: UsageBorder): Promise<void> {
  const { world, A, period, border } = c
  const url = A.agent.url!
  const ok = await post(url, { neighbour: 'n1', class: 'be', direction: 'out', volume: '12', messages: 3 })
  assert.deepEqual([ok.status, ok.body.accepted], [200, 1])
  const cases: Array<[unknown, number, string]> = [
    [{ neighbour: 'stranger', class: 'be', direction: 'out', volume: '1' }, 400, '[0].neighbour'],
    [[{ neighbour: 'n1', class: 'be', direction: 'out', volume: '1' }, { neighbour: 'n1', class: 'be', direction: 'in', volume: '-5' }], 400, '[1].volume'],
    [{ neighbour: 'n1', class: 'be', direction: 'sideways', volume: '1' }, 400, '[0].direction'],
    [{ neighbour: 'n1', class: 'be', direction: 'out', volume: '1', time: world.now + 3_600_000 }, 400, '[0].time'],
    // The interval is already reported to the neighbour: too late to add to it.
    [{ neighbour: 'n1', intervalStart: period, class: 'be', direction: 'out', volume: '1' }, 409, '[0]']
  ]
  for (const [body, status, field] of cases) {
    const r = await post(url, body)
    assert.equal(r.status, status, JSON.stringify(r.body))
    assert.equal(r.body.field, field)
    assert.ok(r.body.error?.startsWith(field), r.body.error)
  }
  const notJson = await post(url, '{"neighbour":')
  assert.equal(notJson.status, 400)
  assert.match(notJson.body.error ?? '', /JSON/)
  // A refused batch stores nothing: its good first item is not counted either.
  const later = (Math.floor(world.now / INTERVAL) + 2) * INTERVAL
  const refused = await post(url, [
    { neighbour: 'n1', intervalStart: later, class: 'be', direction: 'out', volume: '1' },
    { neighbour: 'n1', intervalStart: later, class: 'be', direction: 'out', volume: 'lots' }
  ])
  assert.deepEqual([refused.status, refused.body.field], [400, '[1].volume'])
  assert.equal(await A.store.getUsage(border, later), undefined)
}

describe('agent: usage pushes, reconciliation and the HTTP API', function () {
  this.timeout(60_000)
  let c: UsageBorder
  before(async () => { c = await usageBorder() })
  after(async () => { await c?.world.stop() })

  it('attests the lower figure within tolerance, disputes beyond it on both sides, and settles without the disputed interval', async () => { await lowerOrDispute(c) })

  it('serves /health and Prometheus /metrics', async () => {
    const h = await fetch(`${c.A.agent.url!}/health`)
    assert.equal(h.status, 200)
    const body = await h.json() as { ok: boolean, name: string, peerId: string, neighbours: number }
    assert.deepEqual([body.ok, body.name, body.peerId, body.neighbours], [true, 'n0', c.A.identity.peerId, 1])
    const m = await fetch(`${c.A.agent.url!}/metrics`)
    assert.equal(m.status, 200)
    assert.match(m.headers.get('content-type') ?? '', /^text\/plain/)
    const text = await m.text()
    for (const series of ['splitedge_attestations_total', 'splitedge_statements_total', 'splitedge_neighbours_connected']) {
      assert.match(text, new RegExp(`^# TYPE ${series} `, 'm'))
    }
    assert.match(text, /^splitedge_statements_total [1-9]/m)
    assert.equal((await fetch(`${c.A.agent.url!}/nope`)).status, 404)
  })

  it('/v1/usage accepts good pushes and refuses bad ones with a JSON error naming the field', async () => { await pushes(c) })
})
