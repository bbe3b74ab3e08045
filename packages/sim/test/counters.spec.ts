import assert from 'node:assert/strict'
import { generateIdentity } from '@splitedge/wire'
import { net } from '@splitedge/node'
import { GOSSIP, GossipMeter, diffSample, figuresOf, sampleOf, sleep, stats, until } from '../src/index.js'

describe('sim: counters are real', function () {
  this.timeout(60_000)
  const nodes: net.NetNode[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

  async function pair (tag: string): Promise<[net.NetNode, net.NetNode, GossipMeter]> {
    const meter = new GossipMeter()
    const [ia, ib] = [await generateIdentity(), await generateIdentity()]
    const a = await net.createNode({ privateKey: ia.privateKey, listen: [`/memory/counters-${tag}-${process.pid}-a`], transport: 'memory' })
    const b = await net.createNode({ privateKey: ib.privateKey, listen: [`/memory/counters-${tag}-${process.pid}-b`], transport: 'memory' })
    nodes.push(a, b)
    meter.attach(a)
    meter.attach(b)
    await a.dial(b.getMultiaddrs()[0] as never)
    return [a, b, meter]
  }

  it('request/response: 7 requests of 100 bytes, answered with 10 bytes each', async () => {
    const [a, b, meter] = await pair('rr')
    const proto = '/splitedge-sim/test-echo/1.0.0'
    await net.handle(b, proto, () => new Uint8Array(10), { maxRequestBytes: 1000, allow: () => true, timeoutMs: 5000 })
    const a0 = sampleOf(a, meter)
    const b0 = sampleOf(b, meter)
    for (let i = 0; i < 7; i++) await net.request(a, b.peerId.toString(), proto, new Uint8Array(100), { maxResponseBytes: 100, timeoutMs: 5000 })
    const da = diffSample(sampleOf(a, meter), a0)
    const db = diffSample(sampleOf(b, meter), b0)
    assert.deepEqual(da.traffic[proto], { messagesIn: 7, messagesOut: 7, bytesIn: 70, bytesOut: 700 })
    assert.deepEqual(db.traffic[proto], { messagesIn: 7, messagesOut: 7, bytesIn: 700, bytesOut: 70 })
    const fa = figuresOf(da)
    assert.equal(fa[`${proto}:messages`], 14)
    assert.equal(fa[`${proto}:bytes`], 770)
  })

  it('gossip: 5 publishes of 300 bytes reach the subscriber as 5 data messages, counted on both sides', async () => {
    const [a, b, meter] = await pair('gossip')
    const topic = '/splitedge-sim/test/1'
    let got = 0
    net.subscribe(b, topic, () => 'accept', () => { got++ })
    net.subscribe(a, topic, () => 'accept', () => {})
    await until('subscription seen', 20_000, () => a.services.pubsub.getSubscribers(topic).length === 1 ? 0 : 1)
    await sleep(1500) // mesh grafts settle
    const a0 = sampleOf(a, meter)
    const b0 = sampleOf(b, meter)
    for (let i = 0; i < 5; i++) await net.publish(a, topic, new Uint8Array(300).fill(i))
    await until('delivered', 20_000, () => 5 - got)
    const da = diffSample(sampleOf(a, meter), a0)
    const db = diffSample(sampleOf(b, meter), b0)
    assert.equal(got, 5)
    assert.equal(da.gossip.dataOut, 5)
    assert.equal(db.gossip.dataIn, 5)
    const ga = da.traffic[GOSSIP]
    const gb = db.traffic[GOSSIP]
    assert.ok(ga !== undefined && gb !== undefined)
    // What one side sent is what the other received, frame for frame and byte for byte.
    assert.equal(ga.messagesOut, gb.messagesIn)
    assert.equal(ga.bytesOut, gb.bytesIn)
    assert.ok(ga.messagesOut >= 1 && ga.messagesOut <= 5 + da.gossip.controlOut)
    assert.ok(ga.bytesOut >= 5 * 300, 'RPC bytes include every payload')
    assert.ok(ga.bytesOut < 5 * (300 + 200), 'and a bounded envelope (signature, key, seqno, topic)')
  })

  it('stats: mean and max per counter, missing counters as 0', () => {
    const s = stats([
      { messages: 2, bytes: 10, messagesIn: 1, messagesOut: 1, bytesIn: 5, bytesOut: 5, storedKeys: 1, storedBytes: 3, x: 4 },
      { messages: 4, bytes: 30, messagesIn: 2, messagesOut: 2, bytesIn: 15, bytesOut: 15, storedKeys: 3, storedBytes: 5 }
    ])
    assert.deepEqual(s.messages, { mean: 3, max: 4 })
    assert.deepEqual(s.bytes, { mean: 20, max: 30 })
    assert.deepEqual(s.x, { mean: 2, max: 4 })
  })
})
