// Group commit: writes that arrive while a synced batch is being written share the next one, each
// sees the writes queued before it, and no outcome is given before its batch is on disk.
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { borderOf, openStore, type BatchOutcome, type Store } from '../src/index.js'

const AB = borderOf('12D3KooWAlice', '12D3KooWBob')
const att = (start: number, id: string) => ({ border: AB, intervalStart: start, id, bytes: new Uint8Array([start % 256]) })

/** A memory-level database whose batches wait for `release()`, counting them. */
function gatedDb (): { db: MemoryLevel<string, Uint8Array>, batches: () => number, release: () => void, held: () => number } {
  const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
  const write = db.batch.bind(db)
  let count = 0
  let gates: Array<() => void> = []
  const gated = async (...args: Parameters<typeof write>): Promise<void> => {
    count++
    await new Promise<void>(resolve => { gates.push(resolve) })
    await write(...args)
  }
  Object.assign(db, { batch: gated })
  return { db, batches: () => count, held: () => gates.length, release: () => { const g = gates; gates = []; for (const r of g) r() } }
}

async function until (ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise(resolve => setImmediate(resolve))
}

describe('store group commit', () => {
  let store: Store
  afterEach(async () => { await store.close() })

  it('writes queued behind a synced batch share the next one, and are answered only after it', async () => {
    const g = gatedDb()
    store = await openStore({ db: g.db })
    const answered: string[] = []
    const first = store.putAttestation(att(0, 'bafy-0')).then(r => { answered.push(`0:${r}`) })
    await until(() => g.held() === 1)
    // While the first batch syncs, ten more writes arrive, two of them for the same slot.
    const rest: Array<Promise<void>> = []
    for (let i = 1; i <= 8; i++) rest.push(store.putAttestation(att(i, `bafy-${i}`)).then(r => { answered.push(`${i}:${r}`) }))
    rest.push(store.putAttestation(att(5, 'bafy-other')).then(r => { answered.push(`5':${r}`) }))
    rest.push(store.batch().putAttestation(att(9, 'bafy-9')).putAttestation(att(1, 'bafy-x')).write().then((r: BatchOutcome) => { answered.push(`9+1':${r.ok}`) }))
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(answered, [], 'nothing is answered before its batch is on disk')
    g.release()
    await first
    assert.deepEqual(answered, ['0:created'])
    await until(() => g.held() === 1)
    assert.equal(g.batches(), 2, 'the ten queued writes share one batch')
    assert.deepEqual(answered, ['0:created'], 'the refusals too wait for the sync of the writes they saw')
    g.release()
    await Promise.all(rest)
    assert.deepEqual(answered.sort(), ['0:created', '1:created', '2:created', '3:created', '4:created', '5:created', "5':conflict", '6:created', '7:created', '8:created', "9+1':false"].sort())
    assert.equal((await store.getAttestation(AB, 5))?.id, 'bafy-5')
    assert.equal(await store.getAttestation(AB, 9), undefined, 'a failed batch of the group writes nothing')
    assert.equal(store.stats().batches, 2)
    assert.equal(store.stats().keys, 9)
  })

  it('a ledger post sees the sequence and balances of the posts queued before it', async () => {
    const g = gatedDb()
    store = await openStore({ db: g.db })
    const t = (id: string, amount: bigint) => ({ id, debit: 'neighbour:B:payable', credit: 'settlement:B', amount, currency: 'EUR', decimals: 6, ref: id, time: 1 })
    const p1 = store.post(t('1', 5n))
    await until(() => g.held() === 1)
    const p2 = store.post(t('2', 7n))
    const p3 = store.post(t('3', 11n))
    g.release()
    await p1
    await until(() => g.held() === 1)
    g.release()
    assert.deepEqual(await Promise.all([p2, p3]), ['created', 'created'])
    assert.deepEqual((await store.entries('settlement:B')).map(e => [e.id, e.seq]), [['1', 0], ['2', 1], ['3', 2]])
    assert.equal((await store.balance('settlement:B', 'EUR')).net, -23n)
  })
})
