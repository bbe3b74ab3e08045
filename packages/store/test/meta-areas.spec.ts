// The owner as a typed area (an owner recorded by an older store is moved to it), and migrateMeta,
// which moves a namespace of untyped meta keys into a typed area.
import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import { MemoryLevel } from 'memory-level'
import { openStore, StoreError } from '../src/index.js'
import { classic, memory } from './backends.js'

const A = '12D3KooWAlice'
const C = '12D3KooWCarol'

describe('store: owner area', () => {
  for (const make of [memory, classic]) {
    it(`survives a restart as a typed record on ${make().name}`, async () => {
      const backend = make()
      let store = await backend.fresh()
      assert.equal(await store.claimOwner(A), 'claimed')
      store = await backend.reopen(store)
      assert.equal(await store.claimOwner(A), 'same')
      await assert.rejects(store.claimOwner(C), (e: unknown) => e instanceof StoreError && e.code === 'owner' && e.message.includes(A))
      assert.equal(await store.getMeta('owner'), undefined, 'not a meta key')
      await store.close()
      await backend.cleanup()
    })
  }

  it('takes over an owner that an older store kept as the meta key "owner", and still refuses another identity', async () => {
    const db = new MemoryLevel<string, Uint8Array>()
    const old = await openStore({ db })
    await old.putMeta('owner', A) // what claimOwner wrote before the owner area
    await old.close()
    let store = await openStore({ db })
    await assert.rejects(store.claimOwner(C), (e: unknown) => e instanceof StoreError && e.code === 'owner' && e.message.includes(A))
    assert.equal(await store.getMeta('owner'), A, 'a refused claim changes nothing')
    assert.equal(await store.claimOwner(A), 'same')
    assert.equal(await store.getMeta('owner'), undefined, 'moved to the area')
    await store.close()
    store = await openStore({ db })
    await assert.rejects(store.claimOwner(C), (e: unknown) => e instanceof StoreError && e.code === 'owner')
    assert.equal(await store.claimOwner(A), 'same')
    await store.close()
  })

  it('writes nothing when the owner is claimed again', async () => {
    const store = await openStore({ db: new MemoryLevel() })
    await store.claimOwner(A)
    const { batches } = store.stats()
    await store.claimOwner(A)
    assert.equal(store.stats().batches, batches)
    await store.close()
  })
})

describe('store: migrateMeta', () => {
  const Counter = { name: 'counter', schema: Type.Object({ n: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }) }

  it('moves the keys of one namespace that fit the schema, keeps the rest, and is idempotent', async () => {
    const store = await openStore({ db: new MemoryLevel() })
    for (let i = 0; i < 1100; i++) await store.putMeta(`count:${String(i).padStart(5, '0')}`, { n: i })
    await store.putMeta('count:bad', { n: -1 })
    await store.putMeta('count:skip', { n: 1 })
    await store.putMeta('counter', { n: 7 }) // shares the prefix "count", not the namespace "count:"
    await store.putMeta('other', { n: 1 })
    const area = store.area(Counter)
    const keyOf = (k: string): string[] | undefined => /^count:[0-9]+$/.test(k) ? [k.slice(6)] : undefined
    assert.deepEqual(await store.migrateMeta(area, 'count:', keyOf), { moved: 1100, kept: 2 })
    assert.deepEqual(await area.get('00042'), { n: 42 })
    assert.equal((await area.list()).length, 1100)
    assert.equal(await store.getMeta('count:00042'), undefined)
    assert.deepEqual(await store.getMeta('count:bad'), { n: -1 })
    assert.deepEqual(await store.getMeta('count:skip'), { n: 1 })
    assert.deepEqual(await store.getMeta('counter'), { n: 7 })
    assert.deepEqual(await store.migrateMeta(area, 'count:', keyOf), { moved: 0, kept: 2 })
    await store.close()
  })
})
