import assert from 'node:assert/strict'
import fc from 'fast-check'
import { add, dec, format, mul, roundHalfEven, sum, type PricingTariff } from '@splitedge/model'
import { customerWeight, priceQuote, type End, type PricedTariff } from '../src/index.js'
import { pricing } from './fixtures.js'

const A = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const B = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'
const C = '12D3KooWCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC'
const NONE = { percent: '0', fixed: '0' }

const book = (m: Record<string, PricingTariff>) => (op: string): PricedTariff | undefined => m[op] === undefined ? undefined : { id: `t-${op}`, pricing: m[op] as PricingTariff }

describe('clearing: pricing', () => {
  it('an end\'s weight is its operator\'s status:customer weight for its role, then *, else 0', () => {
    assert.equal(format(customerWeight(pricing('1', { 'status:customer': { send: '0.5', receive: '2' }, '*': { send: '9', receive: '9' } }), 'sender')), '0.5')
    assert.equal(format(customerWeight(pricing('1', { '*': { send: '3', receive: '4' } }), 'receiver')), '4')
    assert.equal(format(customerWeight(pricing('1', { 'status:peer': { send: '3', receive: '4' } }), 'receiver')), '0')
  })

  it('worked example: receiver pays all, hand-computed', () => {
    // A (sender) price 0.000001, w_send 1: 1e6 * 1 * 0.000001 = 1.000000
    // B (receiver) price 0.000002, w_receive 0.5: 1e6 * 0.5 * 0.000002 = 1.000000
    // margin 2% of 2.000000 + 0.01 = 0.050000; total 2.050000, all paid by B
    const r = priceQuote(
      { ends: [{ operator: A, role: 'sender' }, { operator: B, role: 'receiver' }], class: 'be', volume: '1000000', apportion: { kind: 'receiver-pays' } },
      book({ [A]: pricing('0.000001'), [B]: pricing('0.000002', { 'status:customer': { send: '1', receive: '0.5' } }) }),
      { percent: '2', fixed: '0.01' })
    assert.ok(r.ok)
    assert.deepEqual(r.value.charges, [{ operator: A, amount: '1.000000', payer: B }, { operator: B, amount: '1.000000', payer: B }])
    assert.equal(r.value.margin, '0.050000')
    assert.equal(r.value.total, '2.050000')
    assert.deepEqual(r.value.tariffs, [`t-${A}`, `t-${B}`])
  })

  it('property: a quote equals the sum of each end\'s charge at its operator\'s tariff plus the margin, under any apportionment', () => {
    const price = fc.integer({ min: 0, max: 10_000_000 }).map(n => format({ c: BigInt(n), s: 9 }))
    const weight = fc.integer({ min: 0, max: 300 }).map(n => format({ c: BigInt(n), s: 2 }))
    fc.assert(fc.property(
      fc.array(fc.record({ price, send: weight, receive: weight, role: fc.constantFrom<'sender' | 'receiver'>('sender', 'receiver') }), { minLength: 2, maxLength: 3 }),
      fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 3, maxLength: 3 }),
      fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 1000 }),
      (ends, vol, rawShares, pct, fixed) => {
        const ops = [A, B, C].slice(0, ends.length)
        const tariffs: Record<string, PricingTariff> = {}
        ends.forEach((e, i) => { tariffs[ops[i] as string] = pricing(e.price, { 'status:customer': { send: e.send, receive: e.receive } }) })
        const endList: End[] = ends.map((e, i) => ({ operator: ops[i] as string, role: e.role }))
        // Shares that sum to 100: the first ends get rawShares%, the last the rest (if any remains).
        const shares: Record<string, string> = {}
        let left = 100
        ops.forEach((op, i) => { const s = i === ops.length - 1 ? left : Math.min(left, rawShares[i] as number); shares[op] = String(s); left -= s })
        const margin = { percent: format({ c: BigInt(pct), s: 2 }), fixed: format({ c: BigInt(fixed), s: 6 }) }
        const r = priceQuote({ ends: endList, class: 'be', volume: vol.toString(), apportion: { kind: 'shares', shares } }, book(tariffs), margin)
        assert.ok(r.ok, r.ok ? '' : r.error.message)
        // Each end's charge, independently: V * w(role) * p rounded half-even to 6 places.
        const each = ends.map(e => roundHalfEven(mul(mul(dec(vol.toString()), dec(e.role === 'sender' ? e.send : e.receive)), dec(e.price)), 6))
        ends.forEach((_, i) => assert.equal(r.value.ends[i]?.charge, format(each[i] as ReturnType<typeof dec>)))
        const charged = sum(r.value.charges.map(c => dec(c.amount)))
        assert.equal(format(roundHalfEven(charged, 6)), format(roundHalfEven(sum(each), 6)))
        assert.equal(format(roundHalfEven(add(charged, dec(r.value.margin)), 6)), format(roundHalfEven(dec(r.value.total), 6)))
        // Per end, the payers' parts add up to that end's charge; each payer pays its share (rounded).
        for (const [i, op] of ops.entries()) {
          const parts: Array<{ operator: string, amount: string, payer: string }> = r.value.charges.filter(c => c.operator === op)
          assert.equal(format(roundHalfEven(sum(parts.map(p => dec(p.amount))), 6)), format(each[i] as ReturnType<typeof dec>))
          for (const p of parts) assert.ok(Number(shares[p.payer]) > 0)
        }
      }), { numRuns: 300 })
  })

  it('refuses what it cannot price, with a code', () => {
    const ends: End[] = [{ operator: A, role: 'sender' }, { operator: B, role: 'receiver' }]
    const t = book({ [A]: pricing('1'), [B]: pricing('1') })
    const code = (r: ReturnType<typeof priceQuote>): string => r.ok ? 'ok' : r.error.code
    assert.equal(code(priceQuote({ ends, class: 'be', volume: '1', apportion: { kind: 'shares', shares: { [A]: '50', [B]: '40' } } }, t, NONE)), 'bad-apportion')
    assert.equal(code(priceQuote({ ends, class: 'be', volume: '1', apportion: { kind: 'shares', shares: { [C]: '100' } } }, t, NONE)), 'bad-apportion')
    assert.equal(code(priceQuote({ ends: [...ends, { operator: C, role: 'sender' }], class: 'be', volume: '1', apportion: { kind: 'sender-pays' } }, book({ [A]: pricing('1'), [B]: pricing('1'), [C]: pricing('1') }), NONE)), 'bad-apportion')
    assert.equal(code(priceQuote({ ends, class: 'xx', volume: '1', apportion: { kind: 'sender-pays' } }, t, NONE)), 'unknown-class')
    assert.equal(code(priceQuote({ ends, class: 'be', volume: '1', apportion: { kind: 'sender-pays' } }, book({ [A]: pricing('1') }), NONE)), 'no-tariff')
    assert.equal(code(priceQuote({ ends, class: 'be', volume: '1', apportion: { kind: 'sender-pays' } }, book({ [A]: pricing('1'), [B]: pricing('1', undefined, { currency: 'USD' }) }), NONE)), 'currency-mismatch')
    assert.equal(code(priceQuote({ ends: [ends[0] as End, ends[0] as End], class: 'be', volume: '1', apportion: { kind: 'sender-pays' } }, t, NONE)), 'bad-ends')
    assert.equal(code(priceQuote({ ends, class: 'be', volume: '-1', apportion: { kind: 'sender-pays' } }, t, NONE)), 'bad-volume')
  })
})
