// Every refusal of decodeDocument / verifyDocument, each fed by a crafted input.
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { encode as cborEncode } from 'cborg'
import {
  MAX_ANY_DOCUMENT_BYTES, MAX_DOCUMENT_BYTES, decodeDocument, encodeDocument, verifyDocument, type AnyDocument,
  type WireErrorCode
} from '../src/index.js'
import { allDocuments, parties, type Parties } from './fixtures.js'

function expectCode (bytes: Uint8Array, code: WireErrorCode, path?: string, expected?: Parameters<typeof decodeDocument>[1]): void {
  const r = decodeDocument(bytes, expected)
  assert.equal(r.ok, false, `expected ${code}, decoded fine`)
  if (r.ok) return
  assert.equal(r.error.code, code, r.error.message)
  if (path !== undefined) assert.equal(r.error.path, path, r.error.message)
  assert.ok(r.error.message.length > 0)
}

/** Plain (mutable) envelope of a document, to tamper with and re-encode canonically. */
const plain = (doc: AnyDocument): any => dagCbor.decode(encodeDocument(doc))

describe('wire: decoding refuses bad input with typed errors', () => {
  let p: Parties
  let docs: Awaited<ReturnType<typeof allDocuments>>
  before(async () => {
    p = await parties()
    docs = await allDocuments(p)
  })

  it('oversize: beyond the largest limit, before decoding', () => {
    expectCode(new Uint8Array(MAX_ANY_DOCUMENT_BYTES + 1), 'oversize')
  })

  it('oversize: beyond the expected type\'s limit, before decoding', () => {
    const tariff = plain(docs.tariff)
    tariff.body.pricing.note = 'x'.repeat(MAX_DOCUMENT_BYTES.receipt)
    expectCode(dagCbor.encode(tariff), 'oversize', '', 'receipt')
  })

  it('oversize: beyond its own type\'s limit once the type is known', () => {
    const tariff = plain(docs.tariff)
    tariff.body.pricing.note = 'x'.repeat(MAX_DOCUMENT_BYTES.tariff)
    const bytes = dagCbor.encode(tariff)
    assert.ok(bytes.length <= MAX_ANY_DOCUMENT_BYTES)
    expectCode(bytes, 'oversize')
  })

  it('malformed: empty, truncated, reserved byte, bad tag, non-string key', () => {
    const good = encodeDocument(docs.tariff)
    expectCode(new Uint8Array(0), 'malformed')
    expectCode(good.subarray(0, good.length - 1), 'malformed')
    expectCode(Uint8Array.from([0x1c]), 'malformed') // reserved additional info
    expectCode(Uint8Array.from([0xc1, 0x01]), 'malformed') // tag 1 is not allowed in DAG-CBOR
    expectCode(Uint8Array.from([0xa1, 0x01, 0x01]), 'malformed') // map with an integer key
  })

  it('trailing-bytes: one document followed by anything', () => {
    const good = encodeDocument(docs.receipt)
    expectCode(Uint8Array.from([...good, 0x00]), 'trailing-bytes')
    expectCode(Uint8Array.from([...good, ...good]), 'trailing-bytes')
  })

  it('non-canonical: long-form integer, float for an integer, unsorted keys', () => {
    const good = encodeDocument(docs.receipt)
    // Envelope keys in DAG-CBOR order are v, body, sigs, type: bytes a4 61 76 01 ...
    assert.deepEqual([...good.subarray(0, 4)], [0xa4, 0x61, 0x76, 0x01])
    expectCode(Uint8Array.from([0xa4, 0x61, 0x76, 0x18, 0x01, ...good.subarray(4)]), 'non-canonical')
    expectCode(Uint8Array.from([0xa4, 0x61, 0x76, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, ...good.subarray(4)]), 'non-canonical')
    const reversed = cborEncode(plain(docs.receipt), {
      mapSorter: (a: any, b: any) => (a[0].value < b[0].value ? 1 : a[0].value > b[0].value ? -1 : 0)
    })
    expectCode(reversed, 'non-canonical')
    expectCode(Uint8Array.from([0xbf, 0x61, 0x76, 0x01, 0xff]), 'non-canonical') // indefinite map
    expectCode(Uint8Array.from([0xa2, 0x61, 0x76, 0x01, 0x61, 0x76, 0x01]), 'non-canonical') // repeated key
    expectCode(Uint8Array.from([0xf7]), 'non-canonical') // undefined: read as null, which encodes otherwise
  })

  it('non-canonical: signatures not sorted by signer', () => {
    const att = plain(docs['usage-attestation'])
    att.sigs.reverse()
    expectCode(dagCbor.encode(att), 'non-canonical', '/sigs/1')
  })

  it('bad-type: not a map, type not a string, a string where an integer is due, a float', () => {
    expectCode(dagCbor.encode([1, 2, 3]), 'bad-type')
    const a = plain(docs.receipt); a.type = 7
    expectCode(dagCbor.encode(a), 'bad-type', '/type')
    const b = plain(docs.receipt); b.body.seq = '7'
    expectCode(dagCbor.encode(b), 'bad-type', '/body/seq')
    const c = plain(docs.receipt); c.body.interval.length = 1.5
    expectCode(dagCbor.encode(c), 'bad-type', '/body/interval/length')
    const d = plain(docs.receipt); d.sigs[0].sig = 'not bytes'
    expectCode(dagCbor.encode(d), 'bad-type', '/sigs/0/sig')
  })

  it('unknown-field: in the envelope, the body and deep inside the tariff', () => {
    const a = plain(docs.receipt); a.extra = 1
    expectCode(dagCbor.encode(a), 'unknown-field', '/extra')
    const b = plain(docs.receipt); b.body.extra = 1
    expectCode(dagCbor.encode(b), 'unknown-field', '/body/extra')
    const c = plain(docs.tariff); c.body.pricing.classes.be.discount = '0.1'
    expectCode(dagCbor.encode(c), 'unknown-field', '/body/pricing/classes/be/discount')
    const d = plain(docs.tariff); d.body.pricing.weights['not-a-peer'] = { send: '1', receive: '1' }
    expectCode(dagCbor.encode(d), 'unknown-field', '/body/pricing/weights/not-a-peer')
  })

  it('schema: bad decimals, negative price, missing field, bad PeerId, short signature', () => {
    const a = plain(docs.tariff); a.body.pricing.classes.be.price = '1e-9'
    expectCode(dagCbor.encode(a), 'schema', '/body/pricing/classes/be/price')
    const b = plain(docs.tariff); b.body.pricing.classes.be.price = '-1'
    expectCode(dagCbor.encode(b), 'schema', '/body/pricing/classes/be/price')
    const c = plain(docs.receipt); delete c.body.volume
    expectCode(dagCbor.encode(c), 'schema', '/body/volume')
    const d = plain(docs.receipt); d.body.operator = 'QmNotEd25519'
    expectCode(dagCbor.encode(d), 'schema', '/body/operator')
    const e = plain(docs.receipt); e.sigs[0].sig = e.sigs[0].sig.subarray(0, 63)
    expectCode(dagCbor.encode(e), 'schema', '/sigs/0/sig')
    const f = plain(docs.receipt); f.sigs = []
    expectCode(dagCbor.encode(f), 'schema', '/sigs')
  })

  it('schema: invariants a schema cannot state', () => {
    const a = plain(docs['usage-report']); a.body.border.reverse()
    expectCode(dagCbor.encode(a), 'schema', '/body/border')
    const b = plain(docs['usage-report']); b.body.reporter = p.clearer.peerId
    expectCode(dagCbor.encode(b), 'schema', '/body/reporter')
    const c = plain(docs['usage-attestation']); c.body.lines[0].to = c.body.lines[0].from
    expectCode(dagCbor.encode(c), 'schema', '/body/lines/0')
    const d = plain(docs.tariff); d.body.pricing.classes.ef.sla[0].bands[0].atLeast = '1'
    expectCode(dagCbor.encode(d), 'schema', '/body/pricing/classes/ef/sla/0/bands/0')
    const e = plain(docs.quote); e.body.expires = e.body.issued
    expectCode(dagCbor.encode(e), 'schema', '/body/expires')
    const f = plain(docs['settlement-statement']); delete f.body.lines[0].factors[p.border[0]]
    f.body.lines[0].factors[p.clearer.peerId] = '1'
    expectCode(dagCbor.encode(f), 'schema', '/body/lines/0')
  })

  it('unknown-type, wrong-type, bad-version', () => {
    const a = plain(docs.receipt); a.type = 'invoice'
    expectCode(dagCbor.encode(a), 'unknown-type', '/type')
    expectCode(encodeDocument(docs.receipt), 'wrong-type', '/type', 'tariff')
    const b = plain(docs.receipt); b.v = 2
    expectCode(dagCbor.encode(b), 'bad-version', '/v')
  })

  it('duplicate-signer: the same signer twice', () => {
    const att = plain(docs['usage-attestation'])
    att.sigs[1] = att.sigs[0]
    expectCode(dagCbor.encode(att), 'duplicate-signer', '/sigs/1')
  })
})

describe('wire: verification refuses bad signatures with typed errors', () => {
  let p: Parties
  let docs: Awaited<ReturnType<typeof allDocuments>>
  before(async () => {
    p = await parties()
    docs = await allDocuments(p)
  })

  const verifyCode = (env: any): WireErrorCode | 'ok' => {
    const d = decodeDocument(dagCbor.encode(env))
    if (!d.ok) return d.error.code
    const v = verifyDocument(d.value)
    return v.ok ? 'ok' : v.error.code
  }

  it('bad-signature: a flipped signature bit, a changed body', () => {
    const a = plain(docs.tariff); a.sigs[0].sig[5] ^= 1
    assert.equal(verifyCode(a), 'bad-signature')
    const b = plain(docs.tariff); b.body.pricing.classes.be.price = '0.000000002'
    assert.equal(verifyCode(b), 'bad-signature')
  })

  it('bad-signature: one good and one bad co-signature', () => {
    const a = plain(docs['usage-attestation']); a.sigs[1].sig[0] ^= 0x80
    assert.equal(verifyCode(a), 'bad-signature')
  })

  it('bad-signature: a signature made under another document type\'s tag', () => {
    const a = plain(docs.receipt)
    const consentShaped = plain(docs.receipt)
    consentShaped.type = 'consent'
    assert.equal(verifyCode(a), 'ok')
    // Same bytes, other type: its body no longer fits, so it is refused before any signature check.
    assert.notEqual(verifyCode(consentShaped), 'ok')
  })

  it('missing-signature: a co-signed type with one signature', () => {
    const a = plain(docs['usage-attestation']); a.sigs = [a.sigs[0]]
    assert.equal(verifyCode(a), 'missing-signature')
  })

  it('unexpected-signer: a signature by someone the document does not name', () => {
    const a = plain(docs.tariff); a.sigs[0].signer = p.clearer.peerId
    assert.equal(verifyCode(a), 'unexpected-signer')
  })
})
