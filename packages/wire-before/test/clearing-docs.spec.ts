import assert from 'node:assert/strict'
import { cosign, decodeDocument, encodeDocument, requiredSigners, sign, verifyDocument } from '../src/index.js'
import { announcementBody, clearingStatementBody, must, parties } from './fixtures.js'

describe('wire: clearing documents', () => {
  it('a clearer announcement is signed by its clearer alone and round-trips', async () => {
    const p = await parties()
    const doc = must(sign(p.clearer, 'clearer-announcement', announcementBody(p)))
    assert.deepEqual(requiredSigners(doc), [p.clearer.peerId])
    const back = decodeDocument(encodeDocument(doc), 'clearer-announcement')
    assert.ok(back.ok && verifyDocument(back.value).ok)
    const forged = sign(p.a, 'clearer-announcement', announcementBody(p))
    assert.ok(!forged.ok && forged.error.code === 'unexpected-signer')
  })

  it('announced operators must be sorted and distinct, and expiry after issue', async () => {
    const p = await parties()
    const body = announcementBody(p)
    const unsorted = sign(p.clearer, 'clearer-announcement', { ...body, operators: [...body.operators].reverse() })
    assert.ok(!unsorted.ok && unsorted.error.code === 'schema' && unsorted.error.path === '/body/operators/1')
    const twice = sign(p.clearer, 'clearer-announcement', { ...body, operators: [body.clearer, body.clearer] })
    assert.ok(!twice.ok && twice.error.code === 'schema')
    const expired = sign(p.clearer, 'clearer-announcement', { ...body, expires: body.issued })
    assert.ok(!expired.ok && expired.error.path === '/body/expires')
  })

  it('a clearing statement needs both the clearer and the operator', async () => {
    const p = await parties()
    const half = must(sign(p.clearer, 'clearing-statement', clearingStatementBody(p)))
    assert.deepEqual([...requiredSigners(half)], [p.clearer.peerId, p.a.peerId].sort())
    const missing = verifyDocument(half)
    assert.ok(!missing.ok && missing.error.code === 'missing-signature')
    assert.ok(verifyDocument(half, [p.clearer.peerId]).ok)
    const full = must(cosign(p.a, half))
    assert.ok(verifyDocument(full).ok)
    const stranger = cosign(p.b, half)
    assert.ok(!stranger.ok && stranger.error.code === 'unexpected-signer')
  })

  it('a clearing statement refuses a receipt twice on one side, margin on the paid side, and itself as operator', async () => {
    const p = await parties()
    const body = clearingStatementBody(p)
    const l0 = body.lines[0]!
    const l1 = body.lines[1]!
    const dup = sign(p.clearer, 'clearing-statement', { ...body, lines: [l0, l0] })
    assert.ok(!dup.ok && dup.error.path === '/body/lines/1')
    const margin = sign(p.clearer, 'clearing-statement', { ...body, lines: [l0, { ...l1, margin: '0.1' }] })
    assert.ok(!margin.ok && margin.error.path === '/body/lines/1/margin')
    const self = sign(p.clearer, 'clearing-statement', { ...body, operator: p.clearer.peerId })
    assert.ok(!self.ok && self.error.path === '/body/operator')
    const period = sign(p.clearer, 'clearing-statement', { ...body, period: { start: 5, end: 5 } })
    assert.ok(!period.ok && period.error.path === '/body/period')
  })
})
