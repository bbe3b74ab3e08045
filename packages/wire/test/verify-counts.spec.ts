import assert from 'node:assert/strict'
import { bodyId, docId, sign, verifyCounts, verifyDocument } from '../src/index.js'
import { attestationBody, parties, statementBody } from './fixtures.js'
import { allDocuments } from './fixtures.js'

describe('wire: verifyCounts', () => {
  it('counts one document per call and one signature per Ed25519 check', async () => {
    const docs = await allDocuments()
    const before = verifyCounts()
    assert.ok(verifyDocument(docs.tariff).ok)
    assert.ok(verifyDocument(docs['usage-attestation']).ok)
    const after = verifyCounts()
    assert.equal(after.documents - before.documents, 2)
    assert.equal(after.signatures - before.signatures, docs.tariff.sigs.length + docs['usage-attestation'].sigs.length)
    assert.equal(docs['usage-attestation'].sigs.length, 2)
  })
})

describe('wire: bodyId', () => {
  it('is the id `sign` gives the same body, without signing; a body `sign` refuses is refused alike', async () => {
    const p = await parties()
    const before = verifyCounts()
    for (const [type, body, who] of [['usage-attestation', attestationBody(p), p.a], ['settlement-statement', statementBody(p), p.b]] as const) {
      const signed = sign(who, type, body)
      assert.ok(signed.ok)
      assert.deepEqual(bodyId(type, body), { ok: true, value: docId(signed.value) })
    }
    const bad = bodyId('usage-attestation', { ...attestationBody(p), lines: 'none' } as never)
    assert.equal(bad.ok, false)
    assert.deepEqual(verifyCounts(), before)
  })
})
