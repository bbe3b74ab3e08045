/**
 * Pure pieces of the pricing model in the agent (issue 15): class maps in reconciliation, message
 * counts from the synthetic source, and the tariff file's period fee waived when idle.
 */
import assert from 'node:assert/strict'
import { stringify } from 'yaml'
import type { PricingTariff } from '@splitedge/model'
import { lineClassFrom, metricRulesFrom, reconcile } from '../src/border/reconcile.js'
import { syntheticUsage } from '../src/usage/synthetic.js'
import { loadTariffFile } from '../src/tariff/file.js'
import { ConfigError } from '../src/config/load.js'

const A = 'netA'
const B = 'netB'
const t = (classes: string[], classMap?: PricingTariff['classMap']): PricingTariff => ({
  currency: 'EUR', decimals: 2, unit: 'octet', weights: {},
  classes: Object.fromEntries(classes.map(c => [c, { mode: 'unicast' as const, quality: 'BE', price: '1' }])),
  ...(classMap !== undefined ? { classMap } : {})
})

describe('reconciliation: class maps', () => {
  // A calls it "gold", B calls it "ef"; each maps the other's name onto its own.
  const pricing = { [A]: t(['be', 'gold'], { [B]: { ef: 'gold' } }), [B]: t(['be', 'ef'], { [A]: { gold: 'ef' } }) }
  it('attests in the receiver\'s class names whichever side\'s names a report uses', () => {
    const own = (me: string, cls: string) => [
      { class: cls, from: A, to: B, volume: me === A ? '1000' : '995' },
      { class: cls, from: B, to: A, volume: '40' }
    ]
    const r = reconcile({ reporter: A, lines: own(A, 'gold'), metrics: [] }, { reporter: B, lines: own(B, 'ef'), metrics: [] }, '0.01', metricRulesFrom(pricing))
    assert.ok(r.ok)
    assert.deepEqual(r.lines, [{ class: 'ef', from: A, to: B, volume: '995' }, { class: 'gold', from: B, to: A, volume: '40' }])
    // A report already in the receiver's names passes unchanged (an accepted neighbour's figures).
    const same = reconcile({ reporter: A, lines: own(B, 'ef').slice(0, 1), metrics: [] }, { reporter: B, lines: own(B, 'ef').slice(0, 1), metrics: [] }, '0.01', metricRulesFrom(pricing))
    assert.ok(same.ok)
    assert.deepEqual(same.lines, [{ class: 'ef', from: A, to: B, volume: '995' }])
  })
  it('disputes a report that gives one class under both names, rather than guess', () => {
    const lines = [{ class: 'gold', from: A, to: B, volume: '10' }, { class: 'ef', from: A, to: B, volume: '20' }]
    const r = reconcile({ reporter: A, lines, metrics: [] }, { reporter: B, lines: [{ class: 'ef', from: A, to: B, volume: '30' }], metrics: [] }, '0.01', metricRulesFrom(pricing))
    assert.equal(r.ok, false)
    if (!r.ok) assert.match(r.differences[0]!.reason ?? '', /carried as the same class/)
  })
  it('translates nothing under a map that chains (a swap), where a name would be ambiguous', () => {
    const swap = { [A]: t(['x', 'y']), [B]: t(['x', 'y'], { [A]: { x: 'y', y: 'x' } }) }
    assert.equal(lineClassFrom(swap, { class: 'x', from: A, to: B, volume: '1' }), 'x')
    assert.equal(lineClassFrom(pricing, { class: 'gold', from: A, to: B, volume: '1' }), 'ef')
    assert.equal(lineClassFrom(pricing, { class: 'be', from: A, to: B, volume: '1' }), 'be')
    assert.equal(lineClassFrom(pricing, { class: 'gold', from: B, to: A, volume: '1' }), 'gold')
  })
})

describe('synthetic usage: message counts', () => {
  const opts = { seed: 'demo', classes: ['be', 'ef'], meanVolume: 1_000_000, noise: 0.002 }
  it('the same underlying count on both sides, within tolerance after each side\'s noise', () => {
    for (const meanVolume of [1_000_000, 300_000, 1_000]) {
      for (let start = 0; start < 40_000; start += 2000) {
        const a = syntheticUsage({ ...opts, meanVolume }, 'A', 'B', start)
        const b = syntheticUsage({ ...opts, meanVolume }, 'B', 'A', start)
        assert.ok(a.every(l => l.messages !== undefined && /^[0-9]+$/.test(l.messages)), 'a whole message count on every line')
        const r = reconcile({ lines: a, metrics: [] }, { lines: b, metrics: [] }, '0.01')
        assert.equal(r.ok, true, JSON.stringify({ meanVolume, start, a, b }))
        if (r.ok) assert.ok(r.lines.some(l => l.messages !== undefined && l.messages !== '0'))
      }
    }
    const exact = syntheticUsage({ ...opts, noise: 0 }, 'A', 'B', 0)
    assert.deepEqual(exact.map(l => l.messages), syntheticUsage({ ...opts, noise: 0 }, 'B', 'A', 0).map(l => l.messages))
    // About one message per 1000 units of volume, from 0.5 to 1.5 times that.
    for (const l of exact) assert.ok(Number(l.messages) >= 500 && Number(l.messages) <= 1500, l.messages)
  })
})

describe('tariff file: a period fee waived when idle', () => {
  const PEER = '12D3KooWHk3DfHRdJ8jJvPZnSKqcYmr2ykxySg5BpYWqtvq3uUYr'
  const names = new Map([['transit-1', PEER]])
  const base = (periodFee: unknown): string => stringify({ currency: 'EUR', decimals: 2, unit: 'octet', classes: { be: { mode: 'unicast', quality: 'BE', price: '0.001' } }, weights: { '*': { send: '1', receive: '1' } }, periodFee })
  it('{ fee, whenIdle: false } per neighbour, names resolved; only those two fields', async () => {
    const { pricing } = await loadTariffFile({ text: base({ 'transit-1': { fee: '-0.05', whenIdle: false }, '*': '1' }), name: 'tariff.yaml' }, names, {})
    assert.deepEqual(pricing.periodFee, { [PEER]: { fee: '-0.05', whenIdle: false }, '*': '1' })
    for (const bad of [{ 'transit-1': { fee: '1', whenIdle: 'no' } }, { 'transit-1': { fee: '1', idle: false } }]) {
      await assert.rejects(loadTariffFile({ text: base(bad), name: 'tariff.yaml' }, names, {}), (e: unknown) => e instanceof ConfigError && e.field.startsWith('tariff.yaml: periodFee'))
    }
  })
})
