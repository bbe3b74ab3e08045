/**
 * The clearing and evidence areas: written in one batch with the ledger, read back typed, refused
 * when they do not fit, and found under the meta keys older stores kept them in.
 */
import assert from 'node:assert/strict'
import {
  StoreError, clearingKeys, clearingRecords, equivocationArea, equivocationKey, readEquivocation,
  type ClearedRecord, type SettlementBatch, type Store
} from '../src/index.js'
import { memory, type Backend } from './backends.js'

const record: ClearedRecord = {
  receipt: 'bafyreceipt', local: '12D3KooWlocal', remote: '12D3KooWremote', role: 'receiver', class: 'be', volume: '1000',
  localCharge: '0.002000', share: '100', charge: '0.002000', margin: '0.000050', currency: 'EUR', decimals: 6, tariff: 'bafytariff',
  consent: null, time: 1_800_000_030_000, periodStart: 1_800_000_000_000, evidence: 'dispute', reason: 'unsolicited', receiptDoc: 'AAAA', consentDoc: null
}

describe('store: clearing and evidence areas', () => {
  const backend: Backend = memory()
  let store: Store
  beforeEach(async () => { store = await backend.fresh() })
  afterEach(async () => { await store.close().catch(() => {}) })
  after(async () => { await backend.cleanup() })

  it('writes a cleared receipt, its consent use, a batch and a counter with the ledger postings in one batch; reads them typed', async () => {
    const r = clearingRecords(store)
    const batch: SettlementBatch = { phase: 'open', operator: '12D3KooWremote', start: record.periodStart, closeAt: record.periodStart + 66_000, attempts: 0 }
    const w = await store.batch()
      .post({ id: record.receipt, debit: 'operator:x', credit: 'operator:y', amount: 2000n, currency: 'EUR', decimals: 6, ref: 'clear x', time: record.time })
      .put(r.receipts, clearingKeys.receipt(record.receipt), record)
      .put(r.consents, clearingKeys.consent('bafyconsent'), { volume: '1000' })
      .put(r.batches, clearingKeys.batch(batch.operator, batch.start), batch)
      .put(r.counters, clearingKeys.counter('receipt-seq'), 7)
      .put(r.settled, clearingKeys.settled('12D3KooWclearer', record.receipt, 'paid'), { statement: 'bafystatement' })
      .write()
    assert.ok(w.ok)
    store = await backend.reopen(store)
    const again = clearingRecords(store)
    assert.deepEqual(await again.receipt(record.receipt), record)
    assert.equal(await again.consentUsed('bafyconsent'), '1000')
    assert.deepEqual(await again.batch(batch.operator, batch.start), batch)
    assert.deepEqual(await again.allBatches(), [batch])
    assert.equal(await again.counter('receipt-seq'), 7)
    assert.equal(await again.counter('quotes'), 0)
    assert.equal(await again.settledBy('12D3KooWclearer', record.receipt, 'paid'), 'bafystatement')
    assert.equal(await again.settledBy('12D3KooWclearer', record.receipt, 'pays'), undefined)
  })

  it('refuses a batch state or a record that does not fit, before anything is written', async () => {
    const r = clearingRecords(store)
    // @ts-expect-error: a retrying batch needs its retry time
    assert.throws(() => store.batch().put(r.batches, ['op', '1'], { phase: 'retrying', operator: 'op', start: 1, closeAt: 2, attempts: 1 }), (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
    assert.throws(() => store.batch().put(r.receipts, ['x'], { ...record, role: 'both' as 'sender' }), StoreError)
    assert.deepEqual(await r.allBatches(), [])
  })

  it('finds the records an older store kept under clearing: and equivocation: meta keys, and reports a corrupt one', async () => {
    await store.putMeta(`clearing:receipt:${record.receipt}`, record)
    await store.putMeta('clearing:consent:bafyconsent', { volume: '5' })
    await store.putMeta('clearing:quotes', 3)
    await store.putMeta('clearing:receipt-seq', 41)
    await store.putMeta(`clearing:settled:C:${record.receipt}:pays`, 'bafyold')
    await store.putMeta('equivocation:12D3KooWissuer:4', { issuer: '12D3KooWissuer', seq: 4, documents: [{ id: 'a', bytes: '' }, { id: 'b', bytes: '' }] })
    const r = clearingRecords(store)
    assert.deepEqual(await r.receipt(record.receipt), record)
    assert.equal(await r.consentUsed('bafyconsent'), '5')
    assert.equal(await r.counter('quotes'), 3)
    assert.equal(await r.counter('receipt-seq'), 41)
    assert.equal(await r.settledBy('C', record.receipt, 'pays'), 'bafyold')
    assert.equal((await readEquivocation(store, '12D3KooWissuer', 4))?.documents.length, 2)
    // The area wins over the old key once written.
    await store.batch().put(r.counters, clearingKeys.counter('quotes'), 4).write()
    assert.equal(await r.counter('quotes'), 4)
    await store.batch().put(equivocationArea(store), equivocationKey('12D3KooWissuer', 5), { issuer: '12D3KooWissuer', seq: 5, documents: [{ id: 'c', bytes: '' }, { id: 'd', bytes: '' }] }).write()
    assert.deepEqual((await readEquivocation(store, '12D3KooWissuer', 5))?.documents.map(d => d.id), ['c', 'd'])
    await store.putMeta('clearing:consent:bad', { used: 1 })
    await assert.rejects(r.consentUsed('bad'), (e: unknown) => e instanceof StoreError && e.code === 'corrupt')
  })
})
