/**
 * The lifecycle records as stored: an interval's record moves between the work list and the done
 * list with its phase, the marks are kept per border, and a store written before the records
 * existed (meta keys `since:`/`scheduled:`, pending `interval`/`deliver` records, open usage
 * disputes) is carried over once, in one write.
 */
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { borderOf, openStore, type Store } from '@splitedge/store'
import { IntervalBook } from '../src/border/book.js'
import { migrateBorder } from '../src/border/migrate.js'
import { Locks } from '../src/border/run.js'

const ME = '12D3KooWA'
const PEER = '12D3KooWB'
const INTERVAL = 60_000
const T = 1_800_000_000_000 - (1_800_000_000_000 % INTERVAL)
const pad = (n: number): string => String(n).padStart(16, '0')

describe('lifecycle records in the store', () => {
  let store: Store
  let book: IntervalBook
  const clock = { now: () => T + 10 * INTERVAL }
  beforeEach(async () => {
    store = await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) })
    book = new IntervalBook(store, ME, { intervalMs: INTERVAL, graceMs: INTERVAL / 10 }, clock, new Locks())
  })
  afterEach(async () => { await store.close() })

  it('fixes `since` once, schedules every closed interval once, and lists work by phase', async () => {
    const since = await book.since(PEER)
    assert.equal(since, T + 10 * INTERVAL)
    clock.now = () => T + 13 * INTERVAL
    assert.equal(await book.since(PEER), since, 'fixed the first time the border is seen')
    await book.schedule(PEER)
    assert.deepEqual((await book.pending(PEER)).map(p => p.start), [since, since + INTERVAL])
    assert.equal(await book.scheduledUpTo(PEER), since + INTERVAL)
    await book.schedule(PEER)
    assert.equal((await book.pending()).length, 2, 'scheduling again adds nothing')
    const border = borderOf(ME, PEER)
    const lc = book.lifecycle
    await lc.putInterval(store.batch(), border, since, { phase: 'attested', attempts: 0, retryAt: 0, at: 1 }).write()
    assert.deepEqual(await book.deliveries(), [{ peer: PEER, start: since }])
    assert.deepEqual((await book.pending()).map(p => p.start), [since + INTERVAL])
    await lc.putInterval(store.batch(), border, since, { phase: 'delivered', attempts: 0, retryAt: 0, at: 2 }).write()
    assert.deepEqual(await book.deliveries(), [])
    assert.equal((await book.state(PEER, since)).phase, 'delivered', 'a done record is still read')
    assert.equal((await lc.intervalsAtWork(border)).length, 1, 'only work is on the work list')
  })

  it('carries a store written before the lifecycle records over, once', async () => {
    const border = borderOf(ME, PEER)
    const since = T
    await store.putMeta(`since:${border}`, since)
    await store.putMeta(`scheduled:${border}`, since + 3 * INTERVAL)
    await store.putPending('interval', `${PEER}:${pad(since + 3 * INTERVAL)}`, { peer: PEER, start: since + 3 * INTERVAL })
    await store.putPending('deliver', `${PEER}:${pad(since + INTERVAL)}`, { peer: PEER, start: since + INTERVAL })
    await store.putDispute({ kind: 'usage', border, key: pad(since + 2 * INTERVAL), detail: { interval: since + 2 * INTERVAL }, time: 1 })
    await store.putDispute({ kind: 'usage', border, key: pad(since), detail: { interval: since, reason: 'unreportable' }, time: 1 })
    assert.equal(await migrateBorder(store, book, PEER, clock.now()), true)
    assert.equal(await book.since(PEER), since)
    assert.equal(await book.scheduledUpTo(PEER), since + 3 * INTERVAL)
    assert.deepEqual(await book.pending(PEER), [{ peer: PEER, start: since + 3 * INTERVAL }])
    assert.deepEqual(await book.deliveries(), [{ peer: PEER, start: since + INTERVAL }])
    assert.equal((await book.state(PEER, since + 2 * INTERVAL)).phase, 'disputed')
    assert.equal((await book.state(PEER, since)).phase, 'unreportable')
    assert.deepEqual(await store.listPending('interval'), [], 'the old pending records are gone')
    assert.deepEqual(await store.listPending('deliver'), [])
    assert.equal(await migrateBorder(store, book, PEER, clock.now()), false, 'once')
  })

  it('leaves a new border alone', async () => {
    assert.equal(await migrateBorder(store, book, PEER, clock.now()), false)
    assert.equal(await book.scheduledUpTo(PEER), undefined)
  })
})
