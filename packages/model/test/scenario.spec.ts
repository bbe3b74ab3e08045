import assert from 'node:assert/strict'
import { evaluateScenario, isModelError, renderScenarioOutput, simulate, type Scenario } from '../src/index.js'

function out (sc: unknown): { surplus: Record<string, string>, borders: Array<Record<string, string>> } {
  return JSON.parse(simulate(JSON.stringify(sc)))
}

function fails (sc: unknown, field: string, code?: string): void {
  assert.throws(() => evaluateScenario(sc), (e: unknown) => {
    assert.ok(isModelError(e), String(e))
    assert.equal(e.field, field)
    if (code !== undefined) assert.equal(e.code, code)
    return true
  })
}

/** ca → A → B → {cb1, cb2}: A charges its customers to send 2p, B charges its customers to receive 2p. */
const base = (): Scenario => ({
  decimals: 2,
  networks: [{ id: 'A', role: 'provider' }, { id: 'B', role: 'provider' }, { id: 'ca', role: 'edge' },
    { id: 'cb1', role: 'edge' }, { id: 'cb2', role: 'edge' }],
  prices: { A: { mc: '1.5' }, B: { mc: '2' } },
  weights: { A: { '*': { send: '2', receive: '0' }, B: { send: '1', receive: '1' } }, B: { '*': { send: '0', receive: '2' }, A: { send: '1', receive: '1' } } }
})

describe('scenario evaluator', () => {
  it('charges each multicast branch crossing a border like one unicast of V', () => {
    const sc = { ...base(), trees: [{ edges: [['ca', 'A'], ['A', 'B'], ['B', 'cb1'], ['B', 'cb2']], class: 'mc', volume: '10' }] }
    // net(ca→A) = 10·2·1.5 = 30; net(A→B) = 10(1·2 − 1·1.5) = 5; net(B→cbi) = −10·2·2 = −40 each.
    // S_A = 30 − 5 = 25; S_B = 5 + 40 + 40 = 85; S_ca = −30; S_cb1 = S_cb2 = −40.
    const r = out(sc)
    assert.deepEqual(r.surplus, { A: '25.00', B: '85.00', ca: '-30.00', cb1: '-40.00', cb2: '-40.00' })
    assert.deepEqual(r.borders, [
      { from: 'A', to: 'B', class: 'mc', net: '5.00' },
      { from: 'B', to: 'cb1', class: 'mc', net: '-40.00' },
      { from: 'B', to: 'cb2', class: 'mc', net: '-40.00' },
      { from: 'ca', to: 'A', class: 'mc', net: '30.00' }
    ])
  })

  it('treats aggregation (multicast reversed) the same way, and adds trees to flows', () => {
    const sc = {
      ...base(),
      flows: [{ path: ['cb1', 'B', 'A', 'ca'], class: 'mc', volume: '1' }],
      trees: [{ edges: [['cb1', 'B'], ['cb2', 'B'], ['B', 'A'], ['A', 'ca']], class: 'mc', volume: '1' }]
    }
    // Per unit: net(cbi→B) = 0 (B charges senders 0); net(B→A) = 1·1.5 − 1·2 = −0.5; net(A→ca) = −0·1.5 = 0.
    const r = out(sc)
    assert.deepEqual(r.borders.find(b => b.from === 'B' && b.to === 'A'), { from: 'B', to: 'A', class: 'mc', net: '-1.00' })
    assert.deepEqual(r.surplus, { A: '-1.00', B: '1.00', ca: '0.00', cb1: '0.00', cb2: '0.00' })
  })

  describe('SLA sliding scales', () => {
    const withSla = (measured: Record<string, string>): unknown => ({
      ...base(),
      flows: [{ path: ['A', 'B', 'cb1'], class: 'mc', volume: '100' }],
      sla: { B: { mc: [
        { metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '50', factor: '0.5' }, { factor: '0' }] },
        { metric: 'availability_pct', bonus: true, bands: [{ atLeast: '99.9', factor: '1.1' }, { atLeast: '99', factor: '0.8' }] }
      ] } },
      measured: { B: { mc: measured } }
    })
    // B's charges scaled by f: net(A→B) = 100(1·2·f − 1·1.5) ; net(B→cb1) = −100·2·2·f
    const cases: Array<[string, string, string]> = [
      ['10', '99.95', '1'], // delay band 1 (1), availability band 1 (1.1) → min 1
      ['20', '99.9', '1'], // bounds are inclusive: upTo 20 matches 20, atLeast 99.9 matches 99.9
      ['35', '99.95', '0.5'], // delay band 2
      ['10', '99.5', '0.8'], // availability band 2 (atLeast 99)
      ['51', '99.95', '0'], // delay: unbounded band
      ['10', '98', '0'] // availability: no band matches → 0 (outside the delivery parameters)
    ]
    for (const [delay, avail, f] of cases) {
      it(`delay ${delay} ms, availability ${avail}% → factor ${f}`, () => {
        const r = out(withSla({ delay_ms: delay, availability_pct: avail }))
        const F = Number(f)
        assert.equal(r.borders[0]!.net, (100 * (2 * F - 1.5)).toFixed(2))
        assert.equal(r.surplus.cb1, (-400 * F).toFixed(2))
      })
    }
    it('a class without criteria has factor 1; measurements without criteria are ignored', () => {
      const r = out({ ...base(), flows: [{ path: ['A', 'B'], class: 'mc', volume: '1' }], measured: { A: { mc: { delay_ms: '900' } } } })
      assert.deepEqual(r.borders, [{ from: 'A', to: 'B', class: 'mc', net: '0.50' }])
    })
    it('a criterion with no measurement is an error naming it', () => {
      fails(withSla({ delay_ms: '10' }), 'measured.B.mc.availability_pct', 'missing-measurement')
    })
  })

  it('rounds once at the end, half-even', () => {
    // Each flow nets 0.001 · 0.5 = 0.0005, which would round to 0.00 on its own: amounts are summed exactly first.
    const flows = Array.from({ length: 30 }, () => ({ path: ['A', 'B'], class: 'mc', volume: '0.001' }))
    const r = out({ ...base(), flows }) // 30 · 0.001 · 0.5 = 0.015 → 0.02 (half-even: 1 is odd → up)
    assert.deepEqual(r.borders, [{ from: 'A', to: 'B', class: 'mc', net: '0.02' }])
    const r2 = out({ ...base(), flows: flows.slice(0, 10) }) // 0.005 → 0.00 (0 is even)
    assert.deepEqual(r2.borders, [{ from: 'A', to: 'B', class: 'mc', net: '0.00' }])
  })

  it('resolves weights: named, then *, else 0; edge networks always 0', () => {
    const sc = {
      decimals: 0,
      networks: [{ id: 'P', role: 'provider' }, { id: 'Q', role: 'provider' }, { id: 'e', role: 'edge' }],
      prices: { P: { x: '1' }, Q: { x: '1' }, e: { x: '1000' } },
      weights: { P: { Q: { send: '5' } }, e: { '*': { send: '9', receive: '9' } } },
      flows: [{ path: ['Q', 'P'], class: 'x', volume: '1' }, { path: ['e', 'P'], class: 'x', volume: '1' }, { path: ['P', 'e'], class: 'x', volume: '1' }]
    }
    assert.deepEqual(out(sc).borders, [
      { from: 'P', to: 'e', class: 'x', net: '0' },
      { from: 'Q', to: 'P', class: 'x', net: '5' },
      { from: 'e', to: 'P', class: 'x', net: '0' }
    ])
  })

  it('orders output by declaration order and class id, even for integer-like ids', () => {
    const sc = {
      decimals: 1,
      networks: [{ id: '10', role: 'provider' }, { id: '2', role: 'provider' }, { id: 'z', role: 'edge' }],
      prices: { 10: { b: '1', a: '1' }, 2: { b: '1', a: '1' } },
      weights: { 10: { '*': { send: '1', receive: '1' } }, 2: { '*': { send: '1', receive: '1' } } },
      flows: [{ path: ['z', '2', '10'], class: 'b', volume: '1' }, { path: ['z', '2', '10'], class: 'a', volume: '1' }]
    }
    const text = simulate(JSON.stringify(sc))
    assert.ok(text.indexOf('"10"') < text.indexOf('"2"'))
    const lines = JSON.parse(text).borders.map((b: Record<string, string>) => `${b.from}>${b.to}:${b.class}`)
    assert.deepEqual(lines, ['2>10:a', '2>10:b', 'z>2:a', 'z>2:b'])
    assert.equal(renderScenarioOutput(evaluateScenario(sc)), text)
  })

  describe('rejects bad scenarios with the field named', () => {
    const flow = (f: Record<string, unknown>): unknown => ({ ...base(), flows: [{ path: ['A', 'B'], class: 'mc', volume: '1' }, { path: ['A', 'B'], class: 'mc', volume: '1', ...f }] })
    it('unknown network in a path, a tree, weights, prices', () => {
      fails(flow({ path: ['A', 'X'] }), 'flows[1].path[1]', 'unknown-network')
      fails({ ...base(), trees: [{ edges: [['A', 'B'], ['B', 'nope']], class: 'mc', volume: '1' }] }, 'trees[0].edges[1][1]', 'unknown-network')
      fails({ ...base(), weights: { A: { Y: { send: '1' } } } }, 'weights.A.Y', 'unknown-network')
      fails({ ...base(), prices: { Z: { mc: '1' } } }, 'prices.Z', 'unknown-network')
    })
    it('a step between networks with no declared relationship is fine', () => {
      assert.doesNotThrow(() => evaluateScenario({ ...base(), flows: [{ path: ['ca', 'cb1'], class: 'mc', volume: '1' }] }))
    })
    it('negative, non-numeric or malformed volume', () => {
      fails(flow({ volume: '-1' }), 'flows[1].volume', 'negative')
      fails(flow({ volume: 'lots' }), 'flows[1].volume', 'bad-decimal')
      fails(flow({ volume: 5 }), 'flows[1].volume', 'bad-decimal')
      fails(flow({ volume: '1e3' }), 'flows[1].volume', 'bad-decimal')
      fails(flow({ volume: '' }), 'flows[1].volume', 'bad-decimal')
    })
    it('malformed decimals elsewhere', () => {
      fails({ ...base(), prices: { A: { mc: '1.' } } }, 'prices.A.mc', 'bad-decimal')
      fails({ ...base(), weights: { A: { B: { send: '+1' } } } }, 'weights.A.B.send', 'bad-decimal')
    })
    it('unknown classes', () => {
      fails(flow({ class: 'ef' }), 'flows[1].class', 'unknown-class')
      fails({ ...base(), sla: { A: { ef: [] } } }, 'sla.A.ef', 'unknown-class')
      fails({ ...base(), measured: { A: { ef: { delay_ms: '1' } } } }, 'measured.A.ef', 'unknown-class')
    })
    it('structure', () => {
      fails([], 'scenario', 'bad-type')
      fails({ ...base(), decimals: 2.5 }, 'decimals', 'bad-type')
      fails({ ...base(), networks: [{ id: 'A', role: 'provider' }, { id: 'A', role: 'edge' }] }, 'networks[1].id', 'duplicate-network')
      fails({ ...base(), networks: [{ id: 'A', role: 'core' }] }, 'networks[0].role', 'bad-type')
      fails({ ...base(), flow: [] }, 'flow', 'bad-type')
      fails(flow({ path: ['A', 'A'] }), 'flows[1].path[1]', 'bad-type')
    })
  })
})
