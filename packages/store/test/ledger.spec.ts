import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { openStore, StoreError, type PostResult, type Transfer } from '../src/index.js'
import { classic, memory, type Backend } from './backends.js'

const FAILS = new Set<PostResult>(['conflict', 'amount-must-be-positive', 'accounts-must-differ', 'unknown-account', 'decimals-mismatch'])
/** The accounts the model knows are in the chart (the generator also sends one that is not). */
const CHARTED = new Set(['neighbour:QmB', 'neighbour:QmC', 'interconnect:revenue', 'interconnect:expense', 'bank'])

/** A plain in-memory ledger written from the rules, to compare the store against. */
class Model {
  transfers = new Map<string, Transfer>()
  decimals = new Map<string, number>()
  nets = new Map<string, bigint>() // account \0 currency -> debits - credits

  clone (): Model {
    const m = new Model()
    m.transfers = new Map(this.transfers)
    m.decimals = new Map(this.decimals)
    m.nets = new Map(this.nets)
    return m
  }

  post (t: Transfer): PostResult {
    const prev = this.transfers.get(t.id)
    if (prev !== undefined) {
      const same = prev.debit === t.debit && prev.credit === t.credit && prev.amount === t.amount &&
        prev.currency === t.currency && prev.decimals === t.decimals && prev.ref === t.ref && prev.time === t.time
      return same ? 'exists' : 'conflict'
    }
    if (t.amount <= 0n) return 'amount-must-be-positive'
    if (t.debit === t.credit) return 'accounts-must-differ'
    if (!CHARTED.has(t.debit) || !CHARTED.has(t.credit)) return 'unknown-account'
    const d = this.decimals.get(t.currency)
    if (d !== undefined && d !== t.decimals) return 'decimals-mismatch'
    this.decimals.set(t.currency, t.decimals)
    this.transfers.set(t.id, t)
    const k = (a: string): string => `${a}\x00${t.currency}`
    this.nets.set(k(t.debit), (this.nets.get(k(t.debit)) ?? 0n) + t.amount)
    this.nets.set(k(t.credit), (this.nets.get(k(t.credit)) ?? 0n) - t.amount)
    return 'created'
  }
}

const account = fc.constantFrom('neighbour:QmB', 'neighbour:QmC', 'interconnect:revenue', 'interconnect:expense', 'bank', 'settlement:QmB')
const transfer: fc.Arbitrary<Transfer> = fc.record({
  id: fc.constantFrom('t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'),
  debit: account,
  credit: account,
  amount: fc.oneof(fc.bigInt({ min: -2n, max: 1000n }), fc.bigInt({ min: 1n, max: 10n ** 30n })),
  currency: fc.constantFrom('EUR', 'USD'),
  decimals: fc.constantFrom(2, 2, 2, 6),
  ref: fc.constantFrom('', 'statement-1'),
  time: fc.nat({ max: 5 })
})
type Op = { type: 'post', t: Transfer } | { type: 'retry', pick: number } | { type: 'postAll', ts: Transfer[] }
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constant('post' as const), t: transfer }),
  fc.record({ type: fc.constant('retry' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('postAll' as const), ts: fc.array(transfer, { minLength: 1, maxLength: 4 }) })
)

describe('ledger', () => {
  it('matches a model ledger on random postings, retries and linked batches; balances sum to zero', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const store = await openStore({ db: new MemoryLevel() })
      let model = new Model()
      const sent: Transfer[] = []
      for (const o of ops) {
        if (o.type === 'postAll') {
          const trial = model.clone()
          const expected = o.ts.map(t => trial.post(t))
          const ok = expected.every(r => !FAILS.has(r))
          if (ok) model = trial
          const got = await store.postAll(o.ts)
          assert.deepEqual(got, { ok, results: ok ? expected : expected.map(r => FAILS.has(r) ? r : 'linked-failed') })
          sent.push(...o.ts)
        } else {
          // A retry re-sends exactly something sent before: it must never post twice.
          const t = o.type === 'post' ? o.t : sent[o.pick % Math.max(1, sent.length)]
          if (t === undefined) continue
          assert.equal(await store.post(t), model.post(t))
          sent.push(t)
        }
      }
      const balances = await store.balances()
      const nets = new Map(balances.map(b => [`${b.account}\x00${b.currency}`, b.net]))
      assert.deepEqual(nets, model.nets)
      for (const currency of ['EUR', 'USD']) {
        assert.equal(balances.filter(b => b.currency === currency).reduce((s, b) => s + b.net, 0n), 0n)
      }
      const entries = await store.entries()
      assert.deepEqual(entries.map(e => e.seq), entries.map((_, i) => i))
      assert.deepEqual(new Set(entries.map(e => e.id)), new Set(model.transfers.keys()))
      assert.equal(entries.length, model.transfers.size)
      for (const e of entries) assert.deepEqual({ ...e, seq: undefined }, { ...model.transfers.get(e.id), seq: undefined })
      assert.deepEqual(await store.checkLedger(), { ok: true, problems: [] })
      await store.close()
    }), { numRuns: 150 })
  })

  for (const backend of [memory(), memory(true), classic()] as Backend[]) {
    it(`posts, lists per account and restores on ${backend.name}`, async () => {
      let store = await backend.fresh()
      const t = (id: string, debit: string, credit: string, amount: bigint): Transfer =>
        ({ id, debit, credit, amount, currency: 'EUR', decimals: 2, ref: 'st', time: 1 })
      assert.equal(await store.post(t('1', 'interconnect:expense', 'neighbour:B', 500n)), 'created')
      assert.equal(await store.post(t('2', 'neighbour:B', 'neighbour:BB', 200n)), 'created')
      assert.equal(await store.post(t('1', 'interconnect:expense', 'neighbour:B', 500n)), 'exists')
      assert.equal(await store.post(t('1', 'interconnect:expense', 'neighbour:B', 501n)), 'conflict')
      assert.equal(await store.post({ ...t('3', 'bank', 'margin', 1n), decimals: 6 }), 'decimals-mismatch')
      assert.equal(await store.post(t('3', 'bank', 'bank', 1n)), 'accounts-must-differ')
      assert.equal(await store.post(t('3', 'bank', 'margin', 0n)), 'amount-must-be-positive')
      assert.equal(await store.post(t('3', 'bank', 'settlement:B', 1n)), 'unknown-account')
      await assert.rejects(store.post({ ...t('3', 'bank', 'margin', 1n), amount: 1 as unknown as bigint }), StoreError)
      assert.deepEqual(await store.balance('neighbour:B', 'EUR'), { account: 'neighbour:B', currency: 'EUR', decimals: 2, debits: 200n, credits: 500n, net: -300n })
      assert.equal((await store.balance('nobody', 'EUR')).net, 0n)
      assert.deepEqual((await store.entries('neighbour:B')).map(e => e.id), ['1', '2'])
      assert.deepEqual((await store.entries('interconnect:expense')).map(e => e.id), ['1'])
      assert.deepEqual((await store.entries('neighbour:BB')).map(e => e.id), ['2'])
      assert.deepEqual((await store.balances('neighbour:B')).map(b => [b.account, b.currency]), [['neighbour:B', 'EUR']]) // no prefix bleed into neighbour:BB
      assert.equal((await store.getTransfer('2'))?.amount, 200n)
      const outcome = await store.postAll([t('4', 'bank', 'margin', 5n), t('5', 'margin', 'margin', 5n)])
      assert.deepEqual(outcome, { ok: false, results: ['linked-failed', 'accounts-must-differ'] })
      assert.equal(await store.getTransfer('4'), undefined)
      store = await backend.reopen(store)
      assert.deepEqual(await store.checkLedger(), { ok: true, problems: [] })
      assert.equal((await store.balance('neighbour:B', 'EUR')).net, -300n)
      await store.close()
      await backend.cleanup()
    })
  }

  it('refuses to open a ledger whose balances do not sum to zero, and checkLedger finds tampering', async () => {
    const db = new MemoryLevel<string, string>()
    const store = await openStore({ db })
    await store.post({ id: '1', debit: 'bank', credit: 'margin', amount: 5n, currency: 'EUR', decimals: 2, ref: '', time: 0 })
    const balances = db.sublevel<string, object>('ledger-balance', { valueEncoding: 'json' })
    // Tamper while keeping the sum at zero: only the full check notices.
    await balances.put('bank\x00EUR', { debits: '7', credits: '0', decimals: 2 })
    await balances.put('margin\x00EUR', { debits: '0', credits: '7', decimals: 2 })
    const report = await store.checkLedger()
    assert.equal(report.ok, false)
    assert.equal(report.problems.length, 2)
    await store.close()
    // Now break the sum: a restart refuses to run on it.
    await balances.put('margin\x00EUR', { debits: '0', credits: '5', decimals: 2 })
    await assert.rejects(openStore({ db }), (e: unknown) => e instanceof StoreError && e.code === 'ledger-unbalanced')
  })
})
