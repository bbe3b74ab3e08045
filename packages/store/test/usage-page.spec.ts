import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { borderOf, EMPTY_COUNTERS, openStore, StoreError, type Store, type UsageCounters, type UsagePlan } from '../src/index.js'
import { memory, type Backend } from './backends.js'

const A = '12D3KooWAlice'
const B = '12D3KooWBob'
const C = '12D3KooWCarol'
const AB = borderOf(A, B)
const AC = borderOf(A, C)
const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)

/** Add `v` to the `be` out line: the simplest pure apply. */
const addOut = (v: number) => (c: UsageCounters): UsageCounters => {
  const prev = Number(c.lines.be?.volume ?? '0')
  return { ...c, lines: { ...c.lines, be: { class: 'be', from: A, to: B, volume: String(prev + v) } } }
}
const plan = (start: number, v: number, extra: Partial<UsagePlan> = {}): UsagePlan =>
  ({ reporter: A, items: [{ border: AB, start, apply: addOut(v) }], answer: (a, d) => ({ accepted: a, duplicates: d }), ...extra })

describe('store: usage counters', () => {
  const backend: Backend = memory()
  let store: Store
  beforeEach(async () => { store = await backend.fresh() })
  afterEach(async () => { await store.close() })

  it('adds inside the serialised commit: 100 concurrent adds all count', async () => {
    await Promise.all(Array.from({ length: 100 }, async () => await store.addUsage(plan(1000, 1))))
    const c = await store.getUsage(AB, 1000)
    assert.equal(c?.lines.be?.volume, '100')
    assert.equal(c?.version, 100)
  })

  it('seals at a version: a seal from stale counters fails, later adds are refused as sealed', async () => {
    await store.addUsage(plan(1000, 5))
    const v = (await store.getUsage(AB, 1000))!.version
    await store.addUsage(plan(1000, 1))
    const stale = await store.batch().putReport({ border: AB, intervalStart: 1000, reporter: A, id: 'r1', bytes: bytes(1) }).sealUsage(AB, 1000, v, 'r1').write()
    assert.equal(stale.ok, false, 'a push landed after the counters were read')
    assert.equal(await store.getReport(AB, 1000, A), undefined, 'nothing of the failed batch was written')
    const fresh = await store.batch().putReport({ border: AB, intervalStart: 1000, reporter: A, id: 'r1', bytes: bytes(1) }).sealUsage(AB, 1000, v + 1, 'r1').write()
    assert.ok(fresh.ok)
    assert.deepEqual(await store.addUsage(plan(1000, 1)), { status: 'sealed', item: 0, border: AB, start: 1000, sealed: 'r1' })
    assert.equal((await store.getUsage(AB, 1000))?.lines.be?.volume, '6')
  })

  it('treats an interval with a stored report of ours as sealed, and a closed one too', async () => {
    await store.putReport({ border: AB, intervalStart: 2000, reporter: A, id: 'old', bytes: bytes(2) })
    assert.equal((await store.addUsage(plan(2000, 1))).status, 'sealed')
    await store.batch().closeUsage(AB, 3000, 'declined: no tariff').write()
    assert.deepEqual(await store.addUsage(plan(3000, 1)), { status: 'sealed', item: 0, border: AB, start: 3000, sealed: 'declined: no tariff' })
  })

  it('keys: a request key replays its first answer; an item key skips the repeat; another body is key-reused', async () => {
    const k = { key: 'request:x', digest: 'd1' }
    assert.deepEqual(await store.addUsage(plan(1000, 3, { key: k })), { status: 'added', answer: { accepted: 1, duplicates: 0 } })
    assert.deepEqual(await store.addUsage(plan(1000, 3, { key: k })), { status: 'replayed', answer: { accepted: 1, duplicates: 0 } })
    assert.deepEqual(await store.addUsage(plan(1000, 4, { key: { key: 'request:x', digest: 'd2' } })), { status: 'key-reused', key: 'request:x' })
    const item = { border: AB, start: 1000, key: { key: 'item:1', digest: 'i1' }, apply: addOut(10) }
    assert.deepEqual(await store.addUsage({ ...plan(1000, 0), items: [item, item] }), { status: 'added', answer: { accepted: 1, duplicates: 1 } })
    assert.deepEqual(await store.addUsage({ ...plan(1000, 0), items: [item] }), { status: 'added', answer: { accepted: 0, duplicates: 1 } })
    assert.equal((await store.addUsage({ ...plan(1000, 0), items: [{ ...item, key: { key: 'item:1', digest: 'other' } }] })).status, 'key-reused')
    assert.equal((await store.getUsage(AB, 1000))?.lines.be?.volume, '13')
  })

  it('a refused item writes nothing of its plan', async () => {
    const refuse = { border: AB, start: 1000, apply: () => ({ refused: 'too big' }) }
    const r = await store.addUsage({ ...plan(1000, 1), items: [{ border: AB, start: 1000, apply: addOut(1) }, refuse] })
    assert.deepEqual(r, { status: 'refused', item: 1, border: AB, start: 1000, reason: 'too big' })
    assert.equal(await store.getUsage(AB, 1000), undefined)
  })

  it('replaceUsage with expectOpen refuses a sealed interval', async () => {
    await store.batch().closeUsage(AB, 1000, 'unreportable').write()
    assert.equal((await store.batch().replaceUsage(AB, 1000, { lines: {}, metrics: {} }, true).write()).ok, false)
    assert.equal((await store.batch().replaceUsage(AB, 1000, { lines: {}, metrics: {} }, false).write()).ok, true)
    assert.equal((await store.getUsage(AB, 1000))?.sealed, undefined)
  })

  it('EMPTY_COUNTERS is version 0, unsealed', () => { assert.deepEqual(EMPTY_COUNTERS, { version: 0, lines: {}, metrics: {} }) })
})

describe('store: pages', () => {
  const backend: Backend = memory()
  let store: Store
  before(async () => {
    store = await backend.fresh()
    for (let p = 0; p < 7; p++) {
      await store.putStatement({ border: AB, periodStart: p * 100, id: `ab${p}`, bytes: bytes(p) })
      await store.putStatement({ border: AC, periodStart: p * 100, id: `ac${p}`, bytes: bytes(p) })
      await store.putAttestation({ border: AB, intervalStart: p * 10, id: `at${p}`, bytes: bytes(p) })
    }
  })
  after(async () => { await store.close() })

  const all = async (q: { border?: string, from?: number, to?: number, limit: number }): Promise<string[][]> => {
    const pages: string[][] = []
    let after: string | undefined
    for (let i = 0; i < 100; i++) {
      const p = await store.pageStatements({ ...q, ...(after !== undefined ? { after } : {}) })
      pages.push(p.items.map(s => s.id))
      if (p.next === undefined) return pages
      after = p.next
    }
    throw new Error('pages never end')
  }

  it('walks every statement once, in key order, a page at a time', async () => {
    const pages = await all({ limit: 3 })
    assert.deepEqual(pages.flat(), [...Array.from({ length: 7 }, (_, p) => `ab${p}`), ...Array.from({ length: 7 }, (_, p) => `ac${p}`)].sort((x, y) => (x.slice(0, 2) === y.slice(0, 2) ? Number(x.slice(2)) - Number(y.slice(2)) : x < y ? -1 : 1)))
    assert.ok(pages.every(p => p.length <= 3))
  })

  it('filters by border and time range, with the cursor inside the range', async () => {
    assert.deepEqual((await all({ border: AC, from: 200, to: 500, limit: 2 })).flat(), ['ac2', 'ac3', 'ac4'])
    assert.deepEqual((await all({ from: 600, limit: 1 })).flat(), ['ab6', 'ac6'])
    const att = await store.pageAttestations({ border: AB, from: 20, to: 40, limit: 10 })
    assert.deepEqual(att.items.map(a => [a.id, a.intervalStart]), [['at2', 20], ['at3', 30]])
  })

  it('refuses a page without a positive limit', async () => {
    await assert.rejects(store.pageStatements({ limit: 0 }), (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
  })
})

describe('store: owner', () => {
  it('records the first PeerId and refuses another', async () => {
    const store = await memory().fresh()
    assert.equal(await store.claimOwner(A), 'claimed')
    assert.equal(await store.claimOwner(A), 'same')
    await assert.rejects(store.claimOwner(C), (e: unknown) => e instanceof StoreError && e.code === 'owner' && e.message.includes(A))
    await store.close()
  })

  it('names the path of a data directory that cannot be created', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'splitedge-owner-'))
    const file = join(dir, 'a-file')
    await writeFile(file, 'not a directory')
    try {
      await assert.rejects(openStore({ path: join(file, 'db') }), (e: unknown) => e instanceof StoreError && e.code === 'io' && e.message.includes(join(file, 'db')))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
