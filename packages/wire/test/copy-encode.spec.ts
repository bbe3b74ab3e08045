// The one-walk copy and encoding `sign` starts from (src/cbor.ts `copyEncode`) against the two
// steps it replaces (`plainCopy(v, true)` then the general encoder), and the decoder's string cache
// against the general decoder on strings that repeat and collide.
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { copyEncode, fastDecode, fastEncode } from '../src/cbor.js'
import { plainCopy } from '../src/canonical.js'

const value = fc.letrec<{ v: unknown }>(tie => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -0, 23, 24, 255, 256, 65536, 2 ** 32, Number.MAX_SAFE_INTEGER, 1.5, undefined),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('type', 'v', 'body', 'sigs', 'aa', 'b', 'é')), tie('v'), { maxKeys: 8 })
  )
})).v

function general (v: unknown): Uint8Array | undefined {
  try { return dagCbor.encode(v) } catch { return undefined }
}

function deeplyFrozen (v: unknown): boolean {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return true
  return Object.isFrozen(v) && Object.values(v).every(deeplyFrozen)
}

const PREFIX = Uint8Array.of(0x73, 0x2f, 0x00)

describe('wire: copyEncode', () => {
  it('gives plainCopy\'s frozen copy and its dag-cbor bytes, or leaves the value to those two', () => {
    fc.assert(fc.property(value, (v) => {
      const both = copyEncode(v, PREFIX)
      const copy = plainCopy(v, true)
      if (both === undefined) {
        assert.equal(fastEncode(copy), undefined)
        return
      }
      assert.deepStrictEqual(both.value, copy)
      assert.ok(deeplyFrozen(both.value))
      const bytes = general(copy)
      assert.ok(bytes !== undefined)
      assert.deepEqual(Buffer.from(both.bytes), Buffer.concat([PREFIX, bytes]))
    }), { numRuns: 4000, seed: 13 })
  })

  it('drops undefined-valued properties and keeps byte strings as they are', () => {
    const bytes = Uint8Array.of(1, 2, 3)
    const both = copyEncode({ b: undefined, a: [1, { c: bytes, d: undefined }], zz: 'x' }, PREFIX)
    assert.ok(both !== undefined)
    assert.deepStrictEqual(both.value, { a: [1, { c: bytes }], zz: 'x' })
    assert.equal((both.value.a[1] as { c: Uint8Array }).c, bytes)
    assert.deepEqual(Buffer.from(both.bytes), Buffer.concat([PREFIX, dagCbor.encode({ a: [1, { c: bytes }], zz: 'x' })]))
  })

  it('leaves what it does not hold to the general path', () => {
    class Point { constructor (readonly x: number) {} }
    const sub = new (class extends Array<number> {})()
    for (const v of [
      { p: new Point(1) }, { m: new Map() }, [1, undefined], JSON.parse('{"__proto__": 1}'), { é: 1 },
      { n: 0.5 }, { n: 2n }, { f: () => 1 }, sub, [1, , 2] // eslint-disable-line no-sparse-arrays
    ]) assert.equal(copyEncode(v, PREFIX), undefined, JSON.stringify(String(v)))
    let deep: unknown = 1
    for (let i = 0; i < 70; i++) deep = [deep]
    assert.equal(copyEncode(deep, PREFIX), undefined)
  })

  it('reads each property once', () => {
    let reads = 0
    const v = { get a () { reads++; return reads } }
    const both = copyEncode(v, PREFIX)
    assert.equal(reads, 1)
    assert.deepEqual(both?.value, { a: 1 })
    assert.deepEqual(Buffer.from(both?.bytes ?? []), Buffer.concat([PREFIX, dagCbor.encode({ a: 1 })]))
  })
})

describe('wire: the decoder\'s string cache', () => {
  it('gives the strings the general decoder gives, over many repeating and colliding strings', () => {
    const short = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\u00e9', '\u0000'), maxLength: 5 })
    const long = fc.string({ unit: fc.constantFrom('x', 'y'), minLength: 60, maxLength: 70 })
    fc.assert(fc.property(fc.array(fc.oneof(short, long), { maxLength: 30 }), fc.dictionary(short, short, { maxKeys: 6 }), (strings, map) => {
      const bytes = dagCbor.encode([strings, map])
      const fast = fastDecode(bytes)
      assert.ok(fast !== undefined)
      assert.deepStrictEqual(fast.value, dagCbor.decode(bytes))
    }), { numRuns: 3000, seed: 7 })
  })
})
