// The fast DAG-CBOR paths (src/cbor.ts) against the general ones: the encoder must give
// dagCbor.encode's bytes whenever it gives any, and the strict decoder must accept only bytes
// that are the canonical encoding of the value it returns.
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { decodeFirst } from 'cborg'
import fc from 'fast-check'
import { fastDecode, fastEncode } from '../src/cbor.js'

const LENIENT = { ...dagCbor.decodeOptions, strict: false, allowIndefinite: true, rejectDuplicateMapKeys: false }

const value = fc.letrec<{ v: unknown }>(tie => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.maxSafeInteger(),
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('type', 'v', 'body', 'sigs', 'aa', 'b')), tie('v'), { maxKeys: 6 })
  )
})).v

function general (v: unknown): Uint8Array | undefined {
  try { return dagCbor.encode(v) } catch { return undefined }
}

describe('wire: fast DAG-CBOR paths', () => {
  it('encode exactly as @ipld/dag-cbor whenever they encode', () => {
    fc.assert(fc.property(value, (v) => {
      const fast = fastEncode(v)
      const slow = general(v)
      // Compared as bytes: cborg hands back a Buffer or a Uint8Array depending on the size.
      if (fast !== undefined) assert.deepEqual(Buffer.from(fast), Buffer.from(slow ?? []))
      const prefixed = fastEncode(v, Uint8Array.of(1, 2, 3))
      if (prefixed !== undefined && slow !== undefined) assert.deepEqual(Buffer.from(prefixed), Buffer.from([1, 2, 3, ...slow]))
    }), { numRuns: 3000, seed: 13 })
  })

  it('decode what dag-cbor encodes, to the same value (or leave it to the general path)', () => {
    fc.assert(fc.property(value, (v) => {
      const bytes = general(v)
      if (bytes === undefined) return
      const fast = fastDecode(bytes)
      if (fast !== undefined) assert.deepEqual(fast.value, dagCbor.decode(bytes))
    }), { numRuns: 3000, seed: 13 })
  })

  it('accept changed bytes only when they are the canonical encoding of what they decode to', () => {
    fc.assert(fc.property(value, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat({ max: 3 }), (v, flips, cut) => {
      const good = general(v)
      if (good === undefined || good.length === 0) return
      const bytes = good.slice(0, Math.max(1, good.length - (cut === 3 ? 1 : 0)))
      for (const [at, x] of flips) bytes[at % bytes.length] = x
      const fast = fastDecode(bytes)
      if (fast === undefined) return
      const [again, rest] = decodeFirst(bytes, LENIENT)
      assert.equal(rest.length, 0)
      assert.deepEqual(Buffer.from(dagCbor.encode(again)), Buffer.from(bytes))
      assert.deepEqual(fast.value, again)
    }), { numRuns: 5000, seed: 13 })
  })

  it('give the byte range of a top-level body', () => {
    const env = { type: 'receipt', v: 1, body: { a: [1, 'x'], bb: null }, sigs: [] }
    const bytes = dagCbor.encode(env)
    assert.deepEqual(fastDecode(bytes)?.body, dagCbor.encode(env.body))
  })

  it('leave non-canonical forms, floats, tags and huge counts to the general path', () => {
    for (const hex of ['1817', '1900ff', 'a2616201616101', 'a2616101616101', 'f93c00', 'd82a4100', '9bffffffffffffffff', '9f01ff', 'f7', '3b001fffffffffffff', '0001', '62c328']) {
      assert.equal(fastDecode(Buffer.from(hex, 'hex')), undefined, hex)
    }
  })
})
