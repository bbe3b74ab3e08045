/**
 * Batch settlement survives a crash anywhere between its effects: the clearer is killed (its store
 * abandoned, as the simulator's crash does: nothing after that point is written) before a step,
 * while an offer is on its way, after the operator co-signed but before the clearer recorded it,
 * or after everything; a new clearer on the same data continues from the stored state alone, and
 * each batch settles exactly once on both sides. The operators are real ClearingParticipants with
 * their own stores and tariffs; the network is in-process.
 */
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { pino } from 'pino'
import { createMetrics } from '@splitedge/agent'
import { TariffView, type NetPort } from '@splitedge/node'
import { clearingKeys, clearingRecords, openStore, type Store } from '@splitedge/store'
import { docId, encodeDocument, sign, type Identity } from '@splitedge/wire'
import {
  BatchSettlement, ClearingBooks, ClearingParticipant, ReceiptClearing, Serial, type ClearerParts
} from '../src/index.js'
import { FakeHub } from './fake-net.js'
import { identities, memStore, pricing } from './fixtures.js'

const PERIOD = 60_000
const GRACE = 1_000
const T0 = 1_800_000_000_000 // a period boundary
const silent = pino({ level: 'silent' })

type Kill = 'before-step' | 'before-offer' | 'after-answer' | 'after-all'

/** A clearer's services over `store`, with a network port that can be made to die mid-request. */
function clearer (c: Identity, store: Store, hub: FakeHub, clock: { now: () => number }, names: Map<string, string>, kill: { at?: Kill, request?: number }) {
  const port = hub.port(c.peerId)
  let requests = 0
  const net: NetPort = {
    ...port,
    request: async (peer, protocol, bytes, opts) => {
      const n = requests++
      if (kill.at === 'before-offer' && kill.request === n) { store.abandon(); throw new Error('killed before the offer went out') }
      const answer = await port.request(peer, protocol, bytes, opts)
      if (kill.at === 'after-answer' && kill.request === n) { store.abandon(); throw new Error('killed with the answer in hand') }
      return answer
    }
  }
  const parts: ClearerParts = {
    identity: c, store, net, node: undefined, clock, log: silent, metrics: createMetrics(),
    records: clearingRecords(store), view: new TariffView(store), serial: new Serial(),
    nameOf: (p) => names.get(p) ?? p, serves: (op) => names.has(op)
  }
  const books = new ClearingBooks({ periodMs: PERIOD }, parts)
  return {
    parts,
    books,
    receipts: new ReceiptClearing({ margin: { percent: '2', fixed: '0.000010' }, periodMs: PERIOD, graceMs: GRACE, clockSkewMs: 5000 }, parts),
    settlement: new BatchSettlement({ periodMs: PERIOD, graceMs: GRACE, operators: [...names.keys()] }, { ...parts, books })
  }
}

/** A signed tariff of `id`, in force from an hour before T0, stored in every store given. */
async function publishTariff (id: Identity, price: string, stores: Store[]): Promise<void> {
  const s = sign(id, 'tariff', { issuer: id.peerId, seq: 1, previous: null, published: T0 - 3_600_000, effective: T0 - 3_600_000, noticeMs: 0, pricing: pricing(price) })
  assert.ok(s.ok)
  for (const st of stores) assert.equal(await st.putTariff({ issuer: id.peerId, seq: 1, id: docId(s.value), effective: s.value.body.effective, bytes: encodeDocument(s.value) }), 'created')
}

describe('clearing: batch settlement resumes from the store after a crash between effects', function () {
  this.timeout(30_000)

  const cases: Array<{ name: string, at: Kill, request?: number, killedAttempts: number }> = [
    { name: 'before the first step', at: 'before-step', killedAttempts: 1 },
    { name: 'while the first operator\'s offer is on its way', at: 'before-offer', request: 0, killedAttempts: 2 },
    { name: 'after the first operator co-signed, before the clearer recorded it', at: 'after-answer', request: 0, killedAttempts: 2 },
    { name: 'while the second operator\'s offer is on its way (the first settled)', at: 'before-offer', request: 1, killedAttempts: 2 },
    { name: 'after the second operator co-signed, before the clearer recorded it', at: 'after-answer', request: 1, killedAttempts: 2 },
    { name: 'after both batches settled', at: 'after-all', killedAttempts: 1 }
  ]

  for (const k of cases) {
    it(`killed ${k.name}: restarted, each batch settles once`, async () => {
      const [c, a, b] = await identities(3) as [Identity, Identity, Identity]
      const names = new Map([[a.peerId, 'A'], [b.peerId, 'B']])
      const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
      let store = await openStore({ db: db as never })
      const [storeA, storeB] = [await memStore(), await memStore()]
      await publishTariff(a, '0.000001', [store, storeA])
      await publishTariff(b, '0.000003', [store, storeB])
      const hub = new FakeHub()
      const metrics = createMetrics()
      const pa = await ClearingParticipant.attach({ ctx: { identity: a, store: storeA, net: hub.port(a.peerId), log: silent, metrics }, view: new TariffView(storeA) }, { clearers: [c.peerId] })
      const pb = await ClearingParticipant.attach({ ctx: { identity: b, store: storeB, net: hub.port(b.peerId), log: silent, metrics }, view: new TariffView(storeB) }, { clearers: [c.peerId] })
      let now = T0 + 30_000
      const clock = { now: () => now }
      const kill: { at?: Kill, request?: number } = { at: k.at, ...(k.request !== undefined ? { request: k.request } : {}) }

      // B's customer received 200000 octets from A's, who consented to pay: one receipt clears.
      const first = clearer(c, store, hub, clock, names, kill)
      const receipt = await pb.issueReceipt({ src: 'a::1', dst: 'b::2', class: 'be', volume: '200000', interval: { start: T0 - 60_000, length: 1000 } })
      const consent = pa.consent({ src: 'a::1', dst: 'b::2', class: 'be', maxVolume: '200000', share: '100', window: { start: T0 - 3_600_000, end: T0 + 3_600_000 } })
      const cleared = await first.receipts.clear({ receipt, role: 'receiver', remote: a.peerId, evidence: { kind: 'consent', consent } })
      assert.ok(cleared.ok, cleared.ok ? '' : cleared.error.message)
      assert.deepEqual((await first.parts.records.allBatches()).map(x => x.phase), ['open', 'open'])
      assert.deepEqual(await first.settlement.settleDue(), [], 'nothing to do while the period is open')

      now = T0 + PERIOD + GRACE
      if (k.at === 'before-step') store.abandon()
      const run = first.settlement.settleDue()
      if (k.at === 'after-all') {
        assert.deepEqual((await run).map(r => r.result), ['settled', 'settled'])
        store.abandon()
      } else {
        await assert.rejects(run, /closed|stopped/)
      }

      // The restart: a new store over the same database, new services, nothing kept in memory.
      now += 10
      store = await openStore({ db: db as never })
      const second = clearer(c, store, hub, clock, names, {})
      await second.settlement.settleDue()
      const batches = await second.parts.records.allBatches()
      assert.deepEqual(batches.map(x => x.phase), ['settled', 'settled'])
      const killedOp = k.request === undefined ? undefined : [...names.keys()].sort()[k.request]
      for (const x of batches) assert.equal(x.attempts, x.operator === killedOp ? k.killedAttempts : 1, `${names.get(x.operator) ?? ''}: offers made`)

      // Once: one statement per operator on each side, one net posting each, the books audit clean.
      const statements = await second.books.statements()
      assert.equal(statements.length, 2)
      assert.deepEqual((await pa.statements()).map(s => s.id), statements.filter(s => s.operator === a.peerId).map(s => s.id))
      assert.deepEqual((await pb.statements()).map(s => s.id), statements.filter(s => s.operator === b.peerId).map(s => s.id))
      const entries = await store.entries()
      assert.equal(entries.filter(e => e.ref.startsWith('settle ')).length, 2)
      for (const op of [storeA, storeB]) assert.equal((await op.entries()).filter(e => e.ref.startsWith('clearing ')).length, 1)
      assert.deepEqual(await second.books.audit(), { ok: true, problems: [] })
      assert.equal((await store.balances()).find(x => x.account === `operator:${a.peerId}`)?.net ?? 0n, 0n)

      // And again: nothing more happens.
      now += 3_600_000
      assert.deepEqual(await second.settlement.settleDue(), [])
      assert.equal((await store.entries()).length, entries.length)
    })
  }

  it('adopts periods cleared before batches were stored, once', async () => {
    const [c, a, b] = await identities(3) as [Identity, Identity, Identity]
    const names = new Map([[a.peerId, 'A'], [b.peerId, 'B']])
    const store = await memStore()
    await publishTariff(a, '0.000001', [store])
    await publishTariff(b, '0.000003', [store])
    const now = T0 + 30_000
    const x = clearer(c, store, new FakeHub(), { now: () => now }, names, {})
    const receipt = sign(b, 'receipt', { operator: b.peerId, seq: 1, src: 'a::1', dst: 'b::2', class: 'be', volume: '1000', interval: { start: T0 - 60_000, length: 1000 } })
    assert.ok(receipt.ok)
    const r = await x.receipts.clear({ receipt: receipt.value, role: 'receiver', remote: a.peerId, evidence: { kind: 'dispute', reason: 'unsolicited' } })
    assert.ok(r.ok)
    // As an older clearer left it: the ledger and the record, no batch.
    await store.batch().delete(x.parts.records.batches, clearingKeys.batch(a.peerId, T0)).delete(x.parts.records.batches, clearingKeys.batch(b.peerId, T0)).write()
    assert.deepEqual(await x.parts.records.allBatches(), [])
    assert.equal(await x.settlement.adopt(), 2)
    assert.equal(await x.settlement.adopt(), 0)
    assert.deepEqual((await x.parts.records.allBatches()).map(b => [b.phase, b.start, b.closeAt]), [['open', T0, T0 + PERIOD + GRACE], ['open', T0, T0 + PERIOD + GRACE]])
  })
})
