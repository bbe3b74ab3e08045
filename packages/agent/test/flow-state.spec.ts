/**
 * The flow collector's records in the store: typed areas (sequence states, counters per neighbour
 * and interval), and the meta keys of older agents moved into them when the collector starts.
 */
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { openStore, StoreError } from '@splitedge/store'
import { FLOW_COUNTERS, FlowState } from '../src/flow/state.js'

const PEER = '12D3KooWBob'

describe('flow collector state', () => {
  it('keeps sequence states and counters in typed areas, and refuses counters that do not fit', async () => {
    const store = await openStore({ db: new MemoryLevel() })
    const state = new FlowState(store)
    const batch = store.batch()
    state.putSequences(batch, new Map([['10.0.0.1|2055|0', { version: 10, seq: 7, all: 3, flows: 3, style: undefined }], ['10.0.0.1|2055|1', { version: 9, seq: 1, all: -1, flows: 0, style: 'post' }]]))
    state.putCounters(batch, PEER, 60_000, { lines: { 'be|in': { class: 'be', direction: 'in', octets: 10, packets: 1, records: 1 } } })
    assert.equal((await batch.write()).ok, true)
    assert.deepEqual([...(await state.sequences())], [['10.0.0.1|2055|0', { version: 10, seq: 7, all: 3, flows: 3, style: undefined }], ['10.0.0.1|2055|1', { version: 9, seq: 1, all: -1, flows: 0, style: 'post' }]])
    assert.equal((await state.counters(PEER, 60_000)).lines['be|in']?.octets, 10)
    assert.deepEqual(await state.counters(PEER, 120_000), { lines: {} })
    assert.throws(() => state.putCounters(store.batch(), PEER, 0, { lines: { x: { class: 'be', direction: 'in', octets: -1, packets: 0, records: 0 } } }), (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
    await store.close()
  })

  it('moves the meta keys of an older agent into the areas, once', async () => {
    const store = await openStore({ db: new MemoryLevel() })
    await store.putMeta('flow:sequences', { '10.0.0.1|2055|0': { version: 10, seq: 7, all: 3, flows: 3 } })
    await store.putMeta(`flows:${PEER}:${String(60_000).padStart(16, '0')}`, { lines: { 'be|out': { class: 'be', direction: 'out', octets: 5, packets: 2, records: 1 } } })
    await store.putMeta('flows-not-ours', 1)
    const state = new FlowState(store)
    await state.migrate()
    assert.deepEqual([...(await state.sequences())], [['10.0.0.1|2055|0', { version: 10, seq: 7, all: 3, flows: 3, style: undefined }]])
    assert.equal((await state.counters(PEER, 60_000)).lines['be|out']?.packets, 2)
    assert.deepEqual((await store.area(FLOW_COUNTERS).list()).map(r => r.key), [[PEER, '0000000000060000']])
    assert.equal(await store.getMeta('flow:sequences'), undefined)
    assert.equal(await store.getMeta(`flows:${PEER}:${String(60_000).padStart(16, '0')}`), undefined)
    assert.equal(await store.getMeta('flows-not-ours'), 1)
    await state.migrate()
    assert.equal((await state.counters(PEER, 60_000)).lines['be|out']?.packets, 2)
    await store.close()
  })
})
