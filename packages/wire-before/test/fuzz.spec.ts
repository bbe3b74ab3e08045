// Property and fuzz tests: tampering is always caught, and the decoder only ever answers with a
// typed result, whatever the bytes.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  DOC_TYPES, WireError, decodeDocument, encodeDocument, verifyDocument, type DocType
} from '../src/index.js'
import { allDocuments } from './fixtures.js'

/** Decode then verify; must return, never throw, and only typed errors. */
function accepts (bytes: Uint8Array, expected?: DocType): boolean {
  const d = decodeDocument(bytes, expected)
  if (!d.ok) {
    assert.ok(d.error instanceof WireError)
    return false
  }
  const v = verifyDocument(d.value)
  if (!v.ok) assert.ok(v.error instanceof WireError)
  return v.ok
}

describe('wire: tampering and fuzzing', function () {
  this.timeout(120_000) // thousands of runs; generous for a loaded CI machine
  let encoded: Array<{ type: DocType, bytes: Uint8Array }>
  before(async () => {
    const docs = await allDocuments()
    encoded = DOC_TYPES.map(type => ({ type, bytes: encodeDocument(docs[type]) }))
  })

  it('any single-byte change to a signed document is rejected (every type)', () => {
    for (const { type, bytes } of encoded) {
      assert.ok(accepts(bytes, type))
      fc.assert(fc.property(
        fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }),
        (at, delta) => {
          const copy = Uint8Array.from(bytes)
          copy[at] = ((copy[at] ?? 0) + delta) & 0xff
          assert.equal(accepts(copy), false, `${type}: byte ${at} changed by ${delta} was accepted`)
        }), { numRuns: 1000 })
    }
  })

  it('exhaustively: every position of a receipt, each with a bit flip', () => {
    const { bytes } = encoded.find(e => e.type === 'receipt') as { bytes: Uint8Array }
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Uint8Array.from(bytes)
        copy[at] = (copy[at] ?? 0) ^ (1 << bit)
        assert.equal(accepts(copy), false, `byte ${at} bit ${bit}`)
      }
    }
  })

  it('random bytes only ever give typed errors', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), bytes => {
      accepts(bytes)
    }), { numRuns: 5000 })
  })

  it('CBOR-shaped random values only ever give typed errors', () => {
    // Random heads: major types with short and long arguments, nested, so maps, arrays, tags and
    // strings with absurd declared lengths are exercised, not just junk.
    const head = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 31 }), fc.uint8Array({ maxLength: 8 }))
      .map(([major, info, arg]) => Uint8Array.from([(major << 5) | info, ...arg]))
    fc.assert(fc.property(fc.array(head, { maxLength: 64 }), heads => {
      accepts(Uint8Array.from(heads.flatMap(h => [...h])))
    }), { numRuns: 5000 })
  })

  it('mutated documents (flips, inserts, deletes, truncations, splices) only ever give typed errors', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), byte: fc.nat() })
    )
    fc.assert(fc.property(fc.nat({ max: DOC_TYPES.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), (which, muts) => {
      const source = encoded[which] as { type: DocType, bytes: Uint8Array }
      let b = [...source.bytes]
      for (const m of muts) {
        const at = b.length === 0 ? 0 : m.at % b.length
        if (m.kind === 'set') b[at] = m.byte
        else if (m.kind === 'insert') b.splice(at, 0, m.byte)
        else if (m.kind === 'delete') b.splice(at, 1)
        else if (m.kind === 'truncate') b = b.slice(0, at)
        else {
          const other = (encoded[m.byte % encoded.length] as { bytes: Uint8Array }).bytes
          const from = m.byte % other.length
          b.splice(at, 0, ...other.subarray(from, from + 16))
        }
      }
      const bytes = Uint8Array.from(b)
      const same = bytes.length === source.bytes.length && bytes.every((x, i) => x === source.bytes[i])
      assert.equal(accepts(bytes), same)
    }), { numRuns: 5000 })
  })

  it('deep nesting is refused as a typed error, not a stack overflow', () => {
    const deep = new Uint8Array(200_000).fill(0x81) // [[[[...]]]]
    const r = decodeDocument(deep)
    assert.equal(r.ok, false)
    if (!r.ok) assert.ok(['malformed', 'non-canonical', 'bad-type'].includes(r.error.code), r.error.code)
    const deeper = new Uint8Array(1_000_000).fill(0x81)
    const s = decodeDocument(deeper)
    assert.equal(s.ok ? '' : s.error.code, 'malformed')
  })
})
