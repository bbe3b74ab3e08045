import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { borderOf, openStore, StoreError, type Store, type TariffRecord } from '../src/index.js'
import { classic, memory, type Backend } from './backends.js'

const A = '12D3KooWAlice'
const B = '12D3KooWBob'
const C = '12D3KooWCarol'
const AB = borderOf(A, B)
const AC = borderOf(A, C)
const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)
const tariff = (issuer: string, seq: number, effective: number): TariffRecord =>
  ({ issuer, seq, id: `bafy-${issuer}-${seq}`, effective, bytes: bytes(seq, effective % 256) })

for (const backend of [memory(), memory(true), classic()] as Backend[]) {
  describe(`store on ${backend.name}`, () => {
    let store: Store
    beforeEach(async () => { store = await backend.fresh() })
    afterEach(async () => { await store.close() })
    after(async () => { await backend.cleanup() })

    it('tariff book: round trip, order, version in force, idempotency and conflicts', async () => {
      // Inserted out of order: versions fetched by hash may arrive late.
      for (const t of [tariff(A, 2, 200), tariff(A, 1, 100), tariff(A, 10, 1000), tariff(B, 1, 50)]) {
        assert.equal(await store.putTariff(t), 'created')
      }
      assert.deepEqual(await store.getTariff('bafy-12D3KooWAlice-2'), tariff(A, 2, 200))
      assert.equal(await store.getTariff('nope'), undefined)
      assert.deepEqual((await store.tariffsOf(A)).map(t => t.seq), [1, 2, 10]) // numeric, not lexical
      assert.equal((await store.latestTariff(A))?.seq, 10)
      assert.equal(await store.latestTariff(C), undefined)
      assert.equal(await store.tariffInForce(A, 99), undefined)
      assert.equal((await store.tariffInForce(A, 100))?.seq, 1)
      assert.equal((await store.tariffInForce(A, 999))?.seq, 2)
      assert.equal((await store.tariffInForce(A, 1000))?.seq, 10)
      assert.equal(await store.putTariff(tariff(A, 2, 200)), 'exists')
      assert.equal(await store.putTariff({ ...tariff(A, 2, 200), id: 'other' }), 'conflict')
      assert.equal(await store.putTariff({ ...tariff(A, 3, 300), id: 'bafy-12D3KooWAlice-2' }), 'conflict')
      assert.deepEqual((await store.tariffsOf(A)).map(t => t.id), ['bafy-12D3KooWAlice-1', 'bafy-12D3KooWAlice-2', 'bafy-12D3KooWAlice-10'])
    })

    it('tariff book: the versions kept in memory follow every committed write and no failed one', async () => {
      assert.equal(await store.latestTariffMeta(A), undefined) // read (nothing held), then kept
      assert.equal(await store.putTariff(tariff(A, 1, 100)), 'created')
      assert.deepEqual(await store.latestTariffMeta(A), { issuer: A, seq: 1, id: tariff(A, 1, 100).id, effective: 100 })
      assert.equal((await store.tariffMetaInForce(A, 150))?.seq, 1)
      // Added by a batch: seen as soon as the batch is written.
      assert.ok((await store.batch().putTariff(tariff(A, 2, 200)).write()).ok)
      assert.equal((await store.tariffMetaInForce(A, 250))?.seq, 2)
      assert.equal((await store.tariffInForce(A, 250))?.seq, 2)
      // A batch that fails writes nothing, and the versions held do not change either.
      const failed = await store.batch().putTariff(tariff(A, 3, 300)).putTariff({ ...tariff(A, 2, 200), id: 'other' }).write()
      assert.equal(failed.ok, false)
      assert.equal((await store.latestTariffMeta(A))?.seq, 2)
      // Reads racing a write: each sees the store before or after it, and the next read sees it.
      const [, during] = await Promise.all([store.putTariff(tariff(A, 4, 400)), store.latestTariffMeta(A)])
      assert.ok(during?.seq === 2 || during?.seq === 4)
      assert.equal((await store.latestTariffMeta(A))?.seq, 4)
      assert.equal((await store.latestTariff(A))?.seq, 4)
    })

    it('reports: round trip per reporter, idempotency and conflicts', async () => {
      const r = { border: AB, intervalStart: 3600, reporter: A, id: 'rA', bytes: bytes(1, 2, 3) }
      assert.equal(await store.putReport(r), 'created')
      assert.equal(await store.putReport({ ...r, reporter: B, id: 'rB' }), 'created')
      assert.equal(await store.putReport(r), 'exists')
      assert.equal(await store.putReport({ ...r, id: 'rA2' }), 'conflict')
      assert.deepEqual(await store.getReport(AB, 3600, A), r)
      assert.equal((await store.getReport(AB, 3600, B))?.id, 'rB')
      assert.equal(await store.getReport(AB, 7200, A), undefined)
    })

    it('attestations: round trip, range listing, idempotency and conflicts', async () => {
      for (const start of [0, 60, 120, 180, 1200]) {
        assert.equal(await store.putAttestation({ border: AB, intervalStart: start, id: `att${start}`, bytes: bytes(start % 256) }), 'created')
      }
      assert.equal(await store.putAttestation({ border: AC, intervalStart: 60, id: 'other-border', bytes: bytes() }), 'created')
      assert.equal(await store.putAttestation({ border: AB, intervalStart: 60, id: 'att60', bytes: bytes(60) }), 'exists')
      assert.equal(await store.putAttestation({ border: AB, intervalStart: 60, id: 'forged', bytes: bytes(60) }), 'conflict')
      assert.deepEqual(await store.getAttestation(AB, 120), { border: AB, intervalStart: 120, id: 'att120', bytes: bytes(120) })
      assert.deepEqual((await store.listAttestations(AB, 60, 1200)).map(a => a.intervalStart), [60, 120, 180])
      assert.deepEqual((await store.listAttestations(AB, 0, Number.MAX_SAFE_INTEGER)).map(a => a.id), ['att0', 'att60', 'att120', 'att180', 'att1200'])
      assert.deepEqual((await store.listAttestations(AC, 0, 100)).map(a => a.id), ['other-border'])
      assert.equal(await store.getAttestation(AB, 61), undefined)
    })

    it('statements: round trip, listing per border, idempotency and conflicts', async () => {
      const s = { border: AC, periodStart: 86400, id: 'st1', bytes: bytes(9) }
      assert.equal(await store.putStatement(s), 'created')
      assert.equal(await store.putStatement({ border: AB, periodStart: 0, id: 'st0', bytes: bytes(8) }), 'created')
      assert.equal(await store.putStatement(s), 'exists')
      assert.equal(await store.putStatement({ ...s, id: 'st1b' }), 'conflict')
      assert.deepEqual(await store.getStatement(AC, 86400), s)
      assert.deepEqual((await store.listStatements()).map(x => x.id), ['st0', 'st1']) // AB sorts before AC
      assert.deepEqual(await store.listStatements(AC), [s])
    })

    it('disputes: open, list, resolve', async () => {
      const d = { kind: 'usage' as const, border: AB, key: '3600', detail: { ours: '10', theirs: '12' }, time: 5 }
      assert.equal(await store.putDispute(d), 'created')
      assert.equal(await store.putDispute({ ...d, detail: 'again' }), 'exists')
      assert.equal(await store.putDispute({ ...d, kind: 'settlement', key: '0', detail: null }), 'created')
      assert.equal(await store.putDispute({ ...d, border: AC }), 'created')
      assert.equal((await store.listDisputes()).length, 3)
      assert.deepEqual((await store.listDisputes(AB)).map(x => x.kind).sort(), ['settlement', 'usage'])
      assert.equal(await store.resolveDispute({ kind: 'usage', border: AB, key: '3600', resolution: { agreed: '11' }, time: 9 }), 'resolved')
      assert.equal(await store.resolveDispute({ kind: 'usage', border: AB, key: '3600', resolution: 'x', time: 10 }), 'already-resolved')
      assert.equal(await store.resolveDispute({ kind: 'usage', border: AB, key: '7200', resolution: 'x', time: 10 }), 'not-found')
      assert.deepEqual(await store.getDispute('usage', AB, '3600'), {
        kind: 'usage', border: AB, key: '3600', detail: { ours: '10', theirs: '12' }, status: 'resolved', opened: 5, resolution: { agreed: '11' }, resolved: 9
      })
      assert.deepEqual((await store.listDisputes(AB, 'open')).map(x => x.kind), ['settlement'])
      assert.equal((await store.listDisputes(undefined, 'resolved')).length, 1)
    })

    it('pending work and meta: upsert, list, delete', async () => {
      await store.putPending('border', `${AB}/60`, { attempt: 1 })
      await store.putPending('border', `${AB}/60`, { attempt: 2 })
      await store.putPending('border', `${AC}/60`, { attempt: 1 })
      await store.putPending('settle', `${AB}/0`, null)
      assert.deepEqual(await store.listPending('border'), [
        { kind: 'border', key: `${AB}/60`, value: { attempt: 2 } },
        { kind: 'border', key: `${AC}/60`, value: { attempt: 1 } }
      ])
      await store.deletePending('border', `${AB}/60`)
      await store.deletePending('border', 'never-there')
      assert.deepEqual((await store.listPending('border')).map(p => p.key), [`${AC}/60`])
      assert.equal(await store.getPending('settle', `${AB}/0`), null)
      assert.equal(await store.getPending('settle', 'none'), undefined)
      await store.putMeta('key', { peerId: A, created: 1 })
      assert.deepEqual(await store.getMeta('key'), { peerId: A, created: 1 })
      assert.equal(await store.getMeta('absent'), undefined)
    })

    it('batch: a document and its pending entry change together', async () => {
      await store.putPending('border', '60', { step: 'await-cosign' })
      const att = { border: AB, intervalStart: 60, id: 'att60', bytes: bytes(1) }
      const done = await store.batch().putAttestation(att).deletePending('border', '60').write()
      assert.deepEqual(done, { ok: true, results: ['created', 'done'] })
      assert.deepEqual(await store.listPending('border'), [])
      // A resumed exchange repeats the same batch: the document answers 'exists', the rest applies.
      await store.putPending('border', '60', { step: 'await-cosign' })
      assert.deepEqual(await store.batch().putAttestation(att).deletePending('border', '60').write(), { ok: true, results: ['exists', 'done'] })
      assert.deepEqual(await store.listPending('border'), [])
    })

    it('batch: one failure writes nothing', async () => {
      await store.putAttestation({ border: AB, intervalStart: 60, id: 'att60', bytes: bytes(1) })
      const before = store.stats()
      const out = await store.batch()
        .putStatement({ border: AB, periodStart: 0, id: 's0', bytes: bytes() })
        .putPending('settle', '0', 1)
        .post({ id: 't', debit: 'bank', credit: 'margin', amount: 1n, currency: 'EUR', decimals: 2, ref: 's0', time: 1 })
        .putAttestation({ border: AB, intervalStart: 60, id: 'different', bytes: bytes(2) })
        .write()
      assert.deepEqual(out, { ok: false, results: ['linked-failed', 'linked-failed', 'linked-failed', 'conflict'] })
      assert.equal(await store.getStatement(AB, 0), undefined)
      assert.deepEqual(await store.listPending('settle'), [])
      assert.deepEqual(await store.entries(), [])
      assert.deepEqual(store.stats(), before)
      // Within one batch, later operations see earlier ones.
      const a = { border: AB, intervalStart: 120, id: 'a120', bytes: bytes() }
      assert.deepEqual((await store.batch().putAttestation(a).putAttestation(a).write()).results, ['created', 'exists'])
    })

    it('rejects malformed keys with typed errors before writing', async () => {
      const isInvalid = (e: unknown): boolean => e instanceof StoreError && e.code === 'invalid-argument'
      await assert.rejects(store.putAttestation({ border: `${B}|${A}`, intervalStart: 0, id: 'x', bytes: bytes() }), isInvalid)
      await assert.rejects(store.putAttestation({ border: AB, intervalStart: -1, id: 'x', bytes: bytes() }), isInvalid)
      await assert.rejects(store.putAttestation({ border: AB, intervalStart: 1.5, id: 'x', bytes: bytes() }), isInvalid)
      await assert.rejects(store.putReport({ border: AB, intervalStart: 0, reporter: 'a\x00b', id: 'x', bytes: bytes() }), isInvalid)
      await assert.rejects(store.putPending('', 'k', 1), isInvalid)
      assert.throws(() => store.batch().putTariff({ ...tariff(A, 1, 1), seq: Number.MAX_SAFE_INTEGER + 1 }), isInvalid)
      assert.equal(store.stats().batches, 0)
    })

    it('survives a restart with every record, counters and ledger sequence', async () => {
      await store.putTariff(tariff(A, 1, 100))
      await store.putAttestation({ border: AB, intervalStart: 60, id: 'att60', bytes: bytes(1, 2) })
      await store.putPending('border', '120', { x: 1 })
      await store.post({ id: 't1', debit: 'bank', credit: 'margin', amount: 7n, currency: 'EUR', decimals: 2, ref: 'r', time: 1 })
      const keys = store.stats().keys
      assert.ok(keys > 0)
      store = await backend.reopen(store)
      assert.equal(store.stats().keys, keys)
      assert.equal(store.stats().bytesWritten, 0)
      assert.deepEqual(await store.getTariff(tariff(A, 1, 100).id), tariff(A, 1, 100))
      assert.equal((await store.getAttestation(AB, 60))?.id, 'att60')
      assert.deepEqual(await store.listPending('border'), [{ kind: 'border', key: '120', value: { x: 1 } }])
      assert.equal(await store.post({ id: 't1', debit: 'bank', credit: 'margin', amount: 7n, currency: 'EUR', decimals: 2, ref: 'r', time: 1 }), 'exists')
      assert.equal(await store.post({ id: 't2', debit: 'margin', credit: 'bank', amount: 2n, currency: 'EUR', decimals: 2, ref: 'r', time: 2 }), 'created')
      assert.deepEqual((await store.entries()).map(e => [e.id, e.seq]), [['t1', 0], ['t2', 1]])
      assert.equal((await store.balance('bank', 'EUR')).net, 5n)
    })

    it('counts keys and bytes written', async () => {
      assert.deepEqual(store.stats(), { keys: 0, bytesWritten: 0, batches: 0 })
      await store.putAttestation({ border: AB, intervalStart: 60, id: 'att60', bytes: new Uint8Array(1000) })
      const s1 = store.stats()
      assert.equal(s1.keys, 1)
      assert.equal(s1.batches, 1)
      assert.ok(s1.bytesWritten > 1000 && s1.bytesWritten < 1100, String(s1.bytesWritten))
      await store.putAttestation({ border: AB, intervalStart: 60, id: 'att60', bytes: new Uint8Array(1000) }) // exists: no write
      assert.deepEqual(store.stats(), s1)
      await store.putPending('k', '1', 1)
      await store.putPending('k', '1', 2) // overwrite: same key count
      assert.equal(store.stats().keys, 2)
      await store.deletePending('k', '1')
      assert.equal(store.stats().keys, 1)
    })

    it('refuses work once closed', async () => {
      await store.close()
      await store.close() // idempotent
      await assert.rejects(store.getMeta('x'), (e: unknown) => e instanceof StoreError && e.code === 'closed')
      await assert.rejects(store.putMeta('x', 1), (e: unknown) => e instanceof StoreError && e.code === 'closed')
    })

    it('serializes concurrent writes: racing retries of one document create it once', async () => {
      const a = { border: AB, intervalStart: 60, id: 'att60', bytes: bytes(1) }
      const results = await Promise.all([1, 2, 3, 4, 5].map(async () => await store.putAttestation(a)))
      assert.deepEqual(results.sort(), ['created', 'exists', 'exists', 'exists', 'exists'])
      const posts = await Promise.all([1, 2, 3].map(async () =>
        await store.post({ id: 't', debit: 'bank', credit: 'margin', amount: 3n, currency: 'EUR', decimals: 2, ref: '', time: 0 })))
      assert.deepEqual(posts.sort(), ['created', 'exists', 'exists'])
      assert.equal((await store.balance('bank', 'EUR')).net, 3n)
    })
  })
}

describe('store on a sublevel', () => {
  it('keeps many agents apart in one shared memory-level, as the simulator does', async () => {
    const root = new MemoryLevel()
    const a = await openStore({ db: root.sublevel('agent-a') })
    const b = await openStore({ db: root.sublevel('agent-b') })
    assert.equal(await a.putAttestation({ border: AB, intervalStart: 0, id: 'x', bytes: bytes(1) }), 'created')
    assert.equal(await b.putAttestation({ border: AB, intervalStart: 0, id: 'y', bytes: bytes(2) }), 'created')
    assert.equal(await a.post({ id: 't', debit: 'bank', credit: 'margin', amount: 1n, currency: 'EUR', decimals: 2, ref: '', time: 0 }), 'created')
    assert.equal((await b.getAttestation(AB, 0))?.id, 'y')
    assert.deepEqual(await b.entries(), [])
    assert.equal(a.stats().keys, 8)
    assert.equal(b.stats().keys, 1)
    await a.close()
    await b.close()
    await root.close()
  })
})
