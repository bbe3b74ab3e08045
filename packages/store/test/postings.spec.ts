// postingsOf gives exactly the transfers that the three places which post a co-signed statement
// build today. Each `reference*` function below is a copy of that construction (as of this
// commit), changed only to collect the transfers instead of adding them to a batch:
//   - agent:       SettleService.post           packages/agent/src/settle/service.ts
//   - clearer:     Clearer.settleOnce           packages/clearing/src/clearer.ts
//   - participant: ClearingParticipant.check    packages/clearing/src/participant.ts
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { add, dec, format } from '@splitedge/model'
import { cosign, docId, encodeDocument, generateIdentity, sign, type ClearingLine, type ClearingStatement, type Identity, type SettlementStatement } from '@splitedge/wire'
import { openStore, postingsOf, StoreError, toMinorUnits, type Transfer } from '../src/index.js'

interface Collect { post: (t: Transfer) => void, out: Transfer[] }
const collect = (): Collect => { const out: Transfer[] = []; return { out, post: (t) => { out.push(t) } } }

// ---- the three constructions, copied --------------------------------------------------------

/** SettleService.post (packages/agent/src/settle/service.ts), `me` our PeerId, `peer` the neighbour. */
function referenceAgent (doc: SettlementStatement, me: string, peer: string): Transfer[] {
  const batch = collect()
  const id = docId(doc)
  const net = doc.body.net // what border[0] pays border[1]
  const iPay = doc.body.border[0] === me ? !net.startsWith('-') : net.startsWith('-')
  const amount = toMinorUnits(net.replace(/^-/, ''), doc.body.decimals)
  if (amount === 0n) return batch.out
  const account = `neighbour:${peer}`
  batch.post({
    id,
    debit: iPay ? 'interconnect:expense' : account,
    credit: iPay ? account : 'interconnect:revenue',
    amount,
    currency: doc.body.currency,
    decimals: doc.body.decimals,
    ref: `statement ${id} period ${doc.body.period.start}-${doc.body.period.end}`,
    time: doc.body.period.end
  })
  return batch.out
}

/** Clearer.settleOnce (packages/clearing/src/clearer.ts), `operator` the operator settled with. */
function referenceClearer (full: ClearingStatement, operator: string): Transfer[] {
  const opAccount = (op: string): string => `operator:${op}`
  const batch = collect()
  const id = docId(full)
  const amount = toMinorUnits(full.body.net.replace(/^-/, ''), full.body.decimals)
  if (amount > 0n) {
    const opPays = !full.body.net.startsWith('-')
    batch.post({
      id, debit: opPays ? 'bank' : opAccount(operator), credit: opPays ? opAccount(operator) : 'bank',
      amount, currency: full.body.currency, decimals: full.body.decimals, ref: `settle ${id}`, time: full.body.period.end
    })
  }
  return batch.out
}

/**
 * ClearingParticipant.check (packages/clearing/src/participant.ts): the postings built line by
 * line (`localAddr`/`remoteAddr` from each line's receipt: here `customers[i]`), then posted.
 */
function referenceParticipant (full: ClearingStatement, clearer: string, customers: readonly string[]): Transfer[] {
  const b = full.body
  const postings: Array<{ debit: string, credit: string, amount: string }> = []
  for (const [i, l] of b.lines.entries()) {
    const localAddr = customers[i] ?? ''
    const remoteAddr = customers[i] ?? ''
    if (l.side === 'paid') {
      postings.push({ debit: `clearer:${clearer}`, credit: `customer:${localAddr}`, amount: l.charge })
    } else {
      const amount = add(dec(l.charge), dec(l.margin))
      postings.push({ debit: `customer:${remoteAddr}`, credit: `clearer:${clearer}`, amount: format(amount) })
    }
  }
  const batch = collect()
  const id = docId(full)
  postings.forEach((p, i) => {
    const amount = toMinorUnits(p.amount, b.decimals)
    if (amount > 0n) batch.post({ id: `${id}:${i}`, debit: p.debit, credit: p.credit, amount, currency: b.currency, decimals: b.decimals, ref: `clearing ${id}`, time: b.period.end })
  })
  return batch.out
}

// ---- documents --------------------------------------------------------------------------------

const PERIOD = { start: 1_800_000_000_000, end: 1_800_003_600_000 }
/** Document ids (CIDv1 dag-cbor sha2-256 in base32): their form is all the schema checks. */
const fakeId = (c: string): string => 'bafyrei' + c.repeat(52)
const RECEIPTS = ['a', 'b', 'c'].map(fakeId)
const TARIFF = fakeId('t')

let a: Identity
let b: Identity
let clearerId: Identity

function settlement (net: string, decimals: number): SettlementStatement {
  const border: [string, string] = a.peerId < b.peerId ? [a.peerId, b.peerId] : [b.peerId, a.peerId]
  const one = sign(a, 'settlement-statement', { border, period: PERIOD, currency: 'EUR', decimals, attestations: [], lines: [], net })
  assert.ok(one.ok)
  const both = cosign(b, one.value)
  assert.ok(both.ok)
  return both.value
}

function clearing (net: string, decimals: number, lines: ClearingLine[]): ClearingStatement {
  const one = sign(clearerId, 'clearing-statement', { clearer: clearerId.peerId, operator: a.peerId, period: PERIOD, currency: 'EUR', decimals, lines, net })
  assert.ok(one.ok, one.ok ? '' : one.error.message)
  const both = cosign(a, one.value)
  assert.ok(both.ok)
  return both.value
}

/** A decimal string with at most `places` decimal places, possibly negative. */
const decimalText = (places: number, negative: boolean): fc.Arbitrary<string> =>
  fc.tuple(fc.bigInt({ min: negative ? -(10n ** 12n) : 0n, max: 10n ** 12n }), fc.nat({ max: places })).map(([units, p]) => {
    const neg = units < 0n
    const digits = (neg ? -units : units).toString().padStart(p + 1, '0')
    return (neg ? '-' : '') + (p === 0 ? digits : `${digits.slice(0, -p)}.${digits.slice(-p)}`)
  })

const line = (decimals: number): fc.Arbitrary<Omit<ClearingLine, 'receipt'>> => fc.oneof(
  fc.record({ side: fc.constant('paid' as const), charge: decimalText(decimals, true), margin: fc.constantFrom('0', '0.00') }),
  fc.record({ side: fc.constant('pays' as const), charge: decimalText(decimals, true), margin: decimalText(decimals, true) })
).map(l => ({ ...l, class: 'be', volume: '1000', tariff: TARIFF }))

describe('postingsOf: one statement -> postings function for the three call sites', () => {
  before(async () => {
    a = await generateIdentity()
    b = await generateIdentity()
    clearerId = await generateIdentity()
  })

  it('agent (SettleService): the same transfers in either party\'s books, for any net', () => {
    const cases = fc.sample(fc.constantFrom(0, 2, 6, 18).chain(d => fc.tuple(fc.constant(d), decimalText(d, true))), 120)
    for (const [decimals, net] of [...cases, [6, '0'], [6, '-0.000001'], [2, '12.30']] as Array<[number, string]>) {
      const doc = settlement(net, decimals)
      for (const [me, peer] of [[a.peerId, b.peerId], [b.peerId, a.peerId]] as const) {
        assert.deepEqual(postingsOf(doc, { of: 'party', self: me }), referenceAgent(doc, me, peer), `${net} in ${me === a.peerId ? 'a' : 'b'}'s books`)
      }
    }
  })

  it('clearer (Clearer.settleOnce): the same transfers for any net', () => {
    const cases = fc.sample(fc.constantFrom(0, 2, 6).chain(d => fc.tuple(fc.constant(d), decimalText(d, true))), 80)
    for (const [decimals, net] of [...cases, [2, '0'], [2, '-0.01'], [2, '7']] as Array<[number, string]>) {
      const doc = clearing(net, decimals, [])
      assert.deepEqual(postingsOf(doc, { of: 'clearer' }), referenceClearer(doc, a.peerId), net)
    }
  })

  it('participant (ClearingParticipant.check): the same transfers for any lines, zero and negative ones included', () => {
    const cases = fc.sample(fc.constantFrom(0, 2, 6).chain(d => fc.tuple(fc.constant(d), fc.array(line(d), { maxLength: 3 }))), 80)
    for (const [decimals, lines] of cases) {
      const doc = clearing('1', decimals, lines.map((l, i) => ({ ...l, receipt: RECEIPTS[i] ?? TARIFF })))
      const customers = lines.map((_, i) => i % 2 === 0 ? `10.0.0.${i}` : `2001:db8::${i}`)
      assert.deepEqual(postingsOf(doc, { of: 'operator', customers }), referenceParticipant(doc, clearerId.peerId, customers), JSON.stringify(lines))
    }
  })

  it('refuses books that do not fit the statement', () => {
    const doc = settlement('1', 2)
    assert.throws(() => postingsOf(doc, { of: 'party', self: clearerId.peerId }), (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
    const cl = clearing('1', 2, [{ receipt: RECEIPTS[0] ?? '', side: 'paid', class: 'be', volume: '1', charge: '1', margin: '0', tariff: TARIFF }])
    assert.throws(() => postingsOf(cl, { of: 'operator', customers: [] }), (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument')
  })

  it('putPostedStatement stores the statement and posts it in one write; a retry writes nothing; a refused posting stores nothing', async () => {
    const store = await openStore({ db: new MemoryLevel() })
    const doc = settlement('-2.50', 2)
    const me = doc.body.border[0]
    const record = { border: `${doc.body.border[0]}|${doc.body.border[1]}`, periodStart: PERIOD.start, id: docId(doc), bytes: encodeDocument(doc) }
    const postings = postingsOf(doc, { of: 'party', self: me })
    assert.deepEqual(await store.batch().putPostedStatement(record, postings).write(), { ok: true, results: ['created', 'created'] })
    assert.equal((await store.balance('interconnect:revenue', 'EUR')).credits, 250n)
    assert.deepEqual(await store.batch().putPostedStatement(record, postings).write(), { ok: true, results: ['exists', 'exists'] })
    assert.equal((await store.entries()).length, 1)
    const other = { ...record, periodStart: PERIOD.end }
    const bad = postings.map(t => ({ ...t, id: `${t.id}:2`, credit: 'revenue' }))
    assert.deepEqual(await store.batch().putPostedStatement(other, bad).write(), { ok: false, results: ['linked-failed', 'unknown-account'] })
    assert.equal(await store.getStatement(other.border, other.periodStart), undefined)
    await store.close()
  })
})
