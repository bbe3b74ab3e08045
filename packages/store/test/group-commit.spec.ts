// Group commit (engine.ts, group.ts): writes that arrive while a synced batch is being written
// share the next one, each sees the writes queued before it (by key, by range, and the ledger's
// sequence and totals), a refused write is left out alone, and no outcome is given before its
// batch is on disk. Stores opened on a path have it; stores on a given database (the simulator)
// keep one batch per write.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { encodeJson } from '../src/codec.js'
import { Engine } from '../src/engine.js'
import { GroupSub, inGroup } from '../src/group.js'
import { borderOf, CHART, openStore, Store, StoreError, type BatchOutcome, type Chart, type Transfer } from '../src/index.js'
import { openSubs } from '../src/subs.js'
import { Tx, type KeyRange, type Sub } from '../src/tx.js'

const AB = borderOf('12D3KooWAlice', '12D3KooWBob')
const att = (start: number, id: string): { border: string, intervalStart: number, id: string, bytes: Uint8Array } => ({ border: AB, intervalStart: start, id, bytes: new Uint8Array([start % 256]) })
const EUR = (id: string, debit: string, credit: string, amount: bigint, currency = 'EUR'): Transfer => ({ id, debit, credit, amount, currency, decimals: 2, ref: id, time: 1 })

interface Gated { db: MemoryLevel<string, Uint8Array>, batches: () => number, held: () => number, release: () => void }

/** A memory-level database whose batches wait for `release()`, counting them (a slow fsync made visible). */
function gatedDb (): Gated {
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

/** A store with group commit on `db`, as openStore({ path }) builds it; and its engine. */
async function grouped (db: MemoryLevel<string, Uint8Array>, chart: Chart = CHART): Promise<{ store: Store, engine: Engine }> {
  await db.open()
  const engine = new Engine(db, false, openSubs(db), chart, true)
  const store = new Store(engine)
  await store.load()
  return { store, engine }
}

async function until (ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise(resolve => setImmediate(resolve))
}

const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve)) }

/** Everything the database holds. */
async function snapshot (db: MemoryLevel<string, Uint8Array>): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of db.iterator({ keyEncoding: 'utf8', valueEncoding: 'view' })) out.push(`${k}=${Buffer.from(v).toString('hex')}`)
  return out
}

describe('store group commit', () => {
  let store: Store
  afterEach(async () => { await store.close() })

  it('writes queued behind a synced batch share the next one, and are answered only after it', async () => {
    const g = gatedDb()
    ;({ store } = await grouped(g.db))
    const answered: string[] = []
    const first = store.putAttestation(att(0, 'bafy-0')).then(r => { answered.push(`0:${r}`) })
    await until(() => g.held() === 1)
    // While the first batch syncs, ten more writes arrive, two of them for the same slot.
    const rest: Array<Promise<void>> = []
    for (let i = 1; i <= 8; i++) rest.push(store.putAttestation(att(i, `bafy-${i}`)).then(r => { answered.push(`${i}:${r}`) }))
    rest.push(store.putAttestation(att(5, 'bafy-other')).then(r => { answered.push(`5':${r}`) }))
    rest.push(store.batch().putAttestation(att(9, 'bafy-9')).putAttestation(att(1, 'bafy-x')).write().then((r: BatchOutcome) => { answered.push(`9+1':${r.ok}`) }))
    await tick()
    assert.deepEqual(answered, [], 'nothing is answered before its batch is on disk')
    assert.equal(await store.getAttestation(AB, 0), undefined, 'a reader does not see a batch before it is synced')
    g.release()
    await first
    assert.deepEqual(answered, ['0:created'])
    await until(() => g.held() === 1)
    assert.equal(g.batches(), 2, 'the ten queued writes share one batch')
    await tick()
    assert.deepEqual(answered, ['0:created'], 'the refusals too wait for the sync of the writes they saw')
    assert.equal(await store.getAttestation(AB, 5), undefined, 'nor does a reader see the group before its sync')
    g.release()
    await Promise.all(rest)
    // Each saw the writes queued before it: the second write for slot 5 and the batch rewriting slot 1 conflict.
    assert.deepEqual(answered.sort(), ['0:created', '1:created', '2:created', '3:created', '4:created', '5:created', "5':conflict", '6:created', '7:created', '8:created', "9+1':false"].sort())
    assert.equal((await store.getAttestation(AB, 5))?.id, 'bafy-5')
    assert.equal(await store.getAttestation(AB, 9), undefined, 'a failed batch of the group writes nothing')
    assert.deepEqual(store.stats().batches, 2)
    assert.equal(store.stats().keys, 9)
  })

  it('a ledger post sees the sequence and balances of the posts queued before it', async () => {
    const g = gatedDb()
    ;({ store } = await grouped(g.db))
    const p1 = store.post(EUR('1', 'neighbour:B', 'interconnect:revenue', 5n))
    await until(() => g.held() === 1)
    const p2 = store.post(EUR('2', 'neighbour:B', 'interconnect:revenue', 7n))
    const p3 = store.postAll([EUR('3', 'neighbour:B', 'interconnect:revenue', 11n), EUR('4', 'interconnect:expense', 'neighbour:B', 2n)])
    const p4 = store.post(EUR('2', 'neighbour:B', 'interconnect:revenue', 7n))
    g.release()
    await p1
    await until(() => g.held() === 1)
    g.release()
    assert.deepEqual(await Promise.all([p2, p3, p4]), ['created', { ok: true, results: ['created', 'created'] }, 'exists'])
    assert.deepEqual((await store.entries('neighbour:B')).map(e => [e.id, e.seq]), [['1', 0], ['2', 1], ['3', 2], ['4', 3]])
    assert.equal((await store.balance('neighbour:B', 'EUR')).net, 21n)
    assert.equal(store.stats().batches, 2)
    assert.deepEqual(await store.checkLedger(), { ok: true, problems: [] })
  })

  it('a refused write among them fails alone: a thrown step and a broken ledger invariant', async () => {
    const g = gatedDb()
    const { store: s, engine } = await grouped(g.db)
    store = s
    const first = store.post(EUR('t0', 'interconnect:expense', 'neighbour:B', 100n))
    await until(() => g.held() === 1)
    const good1 = store.putAttestation(att(1, 'bafy-1'))
    // A step that throws, after writing: its write must not reach the group.
    const thrown = store.commit([async (tx) => {
      await tx.put(engine.subs.attestations, 'thrown', new Uint8Array([1]))
      throw new StoreError('invalid-argument', 'refused by its step')
    }])
    const good2 = store.post(EUR('t1', 'interconnect:expense', 'neighbour:B', 3n))
    // A buggy step: a balance that moves alone. The check on its planned writes refuses it.
    const unbalanced = store.commit([async (tx) => {
      await tx.put(engine.subs.balances, 'bank\x00EUR', encodeJson({ debits: '5', credits: '0', decimals: 2 }))
      return 'done'
    }])
    const good3 = store.post(EUR('t2', 'interconnect:expense', 'neighbour:B', 4n))
    g.release()
    await first
    const before = await snapshot(g.db)
    await until(() => g.held() === 1)
    g.release()
    assert.equal(await good1, 'created')
    await assert.rejects(thrown, (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
    assert.equal(await good2, 'created')
    await assert.rejects(unbalanced, (e: unknown) => e instanceof StoreError && e.code === 'ledger-unbalanced')
    assert.equal(await good3, 'created', 'a write after a refused one sees the ledger without it')
    const after = await snapshot(g.db)
    assert.equal(after.filter(k => k.includes('thrown')).length, 0)
    assert.equal(after.filter(k => k.startsWith('!ledger-balance!bank')).length, 0)
    assert.equal(after.length - before.length, 1 + 2 * 4, 'only the three good writes are added (an attestation, two transfers of four keys; two balances changed)')
    assert.deepEqual((await store.entries()).map(e => [e.id, e.seq]), [['t0', 0], ['t1', 1], ['t2', 2]])
    assert.equal((await store.balance('neighbour:B', 'EUR')).net, -107n)
    assert.deepEqual(await store.checkLedger(), { ok: true, problems: [] })
    assert.equal(store.stats().batches, 2)
  })

  it('a range read inside the group sees the writes queued before it (single-currency account)', async () => {
    const chart: Chart = { ...CHART, kinds: [...CHART.kinds, { name: 'fx', normal: 'debit', currencies: 'single', books: 'agent', description: 'one currency' }] }
    const g = gatedDb()
    ;({ store } = await grouped(g.db, chart))
    const first = store.post(EUR('t0', 'bank', 'margin', 1n))
    await until(() => g.held() === 1)
    const eur = store.post(EUR('t1', 'fx', 'bank', 5n))
    const usd = store.post(EUR('t2', 'fx', 'bank', 5n, 'USD'))
    g.release()
    await first
    await until(() => g.held() === 1)
    g.release()
    assert.equal(await eur, 'created')
    assert.equal(await usd, 'currency-not-allowed', 'the EUR balance planned by the write before it counts')
  })

  it('in-memory stores on a given database keep one batch per write', async () => {
    store = await openStore({ db: new MemoryLevel<string, Uint8Array>() })
    await Promise.all(Array.from({ length: 20 }, async (_, i) => await store.putAttestation(att(i, `bafy-${i}`))))
    assert.equal(store.stats().batches, 20)
  })
})

describe('store group commit on disk', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'splitedge-group-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('concurrent writes share fewer syncs than writes; nothing acknowledged is lost', async () => {
    const path = join(dir, 'db')
    let store = await openStore({ path })
    const N = 300
    const acked: string[] = []
    const writes = Array.from({ length: N }, async (_, i) => {
      const r = i % 3 === 0
        ? await store.post(EUR(`t${i}`, 'interconnect:expense', `neighbour:N${i % 7}`, BigInt(i + 1)))
        : await store.batch().putAttestation(att(i, `bafy-${i}`)).putPending('border', `k${i}`, { i }).write().then(o => o.ok ? 'created' : 'failed')
      acked.push(`${i}:${r}`)
    })
    await Promise.all(writes)
    assert.equal(acked.length, N)
    assert.ok(acked.every(a => a.endsWith(':created')), acked.join(' '))
    const { batches } = store.stats()
    assert.ok(batches < N / 4, `${N} writes took ${batches} synced batches`)
    await store.close()
    store = await openStore({ path })
    for (let i = 0; i < N; i++) {
      if (i % 3 === 0) assert.equal((await store.getTransfer(`t${i}`))?.amount, BigInt(i + 1))
      else assert.equal((await store.getAttestation(AB, i))?.id, `bafy-${i}`)
    }
    assert.equal((await store.listPending('border')).length, N - N / 3)
    assert.deepEqual(await store.checkLedger(), { ok: true, problems: [] })
    assert.deepEqual((await store.entries()).map(e => e.seq), Array.from({ length: N / 3 }, (_, i) => i))
    await store.close()
  })
})

describe('GroupSub: reads merge the pending writes of the group over the database', () => {
  it('matches a model for any committed keys, pending puts and deletes, and range', async () => {
    const key = fc.stringMatching(/^[a-d\x00é\uFFFD\u{1F600}]{0,3}$/u)
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(key, { maxLength: 12 }),
      fc.array(fc.tuple(key, fc.boolean()), { maxLength: 10 }),
      // At most one lower and one upper bound, as the store's ranges are.
      fc.tuple(fc.option(fc.tuple(fc.constantFrom('gt', 'gte'), key)), fc.option(fc.tuple(fc.constantFrom('lt', 'lte'), key)), fc.record({ reverse: fc.boolean(), limit: fc.integer({ min: -1, max: 8 }) }, { requiredKeys: [] }))
        .map(([low, high, rest]): KeyRange => ({ ...rest, ...(low === null ? {} : { [low[0]]: low[1] }), ...(high === null ? {} : { [high[0]]: high[1] }) })),
      async (committed, pending, range: KeyRange) => {
        const db = new MemoryLevel<string, Uint8Array>()
        const base: Sub = db.sublevel<string, Uint8Array>('s', { keyEncoding: 'utf8', valueEncoding: 'view' })
        const view = new GroupSub(base)
        for (const k of committed) await db.put(`!s!${k}`, new Uint8Array([1]), { keyEncoding: 'utf8', valueEncoding: 'view' })
        const group = new Tx()
        const model = new Map(committed.map(k => [k, 1]))
        for (const [k, del] of pending) {
          if (del) { await group.del(view, k); model.delete(k) } else { await group.put(view, k, new Uint8Array([2])); model.set(k, 2) }
        }
        const got: string[] = []
        await inGroup(group, async () => { for await (const [k, v] of view.iterator(range)) got.push(`${k}=${v[0] ?? ''}`) })
        const cmp = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))
        const inside = (k: string): boolean => (range.gt === undefined || cmp(k, range.gt) > 0) && (range.gte === undefined || cmp(k, range.gte) >= 0) &&
          (range.lt === undefined || cmp(k, range.lt) < 0) && (range.lte === undefined || cmp(k, range.lte) <= 0)
        let want = [...model].filter(([k]) => inside(k)).sort(([a], [b]) => cmp(a, b)).map(([k, v]) => `${k}=${v}`)
        if (range.reverse === true) want.reverse()
        if (range.limit !== undefined && range.limit >= 0) want = want.slice(0, range.limit)
        assert.deepEqual(got, want)
        const outside: string[] = []
        for await (const k of view.keys(range)) outside.push(k)
        assert.equal(outside.length, committed.filter(inside).slice(0, range.limit === undefined || range.limit < 0 ? undefined : range.limit).length, 'outside a group, the database alone')
        await db.close()
      }), { numRuns: 300 })
  })
})
