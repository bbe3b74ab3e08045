// Cross-check node:crypto signing and verifying against an independent implementation.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import * as ed from '@noble/ed25519'
import fc from 'fast-check'
import { identityFromSeed, sign, signedMessage, verifyRaw } from '../src/index.js'
import { parties, tariffBody, must } from './fixtures.js'

ed.hashes.sha512 = (m: Uint8Array) => new Uint8Array(createHash('sha512').update(m).digest())

describe('wire: signatures agree with @noble/ed25519', () => {
  it('on random keys and messages, both ways', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 2048 }),
      async (seed, msg) => {
        const id = await identityFromSeed(seed)
        assert.deepEqual(id.publicKey, ed.getPublicKey(seed))
        const ours = id.sign(msg)
        const theirs = ed.sign(msg, seed)
        assert.deepEqual(ours, theirs) // Ed25519 is deterministic
        assert.equal(ed.verify(ours, msg, id.publicKey), true)
        assert.equal(verifyRaw(id.peerId, msg, theirs), true)
      }), { numRuns: 200 })
  })

  it('a document signature is Ed25519 over the domain tag and canonical body', async () => {
    const p = await parties()
    const doc = must(sign(p.a, 'tariff', tariffBody(p)))
    const message = signedMessage('tariff', doc.body)
    const tag = new TextEncoder().encode('splitedge/tariff/v1\0')
    assert.deepEqual(message.subarray(0, tag.length), tag)
    assert.equal(ed.verify(doc.sigs[0]?.sig ?? new Uint8Array(64), message, p.a.publicKey), true)
    // The same body under another type's tag does not verify.
    assert.equal(ed.verify(doc.sigs[0]?.sig ?? new Uint8Array(64), Uint8Array.from([...new TextEncoder().encode('splitedge/quote/v1\0'), ...message.subarray(tag.length)]), p.a.publicKey), false)
  })
})
