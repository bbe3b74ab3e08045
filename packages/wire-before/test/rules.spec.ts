import assert from 'node:assert/strict'
import {
  DEFAULT_SKEW_MS, checkAttestationParties, checkQuoteValid, checkReportTime, checkTariffSuccession, checkTopicIssuer,
  cosign, docId, sign, type Verdict
} from '../src/index.js'
import { T0, attestationBody, must, parties, quoteBody, tariffBody, type Parties } from './fixtures.js'

const reason = (v: Verdict): string => (v.ok ? 'ok' : v.reason)

describe('wire: acceptance rules', () => {
  let p: Parties
  before(async () => { p = await parties() })

  describe('checkTariffSuccession', () => {
    it('accepts a first version and a proper successor', () => {
      const first = must(sign(p.a, 'tariff', tariffBody(p)))
      assert.equal(reason(checkTariffSuccession(undefined, first, T0)), 'ok')
      const next = must(sign(p.a, 'tariff', tariffBody(p, 1, docId(first))))
      const last = { seq: 0, id: docId(first), noticeMs: first.body.noticeMs }
      assert.equal(reason(checkTariffSuccession(last, next, T0)), 'ok')
    })

    it('refuses a sequence not above the last accepted, and says duplicate for the same version', () => {
      const first = must(sign(p.a, 'tariff', tariffBody(p, 5, 'bafyreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe')))
      const id = docId(first)
      assert.equal(reason(checkTariffSuccession({ seq: 5, id }, first, T0)), 'duplicate')
      const older = must(sign(p.a, 'tariff', tariffBody(p, 4, id)))
      assert.equal(reason(checkTariffSuccession({ seq: 5, id }, older, T0)), 'stale-sequence')
      const same = must(sign(p.a, 'tariff', { ...tariffBody(p, 5, id), noticeMs: 1 }))
      assert.equal(reason(checkTariffSuccession({ seq: 5, id }, same, T0)), 'stale-sequence')
    })

    it('refuses a previous that is not the last accepted version', () => {
      const first = must(sign(p.a, 'tariff', tariffBody(p)))
      const next = must(sign(p.a, 'tariff', tariffBody(p, 1, 'bafyreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe')))
      assert.equal(reason(checkTariffSuccession({ seq: 0, id: docId(first) }, next, T0)), 'previous-mismatch')
    })

    it('refuses an effective time inside the notice period, including the last version\'s longer notice', () => {
      const early = must(sign(p.a, 'tariff', { ...tariffBody(p), effective: T0 + 1000, noticeMs: 2000 }))
      assert.equal(reason(checkTariffSuccession(undefined, early, T0)), 'inside-notice')
      const first = must(sign(p.a, 'tariff', tariffBody(p)))
      const shortened = must(sign(p.a, 'tariff', { ...tariffBody(p, 1, docId(first)), effective: T0 + 1000, noticeMs: 0 }))
      assert.equal(reason(checkTariffSuccession(undefined, shortened, T0)), 'ok')
      const last = { seq: 0, id: docId(first), noticeMs: first.body.noticeMs }
      assert.equal(reason(checkTariffSuccession(last, shortened, T0)), 'inside-notice')
    })

    it('refuses a publication time in the future beyond the skew allowance', () => {
      const t = must(sign(p.a, 'tariff', tariffBody(p)))
      assert.equal(reason(checkTariffSuccession(undefined, t, T0 - DEFAULT_SKEW_MS)), 'ok')
      assert.equal(reason(checkTariffSuccession(undefined, t, T0 - DEFAULT_SKEW_MS - 1)), 'future-published')
      assert.equal(reason(checkTariffSuccession(undefined, t, T0 - 10, 5)), 'future-published')
    })
  })

  it('checkTopicIssuer refuses a tariff of another issuer', () => {
    const t = must(sign(p.a, 'tariff', tariffBody(p)))
    assert.equal(reason(checkTopicIssuer(t, p.a.peerId)), 'ok')
    assert.equal(reason(checkTopicIssuer(t, p.b.peerId)), 'wrong-issuer')
  })

  it('checkReportTime refuses an interval that ends after now plus the skew', () => {
    const interval = { start: T0, length: 300_000 }
    const end = T0 + 300_000
    assert.equal(reason(checkReportTime(interval, end, 0)), 'ok')
    assert.equal(reason(checkReportTime(interval, end - 1, 0)), 'future-interval')
    assert.equal(reason(checkReportTime(interval, end - 1000, 1000)), 'ok')
    assert.equal(reason(checkReportTime(interval, end - 1001, 1000)), 'future-interval')
  })

  it('checkAttestationParties wants exactly the border\'s two agents, named and signing', async () => {
    const full = must(cosign(p.hi, must(sign(p.lo, 'usage-attestation', attestationBody(p)))))
    assert.equal(reason(checkAttestationParties(full, [p.a.peerId, p.b.peerId])), 'ok')
    assert.equal(reason(checkAttestationParties(full, [p.b.peerId, p.a.peerId])), 'ok')
    assert.equal(reason(checkAttestationParties(full, [p.a.peerId, p.clearer.peerId])), 'wrong-parties')
    const half = must(sign(p.lo, 'usage-attestation', attestationBody(p)))
    assert.equal(reason(checkAttestationParties(half, p.border)), 'wrong-parties')
    const forged = { ...full, sigs: [full.sigs[0], { signer: p.clearer.peerId, sig: new Uint8Array(64) }] } as typeof full
    assert.equal(reason(checkAttestationParties(forged, p.border)), 'wrong-parties')
  })

  it('checkQuoteValid refuses an expired or future quote', () => {
    const q = must(sign(p.clearer, 'quote', quoteBody(p)))
    assert.equal(reason(checkQuoteValid(q, T0)), 'ok')
    assert.equal(reason(checkQuoteValid(q, q.body.expires)), 'expired')
    assert.equal(reason(checkQuoteValid(q, T0 - DEFAULT_SKEW_MS - 1)), 'future-published')
  })
})
