/**
 * Hostile requests on the agent's protocols (docs/protocol.md). M, a raw libp2p node that
 * agent A lists as a neighbour, opens streams to A's border, settle and tariff-sync protocols and
 * sends garbage, schema violations, documents signed by the wrong key, a report for the future
 * and oversized frames: each gets an error frame (the stream then closes), each is counted, and A
 * goes on attesting and settling with its honest neighbour B meanwhile. A stranger is refused.
 */
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import {
  encodeDocument, sign, signedMessage, WIRE_VERSION,
  type Identity, type SettlementStatementBody, type UsageReportBody
} from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { BorderRequest, BorderResponse, decodeFrame, encodeFrame, MAX_FRAME_BYTES, PROTOCOLS, SettleRequest, TariffSyncRequest } from '@splitedge/node'
import type { NetNode } from '@splitedge/node'
import { ask, configFor, makeIdentities, pricing, rawNode, rejectedCount, startAgent, waitFor, type Running, freePorts } from './agent-fixtures.js'

// Ports are chosen free when the tests start (see freePorts).
const INTERVAL = 500
const opts = { intervalMs: INTERVAL, periodIntervals: 2 }

/** Agent A with its honest neighbour B, the hostile neighbour M (a raw node) and a stranger N. */
class Hostile {
  private constructor (readonly ids: Identity[], readonly A: Running, readonly B: Running, readonly M: NetNode, readonly N: NetNode) {}

  static async start (ports: number[]): Promise<Hostile> {
    const ids = await makeIdentities(4) // A, B, M, N
    const [a, b, m, n] = ids as [Identity, Identity, Identity, Identity]
    const M = await rawNode(m, ports[2])
    const N = await rawNode(n)
    const A = await startAgent(configFor(0, ids, ports, [[0, 1]], { ...opts, extraNeighbours: [{ name: 'm', peerId: m.peerId, port: ports[2] as number }] }), a)
    const B = await startAgent(configFor(1, ids, ports, [[0, 1]], opts), b)
    await A.agent.tariffs.publishOwn(pricing('0.000002'), 0)
    await B.agent.tariffs.publishOwn(pricing('0.000001'), 0)
    await waitFor('A connected to B and M', async () => A.agent.connected().length === 2)
    return new Hostile(ids, A, B, M, N)
  }

  async stop (): Promise<void> {
    await Promise.all([this.A, this.B].map(async r => await r.agent.stop()))
    await Promise.all([this.M, this.N].map(async x => await x.stop()))
  }

  private readonly failed = (protocol: string): number => this.A.agent.counters().requestResponse[protocol]?.inboundFailed ?? 0

  /** Send `bytes` from `from` and expect an error frame with `code`; returns its message. */
  readonly expectError = async (from: NetNode, protocol: string, bytes: Uint8Array, code: string): Promise<string> => {
    const before = this.failed(protocol)
    const r = await ask(from, this.A.identity.peerId, protocol, bytes)
    assert.ok(!r.ok, `${protocol}: expected an error, got an answer`)
    assert.equal(r.code, code, r.message)
    assert.equal(this.failed(protocol), before + 1, 'the failed exchange is counted')
    return r.message
  }

  readonly report = (signer: Identity, start: number, forgeWith?: Identity): Uint8Array => {
    const [x, y] = [this.A.identity.peerId, signer.peerId].sort() as [string, string]
    const body: UsageReportBody = { border: [x, y], reporter: signer.peerId, interval: { start, length: INTERVAL }, lines: [{ class: 'be', from: x, to: y, volume: '10' }], metrics: [] }
    const s = sign(signer, 'usage-report', body)
    assert.ok(s.ok, s.ok ? '' : s.error.message)
    if (forgeWith === undefined) return encodeDocument(s.value)
    return encodeDocument({ ...s.value, sigs: [{ signer: signer.peerId, sig: forgeWith.sign(signedMessage('usage-report', s.value.body)) }] })
  }
}

/** Border: garbage, schema violations, forged and future reports, oversize. */
async function borderFrames (h: Hostile): Promise<void> {
  const { ids, A, M, expectError, report } = h
  const [, , m, n] = ids as [Identity, Identity, Identity, Identity]
  const proto = PROTOCOLS.border
  const closed = Math.floor(Date.now() / INTERVAL) * INTERVAL - 2 * INTERVAL
  let malformed = await rejectedCount(A.agent, 'border-frame', 'malformed')
  assert.match(await expectError(M, proto, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), 'remote'), /malformed/)
  assert.equal(await rejectedCount(A.agent, 'border-frame', 'malformed'), ++malformed)
  assert.match(await expectError(M, proto, dagCbor.encode({ k: 'report', doc: new Uint8Array(3), tolerance: 5 }), 'remote'), /malformed/)
  assert.equal(await rejectedCount(A.agent, 'border-frame', 'malformed'), ++malformed)
  assert.match(await expectError(M, proto, dagCbor.encode({ k: 'shutdown' }), 'remote'), /malformed/)
  assert.equal(await rejectedCount(A.agent, 'border-frame', 'malformed'), ++malformed)
  // A document that is not a report at all, in a well-formed frame.
  const notDoc = await rejectedCount(A.agent, 'usage-report')
  await expectError(M, proto, encodeFrame(BorderRequest, { k: 'report', doc: new Uint8Array([0xa0]), tolerance: '0.01' }), 'remote')
  assert.equal(await rejectedCount(A.agent, 'usage-report'), notDoc + 1)
  // M's report signed with N's key.
  const badSig = await rejectedCount(A.agent, 'usage-report', 'bad-signature')
  assert.match(await expectError(M, proto, encodeFrame(BorderRequest, { k: 'report', doc: report(m, closed, n), tolerance: '0.01' }), 'remote'), /bad-signature/)
  assert.equal(await rejectedCount(A.agent, 'usage-report', 'bad-signature'), badSig + 1)
  // B's genuine report, but M sends it: not the sending neighbour's.
  const wrong = await rejectedCount(A.agent, 'usage-report', 'wrong-reporter')
  await expectError(M, proto, encodeFrame(BorderRequest, { k: 'report', doc: report(ids[1]!, closed), tolerance: '0.01' }), 'remote')
  assert.equal(await rejectedCount(A.agent, 'usage-report', 'wrong-reporter'), wrong + 1)
  // A report for an interval an hour ahead: counted as a rejection, answered "not ready" with
  // A's clock, so a neighbour whose clock runs ahead can see by how much.
  const future = await rejectedCount(A.agent, 'usage-report', 'future-interval')
  const ahead = (Math.floor(Date.now() / INTERVAL) + 7200) * INTERVAL
  const sent = Date.now()
  const notYet = await ask(M, A.identity.peerId, proto, encodeFrame(BorderRequest, { k: 'report', doc: report(m, ahead), tolerance: '0.01', time: sent }))
  assert.ok(notYet.ok)
  const answer = decodeFrame(BorderResponse, notYet.body)
  assert.equal(answer.k, 'not-ready')
  assert.match(answer.k === 'not-ready' ? answer.reason : '', /future-interval/)
  assert.ok(answer.k === 'not-ready' && answer.time !== undefined && Math.abs(answer.time - sent) < 5000, 'the answer carries the responder\'s clock')
  assert.equal(await rejectedCount(A.agent, 'usage-report', 'future-interval'), future + 1)
  // Over the border frame limit: refused from the length prefix, before the body is read.
  await expectError(M, proto, new Uint8Array(MAX_FRAME_BYTES.border + 1), 'oversize')
  // A well-formed request from M is still answered after all that.
  const again = await ask(M, A.identity.peerId, proto, encodeFrame(BorderRequest, { k: 'get-attestation', start: closed }))
  assert.ok(again.ok, 'A still serves M')
}

/** Settle: garbage, schema violations, a statement signed by the wrong key, oversize. */
async function settleFrames (h: Hostile): Promise<void> {
  const { ids, A, M, expectError } = h
  const [, , m, n] = ids as [Identity, Identity, Identity, Identity]
  const proto = PROTOCOLS.settle
  let malformed = await rejectedCount(A.agent, 'settlement-statement', 'malformed')
  await expectError(M, proto, Uint8Array.from([0xff, 0x00, 0x13]), 'remote')
  assert.equal(await rejectedCount(A.agent, 'settlement-statement', 'malformed'), ++malformed)
  await expectError(M, proto, dagCbor.encode({ k: 'statement', doc: 'not bytes' }), 'remote')
  assert.equal(await rejectedCount(A.agent, 'settlement-statement', 'malformed'), ++malformed)
  const len = INTERVAL * 2
  const start = Math.floor(Date.now() / len) * len - 2 * len
  const border = [A.identity.peerId, m.peerId].sort() as [string, string]
  const body: SettlementStatementBody = { border, period: { start, end: start + len }, currency: 'EUR', decimals: 6, attestations: [], lines: [], net: '0' }
  const s = sign(m, 'settlement-statement', body)
  assert.ok(s.ok, s.ok ? '' : s.error.message)
  const forged = encodeDocument({ type: 'settlement-statement', v: WIRE_VERSION, body: s.value.body, sigs: [{ signer: m.peerId, sig: n.sign(signedMessage('settlement-statement', s.value.body)) }] })
  const badSig = await rejectedCount(A.agent, 'settlement-statement', 'bad-signature')
  assert.match(await expectError(M, proto, encodeFrame(SettleRequest, { k: 'statement', doc: forged }), 'remote'), /bad-signature/)
  assert.equal(await rejectedCount(A.agent, 'settlement-statement', 'bad-signature'), badSig + 1)
  // A genuine statement of M for a period that is not one of ours.
  const odd = sign(m, 'settlement-statement', { ...body, period: { start: start + 1, end: start + 1 + len } })
  assert.ok(odd.ok)
  const mismatch = await rejectedCount(A.agent, 'settlement-statement', 'period-mismatch')
  await expectError(M, proto, encodeFrame(SettleRequest, { k: 'statement', doc: encodeDocument(odd.value) }), 'remote')
  assert.equal(await rejectedCount(A.agent, 'settlement-statement', 'period-mismatch'), mismatch + 1)
  await expectError(M, proto, new Uint8Array(MAX_FRAME_BYTES.settle + 1), 'oversize')
}

/** Tariff sync: garbage and oversize refused and counted; a good request served. */
async function tariffSyncFrames (h: Hostile): Promise<void> {
  const { A, M, expectError } = h
  const proto = PROTOCOLS.tariffSync
  const before = await rejectedCount(A.agent, 'tariff-sync-frame', 'malformed')
  await expectError(M, proto, new TextEncoder().encode('current please'), 'remote')
  await expectError(M, proto, dagCbor.encode({ k: 'by-id', id: 'not-a-cid' }), 'remote')
  assert.equal(await rejectedCount(A.agent, 'tariff-sync-frame', 'malformed'), before + 2)
  await expectError(M, proto, new Uint8Array(2048), 'oversize')
  const ok = await ask(M, A.identity.peerId, proto, encodeFrame(TariffSyncRequest, { k: 'current' }))
  assert.ok(ok.ok)
}

/** A stranger is refused on every protocol. */
async function strangerRefused (h: Hostile): Promise<void> {
  const { A, N, expectError } = h
  await N.dial(A.agent.libp2p.getMultiaddrs()[0]!)
  for (const proto of [PROTOCOLS.border, PROTOCOLS.settle, PROTOCOLS.tariffSync]) {
    assert.match(await expectError(N, proto, encodeFrame(TariffSyncRequest, { k: 'current' }), 'refused'), /not allowed/)
  }
}

/** A kept attesting and settling with its honest neighbour. */
async function keptSettling (h: Hostile): Promise<void> {
  const { ids, A, B } = h
  const border = borderOf(A.identity.peerId, B.identity.peerId)
  const since = Math.max(await A.agent.border.since(B.identity.peerId), await B.agent.border.since(A.identity.peerId))
  await waitFor('a co-signed statement on both sides', async () =>
    (await A.store.listStatements(border)).length >= 1 && (await B.store.listStatements(border)).length >= 1, 30_000)
  assert.ok((await A.store.listAttestations(border, since, Number.MAX_SAFE_INTEGER)).length >= 1)
  assert.deepEqual(A.agent.connected().sort(), [B.identity.peerId, ids[2]!.peerId].sort(), 'both neighbours still connected')
}

describe('agent: malformed protocol frames and oversized messages', function () {
  this.timeout(60_000)
  let h: Hostile
  before(async () => { h = await Hostile.start(await freePorts(3)) })
  after(async () => { await h?.stop() })

  it('border: garbage, schema violations, forged and future reports, oversize: error frames, counted', async () => { await borderFrames(h) })
  it('settle: garbage, schema violations, a statement signed by the wrong key, oversize', async () => { await settleFrames(h) })
  it('tariff-sync: garbage and oversize are refused and counted; a well-formed request is served', async () => { await tariffSyncFrames(h) })
  it('refuses a stranger on every protocol', async () => { await strangerRefused(h) })
  it('kept attesting and settling with the honest neighbour throughout', async () => { await keptSettling(h) })
})
