/**
 * Tariffs between agents over real libp2p (docs/protocol.md): gossip reaches neighbours and
 * no stranger, every rule of section 4 rejects and counts a bad version, a rejected gossip message
 * costs its sender gossipsub score, and a neighbour that missed the gossip catches up by sync.
 *
 * Cast: agents A (issuer) and B, its neighbour; C, A's neighbour that starts late; M, a raw libp2p
 * node that B lists as a neighbour and that gossips bad versions on A's topic; N, a stranger that
 * dials A and subscribes to A's topic.
 */
import assert from 'node:assert/strict'
import {
  docId, encodeDocument, decodeDocument, sign, signedMessage, WIRE_VERSION,
  type Identity, type Tariff, type TariffBody
} from '@splitedge/wire'
import { borderOf, readEquivocation } from '@splitedge/store'
import { PROTOCOLS } from '@splitedge/node'
import { tariffRelayPolicy } from '../src/agent.js'
import { encodeFrame, TariffSyncRequest } from '@splitedge/node'
import { peerScore, publish, tariffTopic, type NetNode } from '@splitedge/node'
import {
  ask, configFor, makeIdentities, pricing, rawNode, rejectedCount, startAgent, waitFor, type Running, freePorts
} from './agent-fixtures.js'

// Ports are chosen free when the tests start (see freePorts).
const PORTS: number[] = []
const opts = { intervalMs: 500, periodIntervals: 2 }

function tariffBody (issuer: string, seq: number, previous: string | null, price: string, now: number, noticeMs = 0, effective = now + noticeMs): TariffBody {
  return { issuer, seq, previous, published: now, effective, noticeMs, pricing: pricing(price) } as TariffBody
}

function signed (id: Identity, body: TariffBody): { doc: Tariff, bytes: Uint8Array, id: string } {
  const s = sign(id, 'tariff', body)
  assert.ok(s.ok, s.ok ? '' : s.error.message)
  return { doc: s.value, bytes: encodeDocument(s.value), id: docId(s.value) }
}

describe('agent: tariff gossip, rules and sync', function () {
  this.timeout(60_000)
  let ids: Identity[]
  let A: Running
  let B: Running
  let C: Running | undefined
  let M: NetNode
  let N: NetNode
  const strangerGot: string[] = []
  let v1: { bytes: Uint8Array, id: string }

  before(async () => { PORTS.push(...await freePorts(4)) })
  before(async () => {
    ids = await makeIdentities(5) // A, B, C, M, N
    const [a, b, c, m, n] = ids as [Identity, Identity, Identity, Identity, Identity]
    M = await rawNode(m, PORTS[3])
    A = await startAgent(configFor(0, ids, PORTS, [[0, 1], [0, 2]], opts), a)
    B = await startAgent(configFor(1, ids, PORTS, [[0, 1]], { ...opts, extraNeighbours: [{ name: 'm', peerId: m.peerId, port: PORTS[3] as number }] }), b)
    void c
    N = await rawNode(n)
    N.services.pubsub.addEventListener('message', (evt) => { strangerGot.push(evt.detail.topic) })
    N.services.pubsub.subscribe(tariffTopic(a.peerId))
    await N.dial(A.agent.libp2p.getMultiaddrs()[0]!)
    await waitFor('A and B connected, B and M connected', async () =>
      A.agent.connected().includes(b.peerId) && B.agent.connected().includes(m.peerId))
    await waitFor('B subscribed to A\'s topic as seen by A and M', async () =>
      A.agent.libp2p.services.pubsub.getSubscribers(tariffTopic(a.peerId)).some(p => p.toString() === b.peerId) &&
      M.services.pubsub.getSubscribers(tariffTopic(a.peerId)).some(p => p.toString() === b.peerId))
  })

  after(async () => {
    await Promise.all([A, B, C].filter(r => r !== undefined).map(async r => await r.agent.stop()))
    await Promise.all([M, N].map(async x => await x?.stop()))
  })

  it('reaches its neighbour by gossip and no stranger that subscribes to the topic; sync refuses the stranger', async () => {
    const r = await A.agent.tariffs.publishOwn(pricing('0.000002'), 0)
    assert.equal(r.status, 'published')
    const rec = await A.store.getTariff(r.id)
    assert.ok(rec)
    v1 = { bytes: rec.bytes, id: r.id }
    await waitFor('B holds A\'s tariff', async () => (await B.store.getTariff(r.id)) !== undefined)
    assert.equal(await B.store.getTariff(r.id).then(t => t?.issuer), A.identity.peerId)
    // N is connected and subscribed, but A never sends it anything. Both gates that could are shut,
    // checked as state rather than by waiting for nothing: gossipsub scores the stranger below zero
    // (below its publish threshold, so it is never a recipient), and the relay policy withholds
    // the tariff from it on every path (publish, forward, gossip, IWANT).
    const stranger = ids[4]!.peerId
    const topic = tariffTopic(A.identity.peerId)
    assert.ok(peerScore(A.agent.libp2p, stranger) < 0, `the stranger's score is ${peerScore(A.agent.libp2p, stranger)}`)
    assert.equal(tariffRelayPolicy(A.agent.ctx.config, A.identity.peerId)(stranger, topic, rec.bytes), false, 'the relay policy withholds the tariff')
    assert.equal(tariffRelayPolicy(A.agent.ctx.config, A.identity.peerId)(ids[1]!.peerId, topic, rec.bytes), true, 'control: the neighbour is admitted')
    assert.deepEqual(strangerGot, [], 'the stranger received no tariff')
    assert.ok(A.agent.libp2p.getConnections().some(c => c.remotePeer.toString() === ids[4]!.peerId), 'the stranger is connected')
    const res = await ask(N, A.identity.peerId, PROTOCOLS.tariffSync, encodeFrame(TariffSyncRequest, { k: 'current' }))
    assert.ok(!res.ok && res.code === 'refused', 'tariff-sync refuses a peer that is neither neighbour nor clearer')
    // The same request from the neighbour B is served.
    const ok = await ask(B.agent.libp2p, A.identity.peerId, PROTOCOLS.tariffSync, encodeFrame(TariffSyncRequest, { k: 'current' }))
    assert.ok(ok.ok)
  })

  it('ignores a version whose predecessor it lacks, counts it, and fills the gap by sync', async () => {
    const a = ids[0] as Identity
    const now = Date.now()
    const v2 = signed(a, tariffBody(a.peerId, 2, v1.id, '0.000003', now))
    const v3 = signed(a, tariffBody(a.peerId, 3, v2.id, '0.000004', now))
    // A holds v2 and v3 (as if published while B was away); B only hears v3, from M.
    for (const v of [v2, v3]) assert.equal(await A.store.putTariff({ issuer: a.peerId, seq: v.doc.body.seq, id: v.id, effective: v.doc.body.effective, bytes: v.bytes }), 'created')
    const before = await rejectedCount(B.agent, 'tariff', 'gap')
    await publish(M, tariffTopic(a.peerId), v3.bytes)
    await waitFor('gap counted', async () => (await rejectedCount(B.agent, 'tariff', 'gap')) === before + 1)
    await waitFor('B filled the gap by sync', async () => (await B.store.latestTariff(a.peerId))?.seq === 3)
    assert.ok(await B.store.getTariff(v2.id), 'the missing version was fetched too')
    assert.equal(peerScore(B.agent.libp2p, ids[3]!.peerId) >= 0, true, 'an ignored message costs no score')
  })

  it('rejects forged and replayed versions arriving by gossip, counts them and lowers the sender\'s score', async () => {
    const [a, , , m] = ids as [Identity, Identity, Identity, Identity]
    const last = await B.store.latestTariff(a.peerId)
    assert.ok(last)
    // Forged: claims to be A's next version, signed with M's key under A's name.
    const body = tariffBody(a.peerId, last.seq + 1, last.id, '0.1', Date.now())
    const forged = encodeDocument({ type: 'tariff', v: WIRE_VERSION, body, sigs: [{ signer: a.peerId, sig: m.sign(signedMessage('tariff', body)) }] } as never)
    const scoreBefore = peerScore(B.agent.libp2p, m.peerId)
    const bad = await rejectedCount(B.agent, 'tariff', 'bad-signature')
    await publish(M, tariffTopic(a.peerId), forged)
    await waitFor('forged version counted', async () => (await rejectedCount(B.agent, 'tariff', 'bad-signature')) === bad + 1)
    await waitFor('M scored down', async () => peerScore(B.agent.libp2p, m.peerId) < Math.min(0, scoreBefore))
    // Replayed: A's genuine first version, long superseded, gossiped again.
    const stale = await rejectedCount(B.agent, 'tariff', 'stale-sequence')
    await publish(M, tariffTopic(a.peerId), v1.bytes)
    await waitFor('replay counted', async () => (await rejectedCount(B.agent, 'tariff', 'stale-sequence')) === stale + 1)
    assert.equal((await B.store.latestTariff(a.peerId))?.id, last.id, 'the book is unchanged')
    assert.equal(B.agent.counters().gossip[tariffTopic(a.peerId)]?.rejected, 2)
  })

  it('rejects stale, non-canonical, wrong-issuer and inside-notice versions, each with its reason', async () => {
    const [a, , , m] = ids as [Identity, Identity, Identity, Identity]
    const last = await B.store.latestTariff(a.peerId)
    assert.ok(last)
    const lastBody = decodeDocument(last.bytes, 'tariff')
    assert.ok(lastBody.ok)
    const now = Date.now()
    const cases: Array<[string, Uint8Array]> = []
    // Equivocation: a new content under a sequence number A already used, genuinely signed by A.
    cases.push(['equivocation', signed(a, tariffBody(a.peerId, 1, null, '0.5', now)).bytes])
    // Non-canonical: the same document with `v` as a two-byte integer.
    assert.deepEqual([...last.bytes.subarray(0, 4)], [0xa4, 0x61, 0x76, 0x01], 'envelope starts with {v: 1}')
    cases.push(['non-canonical', Uint8Array.from([0xa4, 0x61, 0x76, 0x18, 0x01, ...last.bytes.subarray(4)])])
    // Wrong issuer: M's own valid tariff on A's topic.
    cases.push(['wrong-issuer', signed(m, tariffBody(m.peerId, 1, null, '0.5', now)).bytes])
    // Inside the notice period: effective at once although the version announces a day's notice.
    cases.push(['inside-notice', signed(a, tariffBody(a.peerId, last.seq + 1, last.id, '0.5', now, 86_400_000, now)).bytes])
    for (const [reason, bytes] of cases) {
      const before = await rejectedCount(B.agent, 'tariff', reason)
      const r = await B.agent.tariffs.ingest(bytes, a.peerId, 'gossip')
      assert.ok(!r.ok && r.verdict === 'reject' && r.reason === reason, `${reason}: ${JSON.stringify(r)}`)
      assert.equal(await rejectedCount(B.agent, 'tariff', reason), before + 1, `${reason} counted`)
    }
    assert.equal((await B.store.latestTariff(a.peerId))?.id, last.id, 'the book is unchanged')
    // Both signed versions of the equivocation are kept as evidence.
    const evidence = await readEquivocation(B.store, a.peerId, 1)
    assert.equal(evidence?.documents.length, 2)
    // The metric as Prometheus exposes it.
    const text = await B.agent.ctx.metrics.registry.metrics()
    for (const reason of ['stale-sequence', 'non-canonical', 'wrong-issuer', 'inside-notice', 'bad-signature', 'gap']) {
      assert.match(text, new RegExp(`splitedge_rejected_total\\{kind="tariff",reason="${reason}"\\} [1-9]`))
    }
    void lastBody
  })

  it('a neighbour that was down when the tariff was gossiped gets it by sync and settles', async () => {
    const [a, , c] = ids as [Identity, Identity, Identity]
    C = await startAgent(configFor(2, ids, PORTS, [[0, 2]], opts), c)
    const latest = await A.store.latestTariff(a.peerId)
    assert.ok(latest)
    // On connection both sides sync and A re-announces: either way C holds A's current version.
    await waitFor('C holds A\'s current version', async () => (await C!.store.latestTariff(a.peerId))?.id === latest.id)
    await C.agent.tariffs.publishOwn(pricing('0.000001'), 0)
    const border = borderOf(a.peerId, c.peerId)
    await waitFor('A and C co-sign a statement', async () =>
      (await A.store.listStatements(border)).length >= 1 && (await C!.store.listStatements(border)).length >= 1, 30_000)
    assert.deepEqual(strangerGot, [], 'the stranger still received nothing')
  })
})
