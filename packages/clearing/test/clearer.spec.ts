/**
 * The clearer end to end over real libp2p on loopback: two operator agents publish tariffs, a
 * clearer follows them, quotes, clears receipts and settles with both operators.
 */
import assert from 'node:assert/strict'
import { add, dec, format, mul, roundHalfEven, sum } from '@splitedge/model'
import { decodeDocument, encodeDocument, sign, verifyDocument, type ClearingStatementBody, type Identity, type Receipt } from '@splitedge/wire'
import { toMinorUnits } from '@splitedge/store'
import { type Agent } from '@splitedge/agent'
import { decodeFrame, encodeFrame, net } from '@splitedge/node'
import {
  CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES, ClearerClient, ClearerApiError, ClearingParticipant, type Clearer
} from '../src/index.js'
import { QuoteRequestFrame, QuoteResponseFrame, type EvidenceItem } from '../src/frames.js'
import { clearerConfig, identities, pricing, startClearer, startOperator, waitFor } from './fixtures.js'

// Ports are chosen free when the tests start.
const PORTS = { a: 0, b: 0, clearer: 0, stranger: 0 }
const PERIOD_MS = 2000

describe('clearing: clearer over libp2p', function () {
  this.timeout(60_000)
  let ids: Identity[]
  let a: Agent, b: Agent, clearer: Clearer
  let pa: ClearingParticipant, pb: ClearingParticipant
  const stops: Array<() => Promise<void>> = []

  before(async () => {
    const { createServer } = await import('node:net')
    const servers = Array.from({ length: 4 }, () => createServer())
    await Promise.all(servers.map(async s => await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))))
    ;[PORTS.a, PORTS.b, PORTS.clearer, PORTS.stranger] = servers.map(s => (s.address() as { port: number }).port) as [number, number, number, number]
    await Promise.all(servers.map(async s => await new Promise<void>(resolve => s.close(() => resolve()))))
    ids = await identities(4)
    const [ia, ib, ic] = ids as [Identity, Identity, Identity]
    a = await startOperator('A', ia, PORTS.a, [ic.peerId])
    b = await startOperator('B', ib, PORTS.b, [ic.peerId])
    stops.push(async () => await a.stop(), async () => await b.stop())
    // A charges its customers 1 per unit sent and received; B 0.5 for sending, 2 for receiving.
    await a.tariffs.publishOwn(pricing('0.000001'), 0)
    await b.tariffs.publishOwn(pricing('0.000003', { 'status:customer': { send: '0.5', receive: '2' } }), 0)
    clearer = await startClearer(clearerConfig(PORTS.clearer, [{ name: 'A', peerId: ia.peerId, port: PORTS.a }, { name: 'B', peerId: ib.peerId, port: PORTS.b }], {
      periodMs: PERIOD_MS, graceMs: 100, http: { host: '127.0.0.1', port: 0 }
    }), ic, { http: true })
    stops.push(async () => await clearer.stop())
    pa = await ClearingParticipant.attach(a, { clearers: [ic.peerId], margins: { [ic.peerId]: clearer.config.margin } })
    pb = await ClearingParticipant.attach(b, { clearers: [ic.peerId] })
    await waitFor('the clearer to hold both tariffs', async () =>
      (await clearer.view.latest(ia.peerId)) !== undefined && (await clearer.view.latest(ib.peerId)) !== undefined)
  })
  after(async () => { for (const s of stops.reverse()) await s().catch(() => {}) })

  /** A 1 s interval that starts when the operators' current tariffs are in force. */
  const interval = async (): Promise<{ start: number, length: number }> => {
    const eff = await Promise.all([a, b].map(async o => (await clearer.view.latest(o.peerId))?.body.effective ?? 0))
    await waitFor('a closed interval after the tariffs took effect', async () => Date.now() >= Math.max(...eff) + 1000)
    return { start: Math.max(...eff), length: 1000 }
  }
  const ends = () => [{ operator: a.peerId, role: 'sender' as const }, { operator: b.peerId, role: 'receiver' as const }]

  it('a quote equals the sum of each end\'s charge at its operator\'s tariff plus the margin, and names the versions', async () => {
    const q = await clearer.quote({ ends: ends(), class: 'be', volume: '1000000', apportion: { kind: 'shares', shares: { [a.peerId]: '25', [b.peerId]: '75' } } })
    assert.ok(q.ok, q.ok ? '' : q.error.message)
    const doc = q.value.doc
    assert.ok(verifyDocument(doc).ok)
    assert.equal(doc.body.clearer, clearer.peerId)
    // A (sender): 1e6 * 1 * 0.000001 = 1; B (receiver): 1e6 * 2 * 0.000003 = 6; margin 2% of 7 + 0.00001
    const charged = sum(doc.body.charges.map(c => dec(c.amount)))
    assert.equal(format(roundHalfEven(charged, 6)), '7.000000')
    assert.equal(doc.body.margin, format(roundHalfEven(add(mul(dec('7'), dec('0.02')), dec('0.00001')), 6)))
    assert.equal(q.value.priced.total, '7.140010')
    const [ta, tb] = await Promise.all([clearer.view.latest(a.peerId), clearer.view.latest(b.peerId)])
    assert.deepEqual(doc.body.tariffs, [ta?.id, tb?.id])
    assert.ok(doc.body.expires > doc.body.issued)
    // B pays 75% of each end's charge.
    assert.deepEqual(doc.body.charges.filter(c => c.payer === b.peerId).map(c => c.amount), ['0.750000', '4.500000'])
  })

  it('the quote protocol answers over libp2p, and refuses an operator it does not serve', async () => {
    const ask = async (frame: QuoteRequestFrame) => decodeFrame(QuoteResponseFrame, await net.request(a.libp2p, clearer.peerId, CLEARING_PROTOCOLS.quote,
      encodeFrame(QuoteRequestFrame, frame), { maxResponseBytes: 65536, timeoutMs: 10_000 }))
    await a.libp2p.dial(clearer.libp2p.getMultiaddrs()[0]!)
    const r = await ask({ ends: ends(), class: 'be', volume: '10', apportion: { kind: 'sender-pays' } })
    assert.equal(r.k, 'quote')
    const d = decodeDocument(r.k === 'quote' ? r.doc : new Uint8Array(), 'quote')
    assert.ok(d.ok && verifyDocument(d.value).ok && d.value.body.charges.every(c => c.payer === a.peerId))
    const refused = await ask({ ends: [{ operator: a.peerId, role: 'sender' }, { operator: (ids[3] as Identity).peerId, role: 'receiver' }], class: 'be', volume: '10', apportion: { kind: 'sender-pays' } })
    assert.deepEqual(refused.k === 'refused' && refused.code, 'not-served')
  })

  it('counts a stream it refuses (oversize) in splitedge_rejected_total, as an agent does', async () => {
    await a.libp2p.dial(clearer.libp2p.getMultiaddrs()[0]!)
    const before = (await clearer.ctx.metrics.rejected.get()).values.filter(v => v.labels.reason === 'oversize').reduce((n, v) => n + v.value, 0)
    await assert.rejects(net.request(a.libp2p, clearer.peerId, CLEARING_PROTOCOLS.quote, new Uint8Array(MAX_CLEARING_FRAME_BYTES.quote + 1), { maxResponseBytes: 65536, timeoutMs: 10_000 }))
    const after = (await clearer.ctx.metrics.rejected.get()).values.filter(v => v.labels.reason === 'oversize').reduce((n, v) => n + v.value, 0)
    assert.equal(after, before + 1)
  })

  it('a tariff change reaches the clearer and changes the next quote', async () => {
    const req = { ends: ends(), class: 'be', volume: '1000000', apportion: { kind: 'sender-pays' as const } }
    const before = await clearer.quote(req)
    assert.ok(before.ok)
    const published = await b.tariffs.publishOwn(pricing('0.000005', { 'status:customer': { send: '0.5', receive: '2' } }), 0)
    assert.equal(published.status, 'published')
    await waitFor('the new tariff at the clearer', async () => (await clearer.view.latest(b.peerId))?.id === published.id)
    const after = await clearer.quote(req)
    assert.ok(after.ok)
    assert.ok(after.value.doc.body.tariffs.includes(published.id))
    assert.ok(!after.value.doc.body.tariffs.includes(before.value.doc.body.tariffs[1] as string))
    assert.equal(after.value.priced.total, format(roundHalfEven(add(dec('11'), add(mul(dec('11'), dec('0.02')), dec('0.00001'))), 6)))
    assert.notEqual(after.value.priced.total, before.value.priced.total)
  })

  it('receipts clear exactly once; forged, replayed and uncovered ones are refused with reasons', async () => {
    const now = Date.now()
    const iv = await interval()
    const receipt = await pb.issueReceipt({ src: 'a::1', dst: 'b::2', class: 'be', volume: '200000', interval: iv, customer: 'b::2' })
    const consent = pa.consent({ src: 'a::1', dst: 'b::2', class: 'be', maxVolume: '300000', share: '100', window: { start: now - 60_000, end: now + 60_000 } })
    const claim = { receipt, role: 'receiver' as const, remote: a.peerId, evidence: { kind: 'consent' as const, consent } }
    // Presented twice at once: exactly one clears.
    const [r1, r2] = await Promise.all([clearer.clear(claim), clearer.clear(claim)])
    const outcomes = [r1, r2].map(r => r.ok ? 'cleared' : r.error.code).sort()
    assert.deepEqual(outcomes, ['cleared', 'replayed'])
    const ok = (r1.ok ? r1 : r2)
    assert.ok(ok.ok)
    // B's receiver charge under its new tariff: 200000 * 2 * 0.000005 = 2; margin 2% + 0.00001
    assert.equal(ok.record.charge, '2.000000')
    assert.equal(ok.record.margin, '0.040010')
    const again = await clearer.clear(claim)
    assert.ok(!again.ok && again.error.code === 'replayed')
    // Forged: the volume changed after signing.
    const forged = { ...receipt, body: { ...receipt.body, volume: '100' } } as Receipt
    const f = await clearer.clear({ ...claim, receipt: forged })
    assert.ok(!f.ok && f.error.code === 'forged-receipt')
    // Uncovered: a second receipt would exceed the consent's volume (200000 used of 300000).
    const more = await pb.issueReceipt({ src: 'a::1', dst: 'b::2', class: 'be', volume: '150000', interval: iv, customer: 'b::2' })
    const over = await clearer.clear({ ...claim, receipt: more })
    assert.ok(!over.ok && over.error.code === 'over-volume', over.ok ? '' : over.error.message)
    const otherFlow = await pb.issueReceipt({ src: 'c::9', dst: 'b::2', class: 'be', volume: '1', interval: iv })
    const unc = await clearer.clear({ ...claim, receipt: otherFlow })
    assert.ok(!unc.ok && unc.error.code === 'uncovered')
    // A receiver's dispute (sender liable) clears without consent.
    const disputed = await clearer.clear({ receipt: otherFlow, role: 'receiver', remote: a.peerId, evidence: { kind: 'dispute', reason: 'unsolicited' } })
    assert.ok(disputed.ok)
    // A receipt signed by an operator the clearer does not serve.
    const stranger = ids[3] as Identity
    const alien = sign(stranger, 'receipt', { ...receipt.body, operator: stranger.peerId })
    assert.ok(alien.ok)
    const s = await clearer.clear({ ...claim, receipt: alien.value })
    assert.ok(!s.ok && s.error.code === 'not-served')
    assert.equal((await clearer.cleared()).length, 2)
  })

  it('HTTP: quote, present, refuse a replay with 409, directory', async () => {
    const api = new ClearerClient(clearer.url as string)
    const q = await api.quote({ ends: ends(), class: 'be', volume: '1000', apportion: { kind: 'receiver-pays' } })
    assert.ok(q.quote.charges.every(c => c.payer === b.peerId))
    const now = Date.now()
    const receipt = await pa.issueReceipt({ src: 'a::1', dst: 'b::2', class: 'be', volume: '500000', interval: await interval() })
    const consent = pb.consent({ src: 'a::1', dst: 'b::2', class: 'be', maxVolume: '500000', share: '50', window: { start: now - 60_000, end: now + 60_000 } })
    const r = await api.present({ receipt, role: 'sender', remote: b.peerId, consent })
    // A's sender charge 500000 * 1 * 0.000001 = 0.5; B pays half.
    assert.equal(r.charge, '0.250000')
    await assert.rejects(api.present({ receipt, role: 'sender', remote: b.peerId, consent }), (e: unknown) => e instanceof ClearerApiError && e.status === 409 && e.code === 'replayed')
    const dir = await api.directory([a.peerId, b.peerId]) as Array<{ clearer: string }>
    assert.deepEqual(dir.map(d => d.clearer), [clearer.peerId])
  })

  it('settles each period with both operators: co-signed statements match the ledger, which balances to zero; evidence for the customer', async () => {
    const cleared = await clearer.cleared()
    assert.equal(cleared.length, 3)
    await waitFor('every period with clearings to close', async () => cleared.every(r => r.periodStart + PERIOD_MS + 100 <= Date.now()))
    await waitFor('settlement with both operators', async () => {
      await clearer.settleDue()
      const st = await clearer.statements()
      const want = new Set(cleared.flatMap(r => [`${r.local}|${r.periodStart}`, `${r.remote}|${r.periodStart}`]))
      return st.length === want.size
    })
    const audit = await clearer.audit()
    assert.deepEqual(audit, { ok: true, problems: [] })
    // Zero-sum ledger: every account's net adds to zero, and each operator account is square after settlement.
    const balances = await clearer.ctx.store.balances()
    assert.equal(balances.reduce((s, x) => s + x.net, 0n), 0n)
    for (const op of [a.peerId, b.peerId]) assert.equal(balances.find(x => x.account === `operator:${op}`)?.net ?? 0n, 0n)
    const margin = balances.find(x => x.account === 'margin')
    assert.equal(margin?.net, -(cleared.reduce((s, r) => s + toMinorUnits(r.margin, 6), 0n)))
    // Each statement is co-signed by the clearer and its operator, and the operator holds the same one.
    for (const s of await clearer.statements()) {
      assert.ok(verifyDocument(s.doc).ok)
      const p = s.operator === a.peerId ? pa : pb
      assert.ok((await p.statements()).some(x => x.id === s.id))
    }
    // Evidence: the receiver (B's customer) of the first receipt can show B co-signed its settlement.
    const first = cleared.find(r => r.local === b.peerId && r.evidence === 'consent') as (typeof cleared)[number]
    const ev = await clearer.evidence(first.receipt)
    assert.equal(ev.status, 'settled')
    if (ev.status === 'settled') {
      assert.ok(ev.statement.sigs.some(s => s.signer === b.peerId))
      assert.equal(ev.line.charge, first.charge)
    }
    // Operators' own ledgers balance too.
    for (const op of [a, b]) assert.ok((await op.ctx.store.checkLedger()).ok)
    // Settling again changes nothing.
    const n = (await clearer.ctx.store.entries()).length
    await clearer.settleDue()
    assert.equal((await clearer.ctx.store.entries()).length, n)
  })

  it('an operator refuses a statement with a receipt it settled before, or a charge its tariff does not give', async () => {
    const { SettleOfferFrame, SettleAnswerFrame } = await import('../src/frames.js')
    const offer = async (body: ClearingStatementBody, evidence: EvidenceItem[]) => {
      const signed = sign(clearer.ctx.identity, 'clearing-statement', body)
      assert.ok(signed.ok)
      return decodeFrame(SettleAnswerFrame, await net.request(clearer.libp2p, a.peerId, CLEARING_PROTOCOLS.settle,
        encodeFrame(SettleOfferFrame, { statement: encodeDocument(signed.value), evidence }), { maxResponseBytes: 1 << 20, timeoutMs: 10_000 }))
    }
    const far = (p: { start: number, end: number }) => ({ start: p.start + 100 * PERIOD_MS, end: p.end + 100 * PERIOD_MS })
    // Nobody pays twice: a settled receipt offered again in another period.
    const settled = (await clearer.statements()).find(s => s.operator === a.peerId) as { doc: { body: ClearingStatementBody } }
    const old = await clearer.linesFor(a.peerId, settled.doc.body.period.start)
    const twice = await offer({ ...settled.doc.body, period: far(settled.doc.body.period) }, old.evidence)
    assert.deepEqual(twice.k === 'refused' && twice.code, 'already-settled')
    // A fresh receipt of A's, its charge inflated by the clearer.
    const receipt = await pa.issueReceipt({ src: 'a::1', dst: 'b::2', class: 'be', volume: '1000', interval: await interval() })
    const c = await clearer.clear({ receipt, role: 'sender', remote: b.peerId, evidence: { kind: 'dispute', reason: 'x' } })
    assert.ok(!c.ok && c.error.code === 'dispute-not-allowed')
    const consent = pb.consent({ src: 'a::1', dst: 'b::2', class: 'be', maxVolume: '1000', share: '100', window: { start: 0, end: Date.now() + 60_000 } })
    const ok = await clearer.clear({ receipt, role: 'sender', remote: b.peerId, evidence: { kind: 'consent', consent } })
    assert.ok(ok.ok)
    const fresh = await clearer.linesFor(a.peerId, ok.record.periodStart)
    const lines = fresh.lines.map(l => l.side === 'paid' && l.receipt === ok.record.receipt ? { ...l, charge: '9.000000' } : l)
    const wrong = await offer({ ...settled.doc.body, period: far({ start: ok.record.periodStart, end: ok.record.periodStart + PERIOD_MS }), lines, net: '-9.000000' }, fresh.evidence)
    assert.deepEqual(wrong.k === 'refused' && wrong.code, 'wrong-charge', JSON.stringify(wrong))
  })
})
