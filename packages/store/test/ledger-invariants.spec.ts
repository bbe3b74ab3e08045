// The ledger's invariants hold before the synced write: a batch that would break one is refused
// and writes nothing. Refusals the ledger's own planning makes come back as result codes; the
// check on the planned writes (invariants.ts) is exercised with steps that write the ledger's
// sublevels directly, as a buggy step would.
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { encodeJson } from '../src/codec.js'
import { join, pad } from '../src/keys.js'
import { CHART, openStore, StoreError, type Chart, type Store, type StoreErrorCode, type Transfer } from '../src/index.js'
import { PrefixSub, type Sub, type Tx } from '../src/tx.js'

const EUR = (id: string, debit: string, credit: string, amount: bigint, decimals = 2): Transfer => ({ id, debit, credit, amount, currency: 'EUR', decimals, ref: 'r', time: 1 })

interface Raw { db: MemoryLevel<string, Uint8Array>, store: Store, sub: (name: string) => Sub }

/** `prefixed`: record kinds as key prefixes of the database, as the simulator opens its stores. */
async function fresh (chart?: Chart, prefixed = false): Promise<Raw> {
  const db = new MemoryLevel<string, Uint8Array>()
  const store = await openStore({ db, prefixed, ...(chart !== undefined ? { chart } : {}) })
  const sub = (name: string): Sub => prefixed ? new PrefixSub(db, name) : db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
  return { db, store, sub }
}

/** Everything the store holds, to show a refused batch wrote nothing. */
async function snapshot (r: Raw): Promise<string> {
  const out: string[] = []
  for await (const [k, v] of r.db.iterator({ keyEncoding: 'utf8', valueEncoding: 'view' })) out.push(`${k}=${Buffer.from(v).toString('hex')}`)
  return JSON.stringify({ out, stats: r.store.stats(), check: await r.store.checkLedger() })
}

const balance = (debits: bigint, credits: bigint, decimals = 2): Uint8Array => encodeJson({ debits: String(debits), credits: String(credits), decimals })

/** The records planPost writes for `t` at `seq` on accounts that had not moved, each of which a test may change. */
function records (t: Transfer, seq: number): Array<[string, string, Uint8Array]> {
  const id = new TextEncoder().encode(t.id)
  return [
    ['ledger-transfer', t.id, encodeJson({ id: t.id, debit: t.debit, credit: t.credit, amount: String(t.amount), currency: t.currency, decimals: t.decimals, ref: t.ref, time: t.time, seq })],
    ['ledger-log', pad(seq, 'seq'), id],
    ['ledger-account', join(t.debit, pad(seq, 'seq')), id],
    ['ledger-account', join(t.credit, pad(seq, 'seq')), id],
    ['ledger-balance', join(t.debit, t.currency), balance(t.amount, 0n, t.decimals)],
    ['ledger-balance', join(t.credit, t.currency), balance(0n, t.amount, t.decimals)]
  ]
}

/** Commits one step that writes `ops` as they are (the ledger sequence advanced by `seqs`). */
async function rawWrite (r: Raw, ops: Array<[string, string, Uint8Array | null]>, seqs = 0): Promise<unknown> {
  return await r.store.commit([async (tx: Tx, led) => {
    for (const [name, key, value] of ops) {
      if (value === null) await tx.del(r.sub(name), key)
      else await tx.put(r.sub(name), key, value)
    }
    led.nextSeq += seqs
    return 'done'
  }])
}

const refusedWith = (code: StoreErrorCode, pattern: RegExp) => (e: unknown): boolean => e instanceof StoreError && e.code === code && pattern.test(e.message)

for (const prefixed of [false, true]) {
describe(`ledger invariants${prefixed ? ' (a prefixed store, as the simulator opens)' : ''}: checked on the planned state, before the synced write`, () => {
  let r: Raw
  beforeEach(async () => {
    r = await fresh(undefined, prefixed)
    // Pin EUR at 2 decimals with one posting every test starts from.
    assert.equal(await r.store.post(EUR('t0', 'interconnect:expense', 'neighbour:B', 100n)), 'created')
  })
  afterEach(async () => { await r.store.close() })

  it('a complete, correct write done by hand passes (the check accepts what planPost writes)', async () => {
    await rawWrite(r, records(EUR('t1', 'bank', 'margin', 5n), 1), 1)
    assert.deepEqual(await r.store.checkLedger(), { ok: true, problems: [] })
    assert.equal((await r.store.balance('margin', 'EUR')).net, -5n)
  })

  it('zero-sum: a balance that changes alone is refused (ledger-unbalanced), nothing written', async () => {
    const before = await snapshot(r)
    await assert.rejects(rawWrite(r, [['ledger-balance', join('bank', 'EUR'), balance(5n, 0n)]]), refusedWith('ledger-unbalanced', /EUR balances would change by 5/))
    assert.equal(await snapshot(r), before)
  })

  it('a transfer without its balance moves (half posted) is refused', async () => {
    const before = await snapshot(r)
    const half = records(EUR('t1', 'bank', 'margin', 5n), 1).filter(([name]) => name !== 'ledger-balance')
    await assert.rejects(rawWrite(r, half, 1), refusedWith('ledger-invariant', /moved by a transfer but not written/))
    assert.equal(await snapshot(r), before)
  })

  it('balances that do not match their transfers are refused, even when they sum to zero', async () => {
    const before = await snapshot(r)
    const ops = records(EUR('t1', 'bank', 'margin', 5n), 1).map(([n, k, v]): [string, string, Uint8Array] => n === 'ledger-balance' ? [n, k, k.startsWith('bank') ? balance(6n, 0n) : balance(0n, 6n)] : [n, k, v])
    await assert.rejects(rawWrite(r, ops, 1), refusedWith('ledger-invariant', /changes by 6\/0, its transfers move 5\/0/))
    assert.equal(await snapshot(r), before)
  })

  it('accounts: an account not in the chart is refused, by post (unknown-account) and on the planned writes', async () => {
    const before = await snapshot(r)
    assert.equal(await r.store.post(EUR('t1', 'bank', 'settlement:B', 5n)), 'unknown-account')
    assert.deepEqual(await r.store.postAll([EUR('t1', 'bank', 'margin', 5n), EUR('t2', 'payable', 'bank', 5n)]), { ok: false, results: ['linked-failed', 'unknown-account'] })
    assert.equal(await r.store.batch().putStatement({ border: 'A|B', periodStart: 0, id: 's', bytes: new Uint8Array() }).post(EUR('t1', 'neighbour:', 'bank', 5n)).write().then(o => o.ok), false)
    await assert.rejects(rawWrite(r, records(EUR('t1', 'bank', 'settlement:B', 5n), 1), 1), refusedWith('ledger-invariant', /account settlement:B is not in the chart/))
    assert.equal(await snapshot(r), before)
  })

  it('decimals per currency: another number of decimals is refused (decimals-mismatch, and on the planned writes); so is re-pinning a currency', async () => {
    const before = await snapshot(r)
    assert.equal(await r.store.post(EUR('t1', 'bank', 'margin', 5n, 6)), 'decimals-mismatch')
    await assert.rejects(rawWrite(r, records(EUR('t1', 'bank', 'margin', 5n, 6), 1), 1), refusedWith('ledger-invariant', /EUR has 2 decimals, not 6/))
    await assert.rejects(rawWrite(r, [['ledger-currency', 'EUR', encodeJson({ decimals: 6 })]]), refusedWith('ledger-invariant', /pinned already/))
    assert.equal(await snapshot(r), before)
  })

  it('amounts: zero and negative amounts are refused (amount-must-be-positive, and on the planned writes)', async () => {
    const before = await snapshot(r)
    assert.equal(await r.store.post(EUR('t1', 'bank', 'margin', 0n)), 'amount-must-be-positive')
    assert.equal(await r.store.post(EUR('t1', 'bank', 'margin', -5n)), 'amount-must-be-positive')
    const negative = records(EUR('t1', 'bank', 'margin', 5n), 1).map(([n, k, v]): [string, string, Uint8Array] =>
      n === 'ledger-transfer' ? [n, k, encodeJson({ id: 't1', debit: 'bank', credit: 'margin', amount: '-5', currency: 'EUR', decimals: 2, ref: 'r', time: 1, seq: 1 })] : [n, k, v])
    await assert.rejects(rawWrite(r, negative, 1), refusedWith('ledger-invariant', /amount -5 is not positive/))
    assert.equal(await snapshot(r), before)
  })

  it('immutability: rewriting or deleting a posted transfer is refused', async () => {
    const before = await snapshot(r)
    await assert.rejects(rawWrite(r, records(EUR('t0', 'interconnect:expense', 'neighbour:B', 100n), 1), 1), refusedWith('ledger-invariant', /t0 exists: transfers are immutable/))
    await assert.rejects(rawWrite(r, [['ledger-transfer', 't0', null]]), refusedWith('ledger-invariant', /never deleted/))
    assert.equal(await snapshot(r), before)
  })

  it('indexes: a transfer missing from the log, or at a sequence number the ledger did not allot, is refused', async () => {
    const before = await snapshot(r)
    const unlogged = records(EUR('t1', 'bank', 'margin', 5n), 1).filter(([name]) => name !== 'ledger-log')
    await assert.rejects(rawWrite(r, unlogged, 1), refusedWith('ledger-invariant', /indexes do not list/))
    await assert.rejects(rawWrite(r, records(EUR('t1', 'bank', 'margin', 5n), 1), 0), refusedWith('ledger-invariant', /sequence moves from 1 to 1/))
    assert.equal(await snapshot(r), before)
  })

  it('currency codes and decimals outside the protocol\'s are refused when the transfer is added', async () => {
    const invalid = (e: unknown): boolean => e instanceof StoreError && e.code === 'invalid-argument'
    assert.throws(() => r.store.batch().post({ ...EUR('t1', 'bank', 'margin', 5n), currency: 'eur' }), invalid)
    assert.throws(() => r.store.batch().post(EUR('t1', 'bank', 'margin', 5n, 19)), invalid)
    await assert.rejects(rawWrite(r, [...records({ ...EUR('t1', 'bank', 'margin', 5n), currency: 'X' }, 1), ['ledger-currency', 'X', encodeJson({ decimals: 2 })]], 1), refusedWith('ledger-invariant', /currency X with 2 decimals is not allowed/))
  })

  it('currency rule: an account of a single-currency kind refuses a second currency (currency-not-allowed)', async () => {
    const single: Chart = { ...CHART, kinds: CHART.kinds.map(k => k.name === 'bank' ? { ...k, currencies: 'single' } : k) }
    const s = await fresh(single, prefixed)
    try {
      assert.equal(await s.store.post(EUR('t1', 'bank', 'margin', 5n)), 'created')
      assert.equal(await s.store.post({ ...EUR('t2', 'bank', 'margin', 5n), currency: 'USD' }), 'currency-not-allowed')
      assert.equal(await s.store.post({ ...EUR('t2', 'margin', 'operator:B', 5n), currency: 'USD' }), 'created', 'margin takes any currency')
      const usd = (t: Transfer): Transfer => ({ ...t, currency: 'USD' })
      await assert.rejects(rawWrite(s, records(usd(EUR('t3', 'bank', 'operator:C', 5n)), 2), 1), refusedWith('ledger-invariant', /account bank may move in one currency/))
    } finally {
      await s.store.close()
    }
  })
})
}
