import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import { StoreError, type Store } from '../src/index.js'
import { classic, memory, type Backend } from './backends.js'

const Retry = { name: 'retry', schema: Type.Object({ state: Type.Union([Type.Literal('due'), Type.Literal('done')]), attempts: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }) }
const Loose = { name: 'retry', schema: Type.Unknown() }

for (const make of [memory, classic]) {
  describe(`store: typed areas (${make().name})`, () => {
    const backend: Backend = make()
    let store: Store
    beforeEach(async () => { store = await backend.fresh() })
    afterEach(async () => { await store.close().catch(() => {}) })
    after(async () => { await backend.cleanup() })

    it('writes, reads, lists by prefix in key order, and deletes, inside one synced batch', async () => {
      const area = store.area(Retry)
      await store.batch().put(area, ['b1', '0002'], { state: 'due', attempts: 1 }).put(area, ['b1', '0001'], { state: 'done', attempts: 0 }).put(area, ['b2', '0001'], { state: 'due', attempts: 3 }).write()
      assert.deepEqual(await area.get('b1', '0002'), { state: 'due', attempts: 1 })
      assert.deepEqual((await area.list('b1')).map(r => r.key), [['b1', '0001'], ['b1', '0002']])
      assert.equal((await area.list()).length, 3)
      await store.batch().delete(area, ['b1', '0002']).write()
      assert.equal(await area.get('b1', '0002'), undefined)
      store = await backend.reopen(store)
      assert.deepEqual(await store.area(Retry).get('b2', '0001'), { state: 'due', attempts: 3 }, 'survives a restart')
    })

    it('refuses a value that does not fit the schema when it is added, before anything is written', async () => {
      const area = store.area(Retry)
      // @ts-expect-error: the type system refuses it too; this is what an untyped caller would get.
      assert.throws(() => store.batch().put(area, ['x'], { state: 'later', attempts: 1 }), (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
      assert.equal(await area.get('x'), undefined)
    })

    it('reports a stored value that no longer fits its schema as corrupt, and refuses one name with two specs', async () => {
      assert.throws(() => { store.area(Retry); store.area(Loose) }, (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
      store = await backend.reopen(store)
      await store.batch().put(store.area(Loose), ['x'], { state: 'later' }).write()
      store = await backend.reopen(store)
      await assert.rejects(store.area(Retry).get('x'), (e: unknown) => e instanceof StoreError && e.code === 'corrupt')
    })

    it('refuses key parts that could break the key order', async () => {
      const area = store.area(Retry)
      assert.throws(() => store.batch().put(area, ['a\x00b'], { state: 'due', attempts: 0 }), StoreError)
      assert.throws(() => store.batch().put(area, [''], { state: 'due', attempts: 0 }), StoreError)
    })
  })
}
