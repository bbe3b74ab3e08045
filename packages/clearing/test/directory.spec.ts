import assert from 'node:assert/strict'
import { encodeDocument, sign, type Identity } from '@splitedge/wire'
import { ClearerDirectory } from '../src/index.js'
import { identities } from './fixtures.js'

const NOW = 1_800_000_000_000

describe('clearing: the clearer directory', () => {
  let c1: Identity, c2: Identity, a: Identity, b: Identity, d: Identity
  before(async () => { [c1, c2, a, b, d] = await identities(5) as [Identity, Identity, Identity, Identity, Identity] })
  const announce = (by: Identity, ops: Identity[], seq = 1, expires = NOW + 60_000): Uint8Array => {
    const r = sign(by, 'clearer-announcement', { clearer: by.peerId, seq, operators: ops.map(o => o.peerId).sort(), issued: NOW - 1, expires })
    if (!r.ok) throw r.error
    return encodeDocument(r.value)
  }

  it('answers "which clearers serve all of these operators" from announcements', () => {
    const dir = new ClearerDirectory()
    assert.deepEqual(dir.ingest(announce(c1, [a, b]), NOW, c1.peerId), { ok: true, status: 'created' })
    assert.ok(dir.ingest(announce(c2, [b, d]), NOW).ok)
    assert.deepEqual(dir.serving([a.peerId, b.peerId], NOW).map(e => e.clearer), [c1.peerId])
    assert.deepEqual(dir.serving([b.peerId], NOW).map(e => e.clearer), [c1.peerId, c2.peerId].sort())
    assert.deepEqual(dir.serving([a.peerId, d.peerId], NOW), [])
    // A newer announcement replaces the older one's operators.
    assert.ok(dir.ingest(announce(c1, [d], 2), NOW).ok)
    assert.deepEqual(dir.serving([a.peerId], NOW), [])
    assert.deepEqual(dir.serving([d.peerId], NOW).map(e => e.clearer), [c1.peerId, c2.peerId].sort())
    // Expired entries are not answered.
    assert.deepEqual(dir.serving([d.peerId], NOW + 120_000), [])
  })

  it('rejects forged, misattributed and stale announcements', () => {
    const dir = new ClearerDirectory()
    assert.ok(dir.ingest(announce(c1, [a], 5), NOW).ok)
    const stale = dir.ingest(announce(c1, [a, b], 4), NOW)
    assert.ok(!stale.ok && stale.reason === 'stale')
    const wrong = dir.ingest(announce(c2, [a]), NOW, c1.peerId)
    assert.ok(!wrong.ok && wrong.reason === 'wrong-author' && wrong.verdict === 'reject')
    const bytes = announce(c2, [a])
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 1
    const forged = dir.ingest(bytes, NOW)
    assert.ok(!forged.ok && forged.verdict === 'reject')
    const expired = dir.ingest(announce(c2, [a], 1, NOW), NOW)
    assert.ok(!expired.ok && expired.reason === 'expired')
  })
})
