/**
 * What an outside client found (docs/protocol.md): rejected streams are counted and logged, a
 * replay of the current tariff is dropped without being forwarded or punished, a tariff reaches
 * only its issuer's neighbours and clearers, and frames get one strictness.
 *
 * Cast, over the in-memory transport: agents A and B, neighbours; M, a raw libp2p node both list
 * as a neighbour; K, a raw node A lists as its clearer (B does not) that follows both A's and B's
 * tariff topics, as a clearer serving both would.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import * as dagCbor from '@ipld/dag-cbor'
import { MemoryLevel } from 'memory-level'
import { pino, type Logger } from 'pino'
import { docId, encodeDocument, identityFromSeed, sign, type Identity, type TariffBody } from '@splitedge/wire'
import { openStore } from '@splitedge/store'
import { Agent, tariffRelayPolicy } from '../src/agent.js'
import { checkConfig } from '../src/config/load.js'
import { createNode, lengthPrefixed, peerScore, publish, tariffTopic, type NetNode } from '@splitedge/node'
import { FrameError, PROTOCOLS, TariffSyncRequest, decodeFrame, encodeFrame } from '@splitedge/node'
import { ask, pricing, rejectedCount, waitFor } from './agent-fixtures.js'

const seedOf = (name: string): Uint8Array => createHash('sha256').update(`splitedge-test/hardening/${name}`).digest()
const addr = (name: string): string => `/memory/splitedge-hardening-${name}`

function config (name: string, neighbours: Array<{ name: string, id: Identity }>, clearers: string[] = []): ReturnType<typeof checkConfig> {
  return checkConfig({
    name,
    key: '/nonexistent',
    dataDir: '/nonexistent',
    transport: 'memory',
    listen: [addr(name)],
    interval: { lengthMs: 3_600_000 },
    usage: { source: 'synthetic', seed: 'hardening' },
    neighbours: neighbours.map(n => ({ name: n.name, peerId: n.id.peerId, addrs: [addr(n.name)], status: 'peer' })),
    clearers,
    logLevel: 'silent'
  }, '/')
}

/** A logger whose warn lines the test can read. */
function capturedLogger (): { logger: Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() } })
  return { logger: pino({ level: 'warn' }, sink), lines }
}

async function startAgent (cfg: ReturnType<typeof checkConfig>, identity: Identity, logger: Logger): Promise<Agent> {
  const store = await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) as never })
  return await Agent.start({ config: cfg, identity, store, logger, http: false })
}

/** Raw bytes on one stream of `protocol`; resolves when the server has answered or closed. */
async function sendRaw (from: NetNode, to: string, protocol: string, bytes: Uint8Array): Promise<void> {
  const stream = await from.dialProtocol((await import('@libp2p/peer-id')).peerIdFromString(to), protocol)
  const closed = new Promise<void>(resolve => stream.addEventListener('close', () => resolve(), { once: true }))
  stream.send(bytes)
  await stream.close().catch(() => {})
  await closed
}

describe('agent: rejections counted, replays ignored, tariffs kept to their issuer\'s neighbours', function () {
  this.timeout(60_000)
  let a: Identity, b: Identity, m: Identity, k: Identity
  let A: Agent
  let B: Agent
  let M: NetNode
  let K: NetNode
  let logA: Array<Record<string, unknown>>
  const kGot: Array<{ topic: string, from: string }> = []

  before(async () => {
    [a, b, m, k] = await Promise.all(['a', 'b', 'm', 'k'].map(async n => await identityFromSeed(seedOf(n)))) as [Identity, Identity, Identity, Identity]
    M = await createNode({ privateKey: m.privateKey, transport: 'memory', listen: [addr('m')] })
    K = await createNode({ privateKey: k.privateKey, transport: 'memory', listen: [addr('k')] })
    const la = capturedLogger()
    logA = la.lines
    A = await startAgent(config('a', [{ name: 'b', id: b }, { name: 'm', id: m }], [k.peerId]), a, la.logger)
    B = await startAgent(config('b', [{ name: 'a', id: a }, { name: 'm', id: m }]), b, pino({ level: 'silent' }))
    K.services.pubsub.addEventListener('message', (evt) => { kGot.push({ topic: evt.detail.topic, from: evt.detail.type === 'signed' ? evt.detail.from.toString() : '' }) })
    K.services.pubsub.subscribe(tariffTopic(a.peerId))
    K.services.pubsub.subscribe(tariffTopic(b.peerId))
    await K.dial(A.libp2p.getMultiaddrs()[0]!)
    await waitFor('A, B and M connected', async () => A.connected().length === 2 && B.connected().length === 2)
  })

  after(async () => {
    await Promise.all([A, B].map(async x => await x?.stop()))
    await Promise.all([M, K].map(async x => await x?.stop()))
  })

  it('counts and logs refused, oversize, malformed and trailing-data streams, the log rate-limited per peer', async () => {
    const sync = PROTOCOLS.tariffSync
    const count = async (kind: string, reason: string): Promise<number> => await rejectedCount(A, kind, reason)
    const before = {
      oversize: await count('tariff-sync-frame', 'oversize'),
      malformed: await count('tariff-sync-frame', 'malformed'),
      trailing: await count('tariff-sync-frame', 'trailing-data'),
      refused: await count('border-frame', 'refused')
    }
    await sendRaw(M, a.peerId, sync, lengthPrefixed(new Uint8Array(1025)))
    await sendRaw(M, a.peerId, sync, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
    const current = encodeFrame(TariffSyncRequest, { k: 'current' })
    await sendRaw(M, a.peerId, sync, Uint8Array.from([...lengthPrefixed(current), ...lengthPrefixed(current)]))
    const refused = await ask(K, a.peerId, PROTOCOLS.border, current)
    assert.ok(!refused.ok && refused.code === 'refused', 'the clearer may not use the border protocol')
    await waitFor('four rejections counted', async () =>
      await count('tariff-sync-frame', 'oversize') === before.oversize + 1 &&
      await count('tariff-sync-frame', 'malformed') === before.malformed + 1 &&
      await count('tariff-sync-frame', 'trailing-data') === before.trailing + 1 &&
      await count('border-frame', 'refused') === before.refused + 1)
    const streamLines = logA.filter(l => typeof l.msg === 'string' && l.msg.includes('stream rejected'))
    assert.deepEqual(streamLines.map(l => [l.peer, l.kind, l.reason]), [
      [m.peerId, 'tariff-sync-frame', 'oversize'],
      [k.peerId, 'border-frame', 'refused']
    ], 'one line per peer within the window; M\'s two later rejections are counted, not logged')
    const text = await A.ctx.metrics.registry.metrics()
    assert.match(text, /splitedge_rejected_total\{kind="tariff-sync-frame",reason="trailing-data"\} 1/)
  })

  it('decodes frames with one strictness: map keys out of order are refused like long integers', async () => {
    const id = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    // {id, k} instead of the canonical {k, id}: DAG-CBOR sorts keys by length first.
    const unsorted = Uint8Array.from([0xa2, 0x62, 0x69, 0x64, 0x78, id.length, ...Buffer.from(id), 0x61, 0x6b, 0x65, ...Buffer.from('by-id')])
    assert.throws(() => decodeFrame(TariffSyncRequest, unsorted), (e: unknown) => e instanceof FrameError && e.code === 'non-canonical')
    const longInt = Uint8Array.from([0xa2, 0x61, 0x6b, 0x6f, ...Buffer.from('get-attestation'), 0x65, ...Buffer.from('start'), 0x1b, 0, 0, 0, 0, 0, 0, 0, 1])
    assert.throws(() => decodeFrame(TariffSyncRequest, longInt), (e: unknown) => e instanceof FrameError && e.code === 'malformed')
    const trailing = Uint8Array.from([...encodeFrame(TariffSyncRequest, { k: 'current' }), 0x00])
    assert.throws(() => decodeFrame(TariffSyncRequest, trailing), (e: unknown) => e instanceof FrameError && e.code === 'malformed')
    assert.deepEqual(decodeFrame(TariffSyncRequest, dagCbor.encode({ k: 'by-id', id })), { k: 'by-id', id })
    const malformed = await rejectedCount(A, 'tariff-sync-frame', 'malformed')
    const r = await ask(M, a.peerId, PROTOCOLS.tariffSync, unsorted)
    assert.ok(!r.ok && r.code === 'remote' && /non-canonical|canonical/.test(r.message), JSON.stringify(r))
    assert.equal(await rejectedCount(A, 'tariff-sync-frame', 'malformed'), malformed + 1)
  })

  it('ignores a replay of the issuer\'s current tariff: counted, not forwarded, not penalised', async () => {
    const published = await A.tariffs.publishOwn(pricing('0.000002'), 0)
    await waitFor('B holds A\'s tariff', async () => (await B.ctx.store.getTariff(published.id)) !== undefined)
    const rec = await A.ctx.store.getTariff(published.id)
    assert.ok(rec)
    const topic = tariffTopic(a.peerId)
    await waitFor('M sees B on A\'s topic', async () => M.services.pubsub.getSubscribers(topic).some(p => p.toString() === b.peerId))
    const counter = (): { ignored: number, rejected: number } => {
      const c = B.counters().gossip[topic]
      return { ignored: c?.ignored ?? 0, rejected: c?.rejected ?? 0 }
    }
    const before = counter()
    const dup = await rejectedCount(B, 'tariff', 'duplicate')
    assert.equal(await publish(M, topic, rec.bytes), 1)
    await waitFor('the replay is ignored', async () => counter().ignored === before.ignored + 1)
    assert.equal(counter().rejected, before.rejected, 'not rejected: no score penalty')
    assert.equal(await rejectedCount(B, 'tariff', 'duplicate'), dup + 1)
    assert.ok(peerScore(B.libp2p, m.peerId) >= 0, 'M keeps its score')
    // By sync the same version is expected and served as already held.
    const again = await B.tariffs.ingest(rec.bytes, a.peerId, 'sync')
    assert.deepEqual(again, { ok: true, status: 'exists', id: published.id })
  })

  it('keeps B\'s tariffs from A\'s clearer, which still gets A\'s own', async () => {
    const topicB = tariffTopic(b.peerId)
    // Before the fix A forwarded B's versions to every peer of its mesh on B's topic, K included.
    await waitFor('K in A\'s mesh for B\'s topic', async () => (A.libp2p.services.pubsub as unknown as { getMeshPeers: (t: string) => string[] }).getMeshPeers(topicB).includes(k.peerId))
    const pb = await B.tariffs.publishOwn(pricing('0.000001'), 0)
    await waitFor('A holds B\'s tariff', async () => (await A.ctx.store.getTariff(pb.id)) !== undefined)
    const pa = await A.tariffs.publishOwn(pricing('0.000004'), 0)
    assert.equal(pa.status, 'published')
    await waitFor('K got A\'s new version', async () => kGot.filter(x => x.topic === tariffTopic(a.peerId)).length >= 2)
    assert.deepEqual(kGot.filter(x => x.topic === topicB), [], 'K received nothing on B\'s topic')
  })

  it('relays a neighbour\'s tariff only to the peers its own tariff names as its neighbours', async () => {
    const cfg = config('a', [{ name: 'b', id: b }, { name: 'm', id: m }], [k.peerId])
    const policy = tariffRelayPolicy(cfg, a.peerId)
    const body = (statuses?: Record<string, 'peer'>): TariffBody => ({
      issuer: b.peerId, seq: 1, previous: null, published: 0, effective: 0, noticeMs: 0,
      pricing: { ...pricing('0.1'), ...(statuses === undefined ? {} : { statuses }) }
    }) as TariffBody
    const signedB = sign(b, 'tariff', body({ [a.peerId]: 'peer', [m.peerId]: 'peer' }))
    assert.ok(signedB.ok)
    const naming = encodeDocument(signedB.value)
    void docId(signedB.value)
    const topicA = tariffTopic(a.peerId)
    const topicB = tariffTopic(b.peerId)
    assert.ok(policy(k.peerId, topicA, new Uint8Array(1)), 'our own tariff: to our clearer')
    assert.ok(policy(m.peerId, topicA, undefined), 'our own tariff: to our neighbours, adverts too')
    assert.ok(!policy(k.peerId, topicB, naming), 'B\'s tariff: not to our clearer')
    assert.ok(policy(m.peerId, topicB, naming), 'B\'s tariff: to a neighbour it names')
    assert.ok(!policy(m.peerId, topicB, undefined), 'no adverts of B\'s tariff')
    assert.ok(!policy(b.peerId, topicB, naming), 'not back to its issuer')
    const silent = sign(b, 'tariff', body())
    assert.ok(silent.ok)
    assert.ok(!policy(m.peerId, topicB, encodeDocument(silent.value)), 'a tariff naming nobody is relayed to nobody')
    assert.ok(policy(k.peerId, '/splitedge/clearers/1', new Uint8Array(1)), 'other topics are left to scoring')
  })
})
