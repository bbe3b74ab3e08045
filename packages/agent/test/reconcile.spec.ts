import assert from 'node:assert/strict'
import fc from 'fast-check'
import { reconcile } from '../src/border/reconcile.js'
import { isWithinRelative } from '../src/border/decimal.js'

const A = 'netA'
const B = 'netB'

describe('border reconciliation', () => {
  it('agrees on the lower figure within tolerance', () => {
    const r = reconcile(
      { lines: [{ class: 'be', from: A, to: B, volume: '1000' }], metrics: [] },
      { lines: [{ class: 'be', from: A, to: B, volume: '995' }], metrics: [] }, '0.01')
    assert.deepEqual(r, { ok: true, lines: [{ class: 'be', from: A, to: B, volume: '995' }], metrics: [] })
  })

  it('disputes a figure beyond tolerance and names it', () => {
    const r = reconcile(
      { lines: [{ class: 'be', from: A, to: B, volume: '1000' }, { class: 'ef', from: B, to: A, volume: '10' }], metrics: [] },
      { lines: [{ class: 'be', from: A, to: B, volume: '980' }, { class: 'ef', from: B, to: A, volume: '10' }], metrics: [] }, '0.01')
    assert.equal(r.ok, false)
    if (!r.ok) assert.deepEqual(r.differences, [{ key: `be\u0000${A}\u0000${B}`, a: '1000', b: '980' }])
  })

  it('treats a line only one side reported as a difference against zero', () => {
    const r = reconcile({ lines: [{ class: 'be', from: A, to: B, volume: '5' }], metrics: [] }, { lines: [], metrics: [] }, '0.01')
    assert.equal(r.ok, false)
  })

  it('takes the SLA value less favourable to the subject', () => {
    const r = reconcile(
      { lines: [], metrics: [{ subject: B, class: 'ef', metric: 'delay_ms', value: '30' }, { subject: B, class: 'ef', metric: 'availability_pct', value: '99.9' }] },
      { lines: [], metrics: [{ subject: B, class: 'ef', metric: 'delay_ms', value: '30.2' }, { subject: B, class: 'ef', metric: 'availability_pct', value: '99.8' }] }, '0.01')
    assert.ok(r.ok)
    if (r.ok) {
      assert.deepEqual(r.metrics.map(m => [m.metric, m.value]), [['availability_pct', '99.8'], ['delay_ms', '30.2']])
    }
  })

  it('is symmetric: either side computes the same result', () => {
    const line = fc.record({ class: fc.constantFrom('be', 'ef'), from: fc.constantFrom(A, B), volume: fc.bigInt({ min: 0n, max: 10n ** 12n }) })
    fc.assert(fc.property(fc.array(line, { maxLength: 6 }), fc.array(fc.integer({ min: -30, max: 30 }), { maxLength: 6 }), (ls, noise) => {
      const uniq = new Map(ls.map(l => [`${l.class}${l.from}`, l]))
      const mk = (n: boolean) => [...uniq.values()].map((l, i) => ({
        class: l.class, from: l.from, to: l.from === A ? B : A,
        volume: String(n ? l.volume + l.volume * BigInt(noise[i] ?? 0) / 1000n : l.volume)
      }))
      const x = { lines: mk(false), metrics: [] }
      const y = { lines: mk(true), metrics: [] }
      const xy = reconcile(x, y, '0.02')
      const yx = reconcile(y, x, '0.02')
      assert.equal(xy.ok, yx.ok)
      if (xy.ok && yx.ok) assert.deepEqual(xy, yx)
      if (!xy.ok && !yx.ok) assert.deepEqual(xy.differences, yx.differences.map(d => ({ key: d.key, a: d.b, b: d.a })))
    }))
  })

  it('compares exactly at the tolerance boundary', () => {
    assert.equal(isWithinRelative('100', '99', '0.01'), true)
    assert.equal(isWithinRelative('100', '98.99', '0.01'), false)
    assert.equal(isWithinRelative('0', '0', '0'), true)
  })
})
