import assert from 'node:assert/strict'
import { ZERO, dec } from '@splitedge/model'
import { docId, sign, type Consent, type Identity, type Receipt } from '@splitedge/wire'
import { assessClaim, type AssessContext, type Claim } from '../src/index.js'
import { identities, pricing } from './fixtures.js'

const NOW = 1_800_000_000_000
const must = <T>(r: { ok: true, value: T } | { ok: false, error: Error }): T => { if (!r.ok) throw r.error; return r.value }

describe('clearing: receipts and their evidence (pure)', () => {
  let local: Identity, remote: Identity, stranger: Identity
  let receipt: Receipt, consent: Consent
  let ctx: AssessContext
  before(async () => {
    [local, remote, stranger] = await identities(3) as [Identity, Identity, Identity]
    receipt = must(sign(local, 'receipt', { operator: local.peerId, seq: 1, src: 'a::1', dst: 'b::2', class: 'be', volume: '1000000', interval: { start: NOW - 60_000, length: 60_000 } }))
    consent = must(sign(remote, 'consent', { operator: remote.peerId, nonce: '0123456789abcdef', src: 'a::1', dst: 'b::2', class: 'be', maxVolume: '1500000', share: '40', window: { start: NOW - 3_600_000, end: NOW } }))
    ctx = {
      serves: (op) => op !== stranger.peerId,
      tariff: { id: 'bafyreitariff', pricing: pricing('0.000001', { 'status:customer': { send: '2', receive: '1' } }) },
      consentUsed: ZERO,
      margin: { percent: '1', fixed: '0' },
      now: NOW,
      skewMs: 1000
    }
  })
  const claim = (over: Partial<Claim> = {}): Claim => ({ receipt, role: 'sender', remote: remote.peerId, evidence: { kind: 'consent', consent }, ...over })
  const code = (c: Claim, over: Partial<AssessContext> = {}): string => { const r = assessClaim(c, { ...ctx, ...over }); return r.ok ? 'ok' : r.error.code }

  it('a covered receipt clears its share of the local charge plus the margin', () => {
    const r = assessClaim(claim(), ctx)
    assert.ok(r.ok)
    // sender weight 2: 1e6 * 2 * 0.000001 = 2.000000; 40% = 0.800000; margin 1% = 0.008000
    assert.equal(r.value.localCharge, '2.000000')
    assert.equal(r.value.charge, '0.800000')
    assert.equal(r.value.margin, '0.008000')
    assert.equal(r.value.receipt, docId(receipt))
    assert.equal(r.value.consent, docId(consent))
  })

  it('forged: a receipt or consent whose signature does not verify', () => {
    const forged = { ...receipt, body: { ...receipt.body, volume: '999999999' } } as Receipt
    assert.equal(code(claim({ receipt: forged })), 'forged-receipt')
    const selfSigned = must(sign(stranger, 'receipt', { ...receipt.body, operator: stranger.peerId }))
    assert.equal(code(claim({ receipt: { ...selfSigned, body: { ...selfSigned.body, operator: local.peerId } } as Receipt })), 'forged-receipt')
    const badConsent = { ...consent, body: { ...consent.body, share: '100' } } as Consent
    assert.equal(code(claim({ evidence: { kind: 'consent', consent: badConsent } })), 'forged-consent')
  })

  it('uncovered: another flow, class, remote operator, window or more volume than consented', () => {
    const other = (b: Partial<Consent['body']>, by: Identity = remote): Consent => must(sign(by, 'consent', { ...consent.body, ...b, operator: by.peerId }))
    assert.equal(code(claim({ evidence: { kind: 'consent', consent: other({ dst: 'c::3' }) } })), 'uncovered')
    assert.equal(code(claim({ evidence: { kind: 'consent', consent: other({ class: 'ef' }) } })), 'uncovered')
    assert.equal(code(claim({ evidence: { kind: 'consent', consent: other({}, local) } })), 'uncovered')
    assert.equal(code(claim({ evidence: { kind: 'consent', consent: other({ window: { start: NOW - 30_000, end: NOW } }) } })), 'outside-window')
    assert.equal(code(claim(), { consentUsed: dec('600000') }), 'over-volume')
    assert.equal(code(claim(), { consentUsed: dec('500000') }), 'ok')
  })

  it('a dispute makes the sender liable only when the disputing end is the receiver', () => {
    assert.equal(code(claim({ role: 'sender', evidence: { kind: 'dispute', reason: 'spam' } })), 'dispute-not-allowed')
    const r = assessClaim(claim({ role: 'receiver', evidence: { kind: 'dispute', reason: 'spam' } }), ctx)
    assert.ok(r.ok)
    assert.equal(r.value.charge, '1.000000') // receive weight 1, 100%
    assert.equal(r.value.consent, null)
  })

  it('refuses operators it does not serve, the same operator at both ends, no tariff, and unfinished intervals', () => {
    assert.equal(code(claim({ remote: stranger.peerId })), 'not-served')
    assert.equal(code(claim({ remote: local.peerId })), 'same-operator')
    assert.equal(code(claim(), { tariff: undefined }), 'no-tariff')
    assert.equal(code(claim(), { now: NOW - 10_000 }), 'future-interval')
  })
})
