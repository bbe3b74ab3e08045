/**
 * The optional `revision` of a usage report: a revised report round-trips and has its own id; a
 * report without the field encodes exactly as before revisions existed (fixed vector), and an
 * explicit revision 0 is refused (zero is written by omission, so each revision has one encoding).
 */
import assert from 'node:assert/strict'
import { decodeDocument, docId, encodeDocument, sign, type BodyOf } from '../src/index.js'
import { must, testIdentity } from './fixtures.js'

async function body (): Promise<BodyOf<'usage-report'>> {
  const a = await testIdentity(1)
  const b = await testIdentity(2)
  const [lo, hi] = a.peerId < b.peerId ? [a, b] : [b, a]
  return {
    border: [lo.peerId, hi.peerId],
    reporter: a.peerId,
    interval: { start: 1_790_000_000_000, length: 60_000 },
    lines: [{ class: 'be', from: a.peerId, to: b.peerId, volume: '1000' }],
    metrics: []
  }
}

describe('wire: usage report revision', () => {
  it('a report without revision keeps the id it had before the field existed (fixed vector)', async () => {
    const doc = must(sign(await testIdentity(1), 'usage-report', await body()))
    assert.equal(docId(doc), 'bafyreiho6y5jd64erkzbymzcpiurqk5cyc2ito6qkaww5flni6wfix4fii')
  })

  it('a revised report round-trips and has a different id', async () => {
    const a = await testIdentity(1)
    const first = must(sign(a, 'usage-report', await body()))
    const revised = must(sign(a, 'usage-report', { ...(await body()), revision: 2 }))
    const back = decodeDocument(encodeDocument(revised), 'usage-report')
    assert.ok(back.ok)
    assert.equal(back.value.body.revision, 2)
    assert.deepEqual(back.value.body, revised.body)
    assert.equal(docId(back.value), docId(revised))
    assert.notEqual(docId(revised), docId(first))
  })

  it('refuses revision 0 written out, and a negative or fractional revision', async () => {
    const a = await testIdentity(1)
    for (const revision of [0, -1, 1.5]) {
      assert.equal(sign(a, 'usage-report', { ...(await body()), revision }).ok, false, `revision ${revision}`)
    }
  })
})
