/**
 * The whole pricing model (issue: units, flat fees, per-class weights, bilateral SLAs, class maps,
 * per-interval SLA windows), in statements and in scenario format 2. Amounts are derived by hand
 * in the comments.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  add, checkPricing, computeStatement, dec, evaluateScenario2, isModelError, isZero, neg, parseCriteria, resolveWeights, simulate, ZERO,
  type PricingTariff, type StatementInput
} from '../src/index.js'

const t = (over: Partial<PricingTariff> = {}): PricingTariff => ({
  currency: 'EUR', decimals: 2, unit: 'octet', classes: { be: { mode: 'unicast', quality: 'BE', price: '1' } }, weights: {}, ...over
})
const throwsAt = (fn: () => unknown, field: string, detail?: RegExp): void => {
  assert.throws(fn, (e: unknown) => isModelError(e) && e.field === field && (detail === undefined || detail.test(e.detail)))
}
const one = (A: PricingTariff, B: PricingTariff, intervals: StatementInput['segments'][number]['intervals'], periodFees = false): StatementInput => ({
  parties: ['A', 'B'], segments: [{ tariffs: { A: { ref: 'a', pricing: A }, B: { ref: 'b', pricing: B } }, intervals }], periodFees
})

describe('pricing model: weights per class', () => {
  const tariff = t({
    classes: { be: { mode: 'unicast', quality: 'BE', price: '1' }, mc: { mode: 'multicast', quality: 'BE', price: '1', weights: { N: { send: '5', receive: '5' }, 'status:customer': { send: '3', receive: '3' } } } },
    weights: { N: { send: '4', receive: '4' }, 'status:customer': { send: '2', receive: '2' }, '*': { send: '1', receive: '1' } },
    statuses: { N: 'customer', M: 'customer' }
  })
  it('resolves neighbour+class, neighbour, status+class, status, * in that order', () => {
    assert.equal(resolveWeights(tariff, 'N', 'mc').send, '5') // neighbour+class
    assert.equal(resolveWeights(tariff, 'N', 'be').send, '4') // neighbour
    assert.equal(resolveWeights(tariff, 'M', 'mc').send, '3') // status+class
    assert.equal(resolveWeights(tariff, 'M', 'be').send, '2') // status
    assert.equal(resolveWeights(tariff, 'X', 'mc').send, '1') // *
    assert.equal(resolveWeights(t(), 'X', 'be').send, '0') // nothing: 0
  })
})

describe('pricing model: SLA rules', () => {
  const crit = (bands: unknown[], extra = {}): unknown => [{ metric: 'm', bands, ...extra }]
  it('takes the better direction from the bands and refuses mixed, unordered or bonus bands', () => {
    assert.equal(parseCriteria(crit([{ upTo: '1', factor: '1' }, { factor: '0' }]), 's')[0]!.direction, 'lower')
    assert.equal(parseCriteria(crit([{ atLeast: '9', factor: '1' }, { atLeast: '5', factor: '0.5' }]), 's')[0]!.direction, 'higher')
    throwsAt(() => parseCriteria(crit([{ upTo: '1', factor: '1' }, { atLeast: '5', factor: '0' }]), 's'), 's[0].bands', /mixes upTo and atLeast/)
    throwsAt(() => parseCriteria(crit([{ upTo: '5', factor: '1' }, { upTo: '1', factor: '0' }]), 's'), 's[0].bands[1]', /increase/)
    throwsAt(() => parseCriteria(crit([{ atLeast: '1', factor: '1' }, { atLeast: '5', factor: '0' }]), 's'), 's[0].bands[1]', /decrease/)
    throwsAt(() => parseCriteria(crit([{ factor: '1' }, { upTo: '5', factor: '0' }]), 's'), 's[0].bands[0]', /must be the last/)
    throwsAt(() => parseCriteria(crit([{ upTo: '5', factor: '1.2' }]), 's'), 's[0].bands[0].factor', /bonus/)
    assert.equal(parseCriteria(crit([{ upTo: '5', factor: '1.2' }], { bonus: true }), 's').length, 1)
  })

  // B charges A 1 per unit of be for traffic A sends into it (w = 1); delay_ms <= 10 → 1, else 0.5.
  const B = (window?: 'interval' | 'period', extra = {}): PricingTariff => t({
    classes: { be: { mode: 'unicast', quality: 'BE', price: '1', sla: [{ metric: 'delay_ms', bands: [{ upTo: '10', factor: '1' }, { factor: '0.5' }], ...(window !== undefined ? { window } : {}), ...extra }] } },
    weights: { '*': { send: '1', receive: '0' } }
  })
  const iv = (volume: string, delay?: string): NonNullable<StatementInput['segments'][number]['intervals']>[number] => ({
    usage: [{ from: 'A', to: 'B', class: 'be', volume }], ...(delay !== undefined ? { measured: { B: { be: { delay_ms: delay } } } } : {})
  })
  it('window interval (default): one bad interval scales only its own volume', () => {
    const s = computeStatement(one(t(), B(), [iv('100', '5'), iv('100', '50'), iv('100', '5')]))
    // 200 at factor 1 and 100 at factor 0.5: 200 + 50
    assert.deepEqual(s.lines.map(l => [l.volume, l.factors.B, l.amount]), [['200', '1', '200.00'], ['100', '0.5', '50.00']])
    assert.equal(s.net, '250.00')
  })
  it('window period: the worst value of the period sets one factor', () => {
    const s = computeStatement(one(t(), B('period'), [iv('100', '5'), iv('100', '50'), iv('100', '5')]))
    assert.deepEqual(s.lines.map(l => [l.volume, l.factors.B, l.amount]), [['300', '0.5', '150.00']])
  })
  it('a missing metric takes the default, else factor 1 with a note on the line', () => {
    const d = computeStatement(one(t(), B(undefined, { default: '20' }), [iv('100')]))
    assert.deepEqual([d.lines[0]!.amount, d.lines[0]!.note], ['50.00', 'B be delay_ms not measured: default 20 used'])
    const n = computeStatement(one(t(), B(), [iv('100')]))
    assert.deepEqual([n.lines[0]!.amount, n.lines[0]!.factors.B, n.lines[0]!.note], ['100.00', '1', 'B be delay_ms not measured and no default: factor 1'])
  })
  it('a bilateral block replaces the class criteria for that neighbour only', () => {
    const bi = { ...B(), bilateralSla: { A: { be: [{ metric: 'delay_ms', bands: [{ upTo: '100', factor: '1' }, { factor: '0' }] }] } } }
    assert.equal(computeStatement(one(t(), bi, [iv('100', '50')])).net, '100.00') // A's agreement: 50 ms is fine
    const toC = computeStatement({ parties: ['B', 'C'], segments: [{ tariffs: { B: { ref: 'b', pricing: bi }, C: { ref: 'c', pricing: t() } }, intervals: [{ usage: [{ from: 'C', to: 'B', class: 'be', volume: '100' }], measured: { B: { be: { delay_ms: '50' } } } }] }], periodFees: false })
    assert.equal(toC.net, '-50.00') // C has no bilateral block: the class's 0.5 applies
  })
})

describe('pricing model: flat fees, units and class maps', () => {
  it('messageFee is flat per message unless weighted: true', () => {
    const B = (weighted: boolean): PricingTariff => t({
      classes: { be: { mode: 'unicast', quality: 'BE', price: '0', messageFee: weighted ? { fee: '0.10', weighted: true } : '0.10' } },
      weights: { '*': { send: '3', receive: '0' } }
    })
    const usage = [{ usage: [{ from: 'A', to: 'B', class: 'be', volume: '0', messages: '7' }] }]
    assert.equal(computeStatement(one(t(), B(false), usage)).lines[1]!.amount, '0.70') // 7 · 0.10
    assert.equal(computeStatement(one(t(), B(true), usage)).lines[1]!.amount, '2.10') // 7 · 0.10 · 3
  })
  it('periodFee per neighbour or status, negative to pay the neighbour, owed without volume', () => {
    const B = t({ periodFee: { A: '-25', 'status:customer': '10', '*': '1' }, statuses: { C: 'customer' } })
    const withA = computeStatement(one(t(), B, [{ usage: [] }], true))
    assert.deepEqual(withA.lines.map(l => [l.kind, l.from, l.to, l.amount]), [['period-fee', 'A', 'B', '-25.00']])
    assert.equal(withA.net, '-25.00') // B pays A 25
    const withC = computeStatement({ parties: ['B', 'C'], segments: [{ tariffs: { B: { ref: 'b', pricing: B }, C: { ref: 'c', pricing: t() } }, intervals: [] }], periodFees: true })
    assert.equal(withC.net, '-10.00') // C pays B 10 (net is what B pays C)
  })
  it('periodFee { fee, whenIdle: false }: waived for a period without attested traffic, owed otherwise', () => {
    // B charges A 10 a period, waived when idle; A pays B 3 a period whatever happens (plain form).
    const B = t({ periodFee: { A: { fee: '10', whenIdle: false } } })
    const A = t({ periodFee: { B: { fee: '-3' } } })
    const fees = (usage: Array<{ from: string, to: string, class: string, volume: string, messages?: string }>): string[][] =>
      computeStatement(one(A, B, [{ usage }], true)).lines.filter(l => l.kind === 'period-fee').map(l => [l.from, l.to, l.amount])
    // Idle: no interval attested at all, or only zero figures. A's fee stays (whenIdle defaults to true).
    assert.deepEqual(fees([]), [['B', 'A', '-3.00']])
    assert.deepEqual(computeStatement(one(A, B, [], true)).lines.map(l => l.kind), ['period-fee'])
    assert.deepEqual(fees([{ from: 'A', to: 'B', class: 'be', volume: '0' }]), [['B', 'A', '-3.00']])
    // Any attested volume or message, in either direction, makes the period one with traffic.
    assert.deepEqual(fees([{ from: 'B', to: 'A', class: 'be', volume: '1' }]), [['B', 'A', '-3.00'], ['A', 'B', '10.00']])
    assert.deepEqual(fees([{ from: 'A', to: 'B', class: 'be', volume: '0', messages: '1' }]), [['B', 'A', '-3.00'], ['A', 'B', '10.00']])
    // whenIdle: true is the default and charges an idle period.
    assert.equal(computeStatement(one(t(), t({ periodFee: { '*': { fee: '10', whenIdle: true } } }), [], true)).net, '10.00')
    const isA = (k: string): boolean => k === 'A'
    throwsAt(() => { checkPricing(t({ periodFee: { A: { fee: '1', whenIdle: 'no' } as never } }), 'p', isA) }, 'p.periodFee.A.whenIdle')
    throwsAt(() => { checkPricing(t({ periodFee: { A: { fee: '1', idle: false } as never } }), 'p', isA) }, 'p.periodFee.A.idle')
    checkPricing(B, 'p', isA)
  })
  it('refuses two tariffs in different units, naming the field', () => {
    throwsAt(() => computeStatement(one(t({ unit: 'packet' }), t(), [{ usage: [{ from: 'A', to: 'B', class: 'be', volume: '150000' }] }])),
      'segments[0].tariffs.B.pricing.unit', /prices per octet but segments\[0\].tariffs.A prices per packet/)
  })
  it('class map: usage in the receiver\'s class, priced in each side\'s own class, the same statement from both sides', () => {
    // A sends its "gold" class; B carries it as "ef". A: gold 2, weight receive 1; B: ef 5, weight send 1.
    const A = t({ classes: { gold: { mode: 'unicast', quality: 'EF', price: '2' } }, weights: { '*': { send: '0', receive: '1' } } })
    const B = t({ classes: { ef: { mode: 'unicast', quality: 'EF', price: '5' } }, weights: { '*': { send: '1', receive: '0' } }, classMap: { A: { gold: 'ef' } } })
    const input = one(A, B, [{ usage: [{ from: 'A', to: 'B', class: 'ef', volume: '10' }] }])
    const s = computeStatement(input)
    assert.equal(s.lines[0]!.amount, '30.00') // 10 · (1·5 − 1·2)
    assert.deepEqual(computeStatement({ ...input, parties: ['B', 'A'] }).lines, s.lines)
    throwsAt(() => computeStatement(one(A, B, [{ usage: [{ from: 'A', to: 'B', class: 'zz', volume: '1' }] }])), 'segments[0].intervals[0].usage[0].class')
  })
})

describe('simulate: statement lines rounded once, surpluses sum to zero', () => {
  it('format 1: two nets of 0.005 print 0.00 each and the surpluses agree with them', () => {
    const out = JSON.parse(simulate(JSON.stringify({
      decimals: 2,
      networks: [{ id: 'P', role: 'provider' }, { id: 'x', role: 'edge' }, { id: 'y', role: 'edge' }],
      prices: { P: { be: '0.001' } },
      weights: { P: { '*': { send: '5', receive: '5' } } },
      flows: [{ path: ['x', 'P', 'y'], class: 'be', volume: '1' }]
    }))) as { surplus: Record<string, string>, borders: Array<{ net: string }> }
    // x→P nets +0.005 and P→y −0.005: each rounds half-even to 0.00, and P's surplus is their sum
    // (0.00), not the exact 0.01 rounded on its own.
    assert.deepEqual(out.borders.map(b => b.net), ['0.00', '0.00'])
    assert.deepEqual(out.surplus, { P: '0.00', x: '0.00', y: '0.00' })
  })

  it('format 2: a tariff change mid-period, a negative period fee and a per-interval SLA, every line in the output', () => {
    const out = JSON.parse(simulate(JSON.stringify({
      format: 2, currency: 'EUR', decimals: 2, intervals: 2,
      networks: [{ id: 'A', role: 'provider' }, { id: 'B', role: 'provider' }, { id: 'ca', role: 'edge' }],
      tariffs: {
        A: { classes: { be: { price: '1' } }, weights: { ca: { send: '1', receive: '0' } } },
        B: [
          { classes: { be: { price: '2', sla: [{ metric: 'loss_pct', bands: [{ upTo: '1', factor: '1' }, { factor: '0.5' }] }] } }, weights: { '*': { send: '1', receive: '0' } }, periodFee: '-3' },
          { fromInterval: 1, classes: { be: { price: '4' } }, weights: { '*': { send: '1', receive: '0' } }, periodFee: '-3' }
        ]
      },
      flows: [{ path: ['ca', 'A', 'B'], class: 'be', volume: '10', interval: 0 }, { path: ['ca', 'A', 'B'], class: 'be', volume: '10', interval: 1 }],
      measured: [{ border: ['A', 'B'], subject: 'B', class: 'be', metric: 'loss_pct', value: '2', interval: 0 }]
    }))) as { surplus: Record<string, string>, statements: Array<{ parties: string[], net: string, lines: Array<{ kind: string, amount: string, tariffs: Record<string, string> }> }> }
    // A→B: interval 0 at B#0 (2 · 0.5 = 1 per unit): 10; interval 1 at B#1 (4): 40; B pays A the period fee 3.
    const ab = out.statements.find(s => s.parties.join() === 'A,B')!
    assert.deepEqual(ab.lines.map(l => [l.kind, l.amount, l.tariffs.B]), [['usage', '10.00', 'B#0'], ['usage', '40.00', 'B#1'], ['period-fee', '-3.00', 'B#1']])
    assert.equal(ab.net, '47.00')
    assert.deepEqual(out.surplus, { A: '-27.00', B: '47.00', ca: '-20.00' })
  })

  it('format 2 refuses a bad field with its path', () => {
    throwsAt(() => evaluateScenario2({ format: 2, decimals: 2, networks: [{ id: 'A', role: 'provider' }], tariffs: { A: { classes: {} } } }), 'tariffs.A.classes', /at least one class/)
    throwsAt(() => evaluateScenario2({ format: 2, decimals: 2, networks: [{ id: 'A', role: 'provider' }], tariffs: { A: [{ fromInterval: 1, classes: { be: { price: '1' } } }] } }), 'tariffs.A[0].fromInterval')
  })

  it('property: conservation, net = sum of lines and symmetry hold with fees, class maps and per-interval SLA', () => {
    const price = fc.integer({ min: 0, max: 999 }).map(n => (n / 1000).toFixed(3))
    const weight = fc.constantFrom('0', '0.5', '1', '2')
    const tariffArb = fc.record({ price, ef: price, s: weight, r: weight, fee: fc.option(price, { nil: undefined }), period: fc.option(fc.integer({ min: -50, max: 50 }).map(String), { nil: undefined }), map: fc.boolean(), weighted: fc.boolean() })
    const flowArb = fc.record({ path: fc.constantFrom(['ca', 'A', 'B', 'cb'], ['cb', 'B', 'A', 'ca'], ['ca', 'A', 'B'], ['B', 'A']), class: fc.constantFrom('be', 'ef'), volume: fc.integer({ min: 0, max: 10 ** 6 }).map(String), messages: fc.integer({ min: 0, max: 99 }).map(String), interval: fc.integer({ min: 0, max: 2 }) })
    const metricArb = fc.record({ subject: fc.constantFrom('A', 'B'), value: fc.integer({ min: 0, max: 100 }).map(String), interval: fc.integer({ min: 0, max: 2 }) })
    fc.assert(fc.property(tariffArb, tariffArb, fc.array(flowArb, { maxLength: 8 }), fc.array(metricArb, { maxLength: 4 }), (ta, tb, flows, metrics) => {
      const tariff = (x: typeof ta, other: string): unknown => ({
        classes: {
          be: { price: x.price, ...(x.fee !== undefined ? { messageFee: x.weighted ? { fee: x.fee, weighted: true } : x.fee } : {}) },
          ef: { price: x.ef, sla: [{ metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '60', factor: '0.5' }, { factor: '0' }] }] }
        },
        weights: { '*': { send: x.s, receive: x.r } },
        ...(x.period !== undefined ? { periodFee: x.period } : {}),
        ...(x.map ? { classMap: { [other]: { be: 'ef', ef: 'be' } } } : {})
      })
      const sc = {
        format: 2, decimals: 2, intervals: 3,
        networks: [{ id: 'A', role: 'provider' }, { id: 'B', role: 'provider' }, { id: 'ca', role: 'edge' }, { id: 'cb', role: 'edge' }],
        tariffs: { A: tariff(ta, 'B'), B: [tariff(tb, 'A'), { ...(tariff(ta, 'A') as object), fromInterval: 2 }] },
        flows,
        borders: [['A', 'B']],
        measured: metrics.map(m => ({ border: ['A', 'B'], subject: m.subject, class: 'ef', metric: 'delay_ms', value: m.value, interval: m.interval }))
      }
      const out = JSON.parse(simulate(JSON.stringify(sc))) as { surplus: Record<string, string>, statements: Array<{ parties: string[], net: string, lines: Array<{ from: string, amount: string }> }> }
      assert.ok(isZero(Object.values(out.surplus).reduce((s, x) => add(s, dec(x)), ZERO)), 'surpluses sum to zero')
      for (const st of out.statements) {
        const sum = st.lines.reduce((s, l) => add(s, l.from === st.parties[0] ? dec(l.amount) : neg(dec(l.amount))), ZERO)
        assert.ok(isZero(add(sum, neg(dec(st.net)))), 'net is the signed sum of the lines')
      }
      const swapped = { ...sc, networks: [sc.networks[1], sc.networks[0], ...sc.networks.slice(2)] }
      const again = JSON.parse(simulate(JSON.stringify(swapped))) as typeof out
      const byBorder = (o: typeof out): Map<string, unknown> => new Map(o.statements.map(s => [[...s.parties].sort().join(), s.lines]))
      assert.deepEqual(byBorder(again), byBorder(out), 'either party computes the same lines')
      assert.deepEqual(again.surplus, out.surplus)
    }), { seed: 15, numRuns: 150 })
  })
})
