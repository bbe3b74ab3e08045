import assert from 'node:assert/strict'
import { borderOf, peersOf, StoreError } from '../src/index.js'

describe('border keys', () => {
  it('are the two PeerIds sorted and joined, whichever side asks', () => {
    assert.equal(borderOf('QmB', 'QmA'), 'QmA|QmB')
    assert.equal(borderOf('QmA', 'QmB'), 'QmA|QmB')
    assert.deepEqual(peersOf('QmA|QmB'), ['QmA', 'QmB'])
  })

  it('reject a peer bordering itself and malformed keys', () => {
    assert.throws(() => borderOf('QmA', 'QmA'), StoreError)
    assert.throws(() => borderOf('Qm|A', 'QmB'), StoreError)
    assert.throws(() => peersOf('QmB|QmA'), StoreError)
    assert.throws(() => peersOf('QmA'), StoreError)
  })
})
