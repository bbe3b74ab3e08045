import assert from 'node:assert/strict'
import type { PricingTariff } from '@splitedge/model'
import {
  DOC_TYPES, cosign, decodeDocument, domainTag, encodeBody, signedMessage, docId, encodeDocument, mergeSignatures, requiredSigners, sign, tariffToPricing,
  verifyDocument, type WirePricingTariff
} from '../src/index.js'
import { allDocuments, attestationBody, must, parties, receiptBody, tariffBody } from './fixtures.js'

// Compile-time: the wire's pricing schema and the model's PricingTariff are the same shape both ways.
const toModel = (w: WirePricingTariff): PricingTariff => w
const toWire = (m: PricingTariff): WirePricingTariff => m
void toModel
void toWire

describe('wire: round trip', () => {
  it('every type: sign, encode, decode to identical bytes, verify', async () => {
    const docs = await allDocuments()
    for (const type of DOC_TYPES) {
      const doc = docs[type]
      const signed = verifyDocument(doc)
      assert.ok(signed.ok, `${type}: ${signed.ok ? '' : signed.error.message}`)
      const bytes = encodeDocument(doc)
      const back = decodeDocument(bytes, type)
      assert.ok(back.ok, `${type}: ${back.ok ? '' : back.error.message}`)
      assert.equal(back.value.type, type)
      assert.deepEqual(back.value.body, doc.body)
      assert.deepEqual(encodeDocument(back.value), bytes)
      assert.equal(docId(back.value), docId(doc))
      assert.ok(verifyDocument(back.value).ok, type)
      // The message bytes cached on decode are exactly the tag and the canonical body.
      assert.deepEqual(signedMessage(type, back.value.body), Uint8Array.from([...domainTag(type), ...encodeBody(back.value.body)]))
      // And without naming the expected type.
      assert.ok(decodeDocument(bytes).ok, type)
    }
  })

  it('a signed tariff converts losslessly to the model PricingTariff', async () => {
    const p = await parties()
    const body = tariffBody(p)
    const doc = must(sign(p.a, 'tariff', body))
    const back = must(decodeDocument(encodeDocument(doc), 'tariff'))
    const pricing = tariffToPricing(back)
    assert.deepEqual(pricing, body.pricing)
    pricing.currency = 'USD' // a copy: the signed document does not change
    assert.equal(back.body.pricing.currency, 'EUR')
  })

  it('sign copies the body: later changes to the caller object do not reach the document', async () => {
    const p = await parties()
    const body = tariffBody(p)
    const doc = must(sign(p.a, 'tariff', body))
    body.pricing.currency = 'USD'
    assert.equal(doc.body.pricing.currency, 'EUR')
    assert.ok(verifyDocument(doc).ok)
    assert.ok(Object.isFrozen(doc.body.pricing))
  })

  it('drops undefined optionals when signing (DAG-CBOR has no undefined)', async () => {
    const p = await parties()
    const body = { ...tariffBody(p), pricing: { ...tariffBody(p).pricing, periodFee: undefined } }
    const doc = must(sign(p.a, 'tariff', body))
    assert.equal('periodFee' in doc.body.pricing, false)
  })

  it('co-signing keeps the id; a half-signed document verifies only against a subset', async () => {
    const p = await parties()
    const half = must(sign(p.lo, 'usage-attestation', attestationBody(p)))
    assert.deepEqual(requiredSigners(half), p.border)
    const missing = verifyDocument(half)
    assert.equal(missing.ok ? '' : missing.error.code, 'missing-signature')
    assert.ok(verifyDocument(half, [p.lo.peerId]).ok)
    const full = must(cosign(p.hi, half))
    assert.equal(docId(full), docId(half))
    assert.ok(verifyDocument(full).ok)
    assert.deepEqual(full.sigs.map(s => s.signer), p.border)
    // Each side signs its own copy; joining the halves gives the same document.
    const other = must(sign(p.hi, 'usage-attestation', attestationBody(p)))
    const merged = must(mergeSignatures(other, half))
    assert.deepEqual(encodeDocument(merged), encodeDocument(full))
  })

  it('refuses to sign for someone who is not a signer, to sign twice, or an invalid body', async () => {
    const p = await parties()
    const notMine = sign(p.b, 'tariff', tariffBody(p))
    assert.equal(notMine.ok ? '' : notMine.error.code, 'unexpected-signer')
    const full = must(cosign(p.hi, must(sign(p.lo, 'usage-attestation', attestationBody(p)))))
    const twice = cosign(p.lo, full)
    assert.equal(twice.ok ? '' : twice.error.code, 'duplicate-signer')
    const outsider = cosign(p.clearer, full)
    assert.equal(outsider.ok ? '' : outsider.error.code, 'unexpected-signer')
    const bad = sign(p.a, 'tariff', { ...tariffBody(p), seq: -1 })
    assert.equal(bad.ok ? '' : bad.error.code, 'schema')
    assert.equal(bad.ok ? '' : bad.error.path, '/body/seq')
  })

  it('merging copies of different documents is refused', async () => {
    const p = await parties()
    const x = must(sign(p.lo, 'usage-attestation', attestationBody(p)))
    const y = must(sign(p.hi, 'usage-attestation', { ...attestationBody(p), rule: { kind: 'lower-within-relative', tolerance: '0.02' } }))
    assert.equal(mergeSignatures(x, y).ok, false)
  })

  it('ids are CIDv1 dag-cbor sha2-256 strings, distinct per body', async () => {
    const docs = await allDocuments()
    const ids = DOC_TYPES.map(t => docId(docs[t]))
    for (const id of ids) assert.match(id, /^bafyrei[a-z2-7]{52}$/)
    assert.equal(new Set(ids).size, ids.length)
  })

  it('documents built by hand (not frozen) verify from fresh bytes, so a later change is caught', async () => {
    const p = await parties()
    const signed = must(sign(p.a, 'receipt', receiptBody(p)))
    const byHand = { type: signed.type, v: signed.v, body: { ...signed.body }, sigs: signed.sigs.map(s => ({ ...s })) }
    assert.ok(verifyDocument(byHand).ok)
    byHand.body.volume = '1'
    const after = verifyDocument(byHand)
    assert.equal(after.ok ? '' : after.error.code, 'bad-signature')
    assert.notEqual(docId(byHand), docId(signed))
  })
})
