import assert from 'node:assert/strict'
import fc from 'fast-check'
import { metricRulesFrom, reconcile } from '../src/border/reconcile.js'
import type { PricingTariff } from '@splitedge/model'
import { isWithinRelative } from '../src/border/decimal.js'

const A = 'netA'
const B = 'netB'

describe('border reconciliation', () => {
  it('agrees on the lower figure within tolerance', () => {
    const r = reconcile(
      { lines: [{ class: 'be', from: A, to: B, volume: '1000' }], metrics: [] },
      { lines: [{ class: 'be', from: A, to: B, volume: '995' }], metrics: [] }, '0.01')
    assert.deepEqual(r, { ok: true, lines: [{ class: 'be', from: A, to: B, volume: '995' }], metrics: [], metricDifferences: [] })
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

})

describe('border reconciliation: properties', () => {
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

  describe('SLA metrics, reconciled apart from volumes', () => {
    const vol = [{ class: 'ef', from: A, to: B, volume: '1000' }]
    const delay = (value: string, subject = B): { subject: string, class: string, metric: string, value: string } => ({ subject, class: 'ef', metric: 'delay_ms', value })
    it('a metric dispute never voids attested volume', () => {
      const r = reconcile({ lines: vol, metrics: [delay('10')], reporter: A }, { lines: vol, metrics: [delay('90')], reporter: B }, '0.01')
      assert.ok(r.ok)
      if (r.ok) {
        assert.deepEqual(r.lines, vol)
        assert.deepEqual(r.metrics, [])
        assert.deepEqual(r.metricDifferences, [{ key: `${B}\u0000ef\u0000delay_ms`, a: '10', b: '90', reason: 'beyond tolerance' }])
      }
    })
    it('one side only: taken from the judged network\'s neighbour; a self-report only where the criterion allows it', () => {
      const fromNeighbour = reconcile({ lines: vol, metrics: [delay('12')], reporter: A }, { lines: vol, metrics: [], reporter: B }, '0.01')
      assert.ok(fromNeighbour.ok && fromNeighbour.metrics.length === 1 && fromNeighbour.metrics[0]!.value === '12')
      const self = reconcile({ lines: vol, metrics: [], reporter: A }, { lines: vol, metrics: [delay('12')], reporter: B }, '0.01')
      assert.ok(self.ok && self.metrics.length === 0 && /judged network itself/.test(self.metricDifferences[0]!.reason ?? ''))
      const tariff = (selfReport: boolean): PricingTariff => ({ currency: 'EUR', decimals: 2, unit: 'octet', weights: {}, classes: { ef: { mode: 'unicast', quality: 'EF', price: '1', sla: [{ metric: 'delay_ms', selfReport, bands: [{ upTo: '20', factor: '1' }] }] } } })
      const allowed = reconcile({ lines: vol, metrics: [], reporter: A }, { lines: vol, metrics: [delay('12')], reporter: B }, '0.01', metricRulesFrom({ [A]: tariff(false), [B]: tariff(true) }))
      assert.ok(allowed.ok && allowed.metrics.length === 1)
    })
    it('takes the worse value in the direction the subject\'s bands give, not from the metric\'s name', () => {
      // A "score" metric judged with atLeast bands: higher is better, so the lower value is attested.
      const t: PricingTariff = { currency: 'EUR', decimals: 2, unit: 'octet', weights: {}, classes: { ef: { mode: 'unicast', quality: 'EF', price: '1', sla: [{ metric: 'score', bands: [{ atLeast: '90', factor: '1' }, { factor: '0.5' }] }] } } }
      const m = (value: string): { subject: string, class: string, metric: string, value: string } => ({ subject: B, class: 'ef', metric: 'score', value })
      const r = reconcile({ lines: vol, metrics: [m('95')], reporter: A }, { lines: vol, metrics: [m('94.5')], reporter: B }, '0.01', metricRulesFrom({ [A]: t, [B]: t }))
      assert.ok(r.ok && r.metrics[0]!.value === '94.5')
    })
  })
})
