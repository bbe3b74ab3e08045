import assert from 'node:assert/strict'
import { decodeDocument, encodeDocument, verifyDocument, DOC_TYPES } from '../src/index.js'
import { allDocuments } from './fixtures.js'

describe('wire: round trip of every document type', () => {
  it('signs, encodes, decodes to the same bytes and verifies', async () => {
    const docs = await allDocuments()
    for (const type of DOC_TYPES) {
      const doc = docs[type]
      const signed = verifyDocument(doc)
      assert.ok(signed.ok, `${type}: ${signed.ok ? '' : signed.error.message}`)
      const bytes = encodeDocument(doc)
      const back = decodeDocument(bytes, type)
      assert.ok(back.ok, `${type}: ${back.ok ? '' : back.error.message}`)
      assert.deepEqual(back.value.body, doc.body)
      assert.deepEqual(encodeDocument(back.value), bytes)
      assert.ok(verifyDocument(back.value).ok, type)
    }
  })
})
