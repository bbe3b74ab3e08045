import assert from 'node:assert/strict'
import {
  add, brokerageView, computeStatement, format, isModelError, parseDec, type PricingTariff, type StatementInput
} from '../src/index.js'

const tariff = (over: Partial<PricingTariff> = {}): PricingTariff => ({
  currency: 'EUR',
  decimals: 2,
  unit: 'octet',
  classes: { be: { mode: 'unicast', quality: 'BE', price: '0.01' } },
  weights: { '*': { send: '1', receive: '1' } },
  ...over
})

const fails = (input: StatementInput, field: string, code: string): void => {
  assert.throws(() => computeStatement(input), (e: unknown) => isModelError(e) && e.field === field && e.code === code)
}

describe('bilateral statements', () => {
  // B is a backbone; A is an originating ISP, C a terminating ISP.
  const B = tariff({
    classes: {
      be: { mode: 'unicast', quality: 'BE', price: '0.02', messageFee: '0.001' },
      ef: {
        mode: 'unicast', quality: 'EF', price: '0.05',
        sla: [{ metric: 'availability_pct', bands: [{ atLeast: '99.9', factor: '1' }, { atLeast: '99', factor: '0.5' }, { factor: '0' }] }]
      }
    },
    weights: { 'status:customer': { send: '2', receive: '0' }, '*': { send: '0', receive: '0' } },
    statuses: { A: 'customer' },
    periodFee: '100'
  })
  const A = tariff({ weights: {} }) // A charges B nothing
  const C = tariff({
    classes: { ef: { mode: 'unicast', quality: 'EF', price: '0.03', sla: [{ metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '40', factor: '0.8' }] }] } },
    weights: { B: { send: '0', receive: '1' } }
  })

  const withA = (parties: [string, string]): StatementInput => ({
    parties,
    segments: [{
      tariffs: { A: { ref: 'tA1', pricing: A }, B: { ref: 'tB1', pricing: B } },
      usage: [
        { from: 'A', to: 'B', class: 'ef', volume: '1000' },
        { from: 'A', to: 'B', class: 'be', volume: '300.5', messages: '40' },
        { from: 'A', to: 'B', class: 'be', volume: '200', messages: '10' }, // summed with the line above
        { from: 'B', to: 'A', class: 'be', volume: '999' }
      ]
    }],
    measured: { B: { ef: { availability_pct: '99.5' } } },
    periodFees: true
  })

  it('prices each class and direction, adds message and period fees, and rounds each line once', () => {
    const s = computeStatement(withA(['A', 'B']))
    assert.equal(s.currency, 'EUR')
    assert.deepEqual(s.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount, JSON.stringify(l.factors)]), [
      // A→B be: 500.5 · (w_BAs 2 · 0.02 · 1 − w_ABr 0 · 0.01) = 20.02
      ['usage', 'be', 'A', 'B', '500.5', '20.02', '{"A":"1","B":"1"}'],
      // 50 messages · 0.001 (flat: not weighted) = 0.05
      ['message-fee', 'be', 'A', 'B', '50', '0.05', '{"A":"1","B":"1"}'],
      // B→A be: B weights receive 0 toward its customer, A charges nothing: 0
      ['usage', 'be', 'B', 'A', '999', '0.00', '{"A":"1","B":"1"}'],
      // A→B ef: 1000 · 2 · 0.05 · 0.5 (availability 99.5 → second band) = 50.00
      ['usage', 'ef', 'A', 'B', '1000', '50.00', '{"A":"1","B":"0.5"}'],
      ['period-fee', null, 'A', 'B', '0', '100.00', '{"B":"1"}']
    ])
    assert.deepEqual(s.lines[0]!.tariffs, { A: 'tA1', B: 'tB1' })
    assert.equal(s.net, '170.07')
  })

  it('is symmetric: the other party computes the same lines and the negated net', () => {
    const ab = computeStatement(withA(['A', 'B']))
    const ba = computeStatement(withA(['B', 'A']))
    assert.deepEqual(ba.lines, ab.lines)
    assert.equal(ba.net, '-170.07')
    assert.deepEqual(JSON.stringify(computeStatement(withA(['A', 'B']))), JSON.stringify(ab))
  })

  it('uses each segment\'s tariffs for its own usage', () => {
    const input = withA(['A', 'B'])
    input.segments.push({
      tariffs: { A: { ref: 'tA1', pricing: A }, B: { ref: 'tB2', pricing: { ...B, classes: { ...B.classes, be: { mode: 'unicast', quality: 'BE', price: '0.04' } } } } },
      usage: [{ from: 'A', to: 'B', class: 'be', volume: '10' }]
    })
    const s = computeStatement(input)
    const last = s.lines.filter(l => l.kind === 'usage').at(-1)!
    assert.deepEqual([last.amount, last.tariffs.B], ['0.80', 'tB2'])
  })

  it('rejects mismatched currencies, unknown classes, strangers and malformed numbers, naming the field', () => {
    const input = withA(['A', 'B'])
    input.segments[0]!.tariffs.A = { ref: 'x', pricing: { ...A, currency: 'USD' } }
    fails(input, 'segments[0].tariffs.B.pricing', 'mismatch')
    const dec = withA(['A', 'B'])
    dec.segments[0]!.tariffs.A = { ref: 'x', pricing: { ...A, decimals: 3 } }
    fails(dec, 'segments[0].tariffs.B.pricing', 'mismatch')
    const cls = withA(['A', 'B'])
    cls.segments[0]!.usage!.push({ from: 'A', to: 'B', class: 'af41', volume: '1' })
    fails(cls, 'segments[0].usage[4].class', 'unknown-class')
    const who = withA(['A', 'B'])
    who.segments[0]!.usage!.push({ from: 'A', to: 'Z', class: 'be', volume: '1' })
    fails(who, 'segments[0].usage[4].to', 'bad-usage')
    const vol = withA(['A', 'B'])
    vol.segments[0]!.usage!.push({ from: 'A', to: 'B', class: 'be', volume: '-1' })
    fails(vol, 'segments[0].usage[4].volume', 'negative')
    const unit = withA(['A', 'B'])
    unit.segments[0]!.tariffs.A = { ref: 'x', pricing: { ...A, unit: 'packet' } }
    fails(unit, 'segments[0].tariffs.B.pricing.unit', 'mismatch')
  })

  it('brokerage view: charged to originators = retained + paid to terminators, with the SLA factors', () => {
    const fromA = computeStatement(withA(['B', 'A']))
    // C charges B for traffic B sends into it (w_CBs = 1): termination is paid to C.
    const termC = tariff({ ...C, weights: { B: { send: '1', receive: '0' } } })
    const toC = computeStatement({
      parties: ['B', 'C'],
      segments: [{ tariffs: { B: { ref: 'tB1', pricing: B }, C: { ref: 'tC2', pricing: termC } }, usage: [{ from: 'B', to: 'C', class: 'ef', volume: '1000' }] }],
      measured: { B: { ef: { availability_pct: '99.5' } }, C: { ef: { delay_ms: '30' } } },
      periodFees: false
    })
    // net(B→C) = 1000 · (w_CBs 1 · 0.03 · f_C 0.8 − w_BCr 0) = 24.00: B pays C for terminating.
    assert.equal(toC.lines[0]!.amount, '24.00')
    const view = brokerageView('B', [fromA, toC])
    const ef = view.classes.find(c => c.class === 'ef')!
    assert.deepEqual(ef, {
      class: 'ef', chargedToOriginators: '50.00', paidToTerminators: '24.00', retained: '26.00',
      factors: { A: ['1'], B: ['0.5'], C: ['0.8'] }
    })
    assert.deepEqual(view.periodFees, { charged: '100.00', paid: '0.00', retained: '100.00' })
    for (const c of view.classes) {
      assert.equal(format(add(parseDec(c.retained, 'r'), parseDec(c.paidToTerminators, 'p'))), c.chargedToOriginators)
    }
  })
})
