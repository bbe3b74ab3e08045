import assert from 'node:assert/strict'
import { verifyCounts, verifyDocument } from '../src/index.js'
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
