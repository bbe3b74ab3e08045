// Superseding a usage report with a revision (dispute resolution): the new revision becomes current,
// the old one stays readable for audit, a retry writes nothing, a stale revision is refused; and
// updateDispute reopens or re-details a dispute keeping its earlier states.
import assert from 'node:assert/strict'
import { borderOf, type ReportRecord, type Store } from '../src/index.js'
import { classic, memory, type Backend } from './backends.js'

const A = '12D3KooWAlice'
const B = '12D3KooWBob'
const AB = borderOf(A, B)
const rep = (id: string, revision?: number): ReportRecord =>
  ({ border: AB, intervalStart: 3600, reporter: A, id, bytes: new Uint8Array([id.length, revision ?? 0]), ...(revision !== undefined ? { revision } : {}) })

for (const backend of [memory(), memory(true), classic()] as Backend[]) {
  describe(`store on ${backend.name}: report revisions and dispute updates`, () => {
    let store: Store
    beforeEach(async () => { store = await backend.fresh() })
    afterEach(async () => { await store.close() })
    after(async () => { await backend.cleanup() })

    it('supersedes explicitly: new revision current, old one kept, retry idempotent, survives a restart', async () => {
      assert.equal(await store.putReport(rep('r0')), 'created')
      assert.equal(await store.putReport(rep('r1', 1)), 'conflict', 'putReport never supersedes')
      assert.equal(await store.replaceReport(rep('r1', 1)), 'created')
      const keys = store.stats().keys
      assert.equal(await store.replaceReport(rep('r1', 1)), 'exists', 'a retry writes nothing')
      assert.equal(store.stats().keys, keys)
      assert.deepEqual(await store.getReport(AB, 3600, A), rep('r1', 1))
      assert.deepEqual(await store.reportHistory(AB, 3600, A), [rep('r0')])
      assert.equal(await store.replaceReport(rep('r0')), 'conflict', 'an older revision never comes back')
      assert.equal(await store.replaceReport(rep('r1b', 1)), 'conflict', 'same revision, other id')
      assert.equal(await store.replaceReport(rep('r2', 2)), 'created')
      store = await backend.reopen(store)
      assert.deepEqual(await store.getReport(AB, 3600, A), rep('r2', 2))
      assert.deepEqual((await store.reportHistory(AB, 3600, A)).map(r => r.id), ['r0', 'r1'])
      assert.deepEqual(await store.reportHistory(AB, 3600, B), [])
    })

    it('replaceReport without a current report stores it; a failed replace in a batch writes nothing', async () => {
      assert.equal(await store.replaceReport(rep('r3', 3)), 'created')
      const out = await store.batch().replaceReport(rep('r2', 2)).putMeta('m', 1).write()
      assert.deepEqual(out, { ok: false, results: ['conflict', 'linked-failed'] })
      assert.equal(await store.getMeta('m'), undefined)
      assert.deepEqual(await store.reportHistory(AB, 3600, A), [])
    })

    it('updateDispute creates, keeps an identical open one, re-details and reopens with history', async () => {
      const d = { kind: 'usage' as const, border: AB, key: '0000000000003600', detail: { n: 1 }, time: 10 }
      assert.equal(await store.updateDispute(d), 'created')
      assert.equal(await store.updateDispute({ ...d, time: 11 }), 'exists')
      assert.equal(await store.updateDispute({ ...d, detail: { n: 2 }, time: 12 }), 'updated')
      assert.equal(await store.resolveDispute({ kind: 'usage', border: AB, key: d.key, resolution: { report: 'r1' }, time: 13 }), 'resolved')
      assert.equal(await store.updateDispute({ ...d, detail: { n: 2 }, time: 14 }), 'updated', 'a resolved dispute reopens')
      const got = await store.getDispute('usage', AB, d.key)
      assert.ok(got)
      assert.deepEqual([got.status, got.detail, got.opened], ['open', { n: 2 }, 14])
      assert.deepEqual(got.history, [
        { kind: 'usage', border: AB, key: d.key, detail: { n: 1 }, status: 'open', opened: 10 },
        { kind: 'usage', border: AB, key: d.key, detail: { n: 2 }, status: 'resolved', opened: 12, resolution: { report: 'r1' }, resolved: 13 }
      ])
    })
  })
}
