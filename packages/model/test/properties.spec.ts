/**
 * Property tests on random topologies: conservation (surpluses sum to exactly zero before rounding),
 * determinism (same input, same bytes; flow order does not matter), and symmetry of the bilateral
 * net (a statement computed from either party's point of view has the same lines and the negated
 * net, and agrees with the evaluator's border nets).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  computeStatement, evaluateScenario, format, formatRounded, simulate, type PricingTariff, type Scenario,
  type StatementInput
} from '../src/index.js'

const decimal = (max: bigint, maxScale: number): fc.Arbitrary<string> =>
  fc.tuple(fc.bigInt({ min: 0n, max }), fc.integer({ min: 0, max: maxScale })).map(([c, s]) => format({ c, s }))
const weightPair = fc.record({ send: decimal(40n, 1), receive: decimal(40n, 1) })
const CLASSES = ['af41', 'be', 'ef']

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  providers: fc.integer({ min: 1, max: 6 }),
  edges: fc.integer({ min: 1, max: 6 }),
  decimals: fc.integer({ min: 0, max: 8 }),
  seedPrices: fc.array(decimal(100000n, 4), { minLength: 18, maxLength: 18 }),
  star: fc.array(fc.option(weightPair), { minLength: 6, maxLength: 6 }),
  named: fc.array(fc.tuple(fc.nat(5), fc.nat(11), weightPair), { maxLength: 12 }),
  paths: fc.array(fc.tuple(fc.array(fc.nat(11), { minLength: 2, maxLength: 7 }), fc.nat(2), decimal(10n ** 9n, 6)), { maxLength: 25 }),
  trees: fc.array(fc.tuple(fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 6 }), fc.nat(2), decimal(10n ** 6n, 3)), { maxLength: 4 }),
  delay: fc.option(decimal(100n, 0))
}).map(r => {
  const ids = [...Array.from({ length: r.providers }, (_, i) => `P${i}`), ...Array.from({ length: r.edges }, (_, i) => `e${i}`)]
  const at = (k: number): string => ids[k % ids.length]!
  const prices: Record<string, Record<string, string>> = {}
  const weights: Record<string, Record<string, { send: string, receive: string }>> = {}
  for (let p = 0; p < r.providers; p++) {
    prices[`P${p}`] = Object.fromEntries(CLASSES.map((c, k) => [c, r.seedPrices[p * 3 + k]!]))
    const star = r.star[p]
    weights[`P${p}`] = star !== null && star !== undefined ? { '*': star } : {}
  }
  for (const [p, j, w] of r.named) if (p < r.providers) weights[`P${p}`]![at(j)] = w
  const flows = r.paths.map(([steps, c, volume]) => ({
    path: steps.map(at).filter((id, k, a) => k === 0 || id !== a[k - 1]),
    class: CLASSES[c]!,
    volume
  }))
  const trees = r.trees.map(([edges, c, volume]) => ({
    edges: edges.map(([u, v]) => [at(u), at(v === u ? v + 1 : v)] as [string, string]).filter(([u, v]) => u !== v),
    class: CLASSES[c]!,
    volume
  }))
  const sc: Scenario = {
    decimals: r.decimals,
    networks: ids.map(id => ({ id, role: id.startsWith('P') ? 'provider' as const : 'edge' as const })),
    prices, weights, flows, trees
  }
  if (r.delay !== null) {
    sc.sla = { P0: { ef: [{ metric: 'delay_ms', bands: [{ upTo: '30', factor: '1' }, { upTo: '60', factor: '0.25' }, { factor: '0' }] }] } }
    sc.measured = { P0: { ef: { delay_ms: r.delay } } }
  }
  return sc
})

describe('properties on random topologies', () => {
  it('conservation: exact surpluses sum to zero, and each equals its border nets', () => {
    fc.assert(fc.property(scenarioArb, sc => {
      const r = evaluateScenario(sc)
      const scale = Math.max(0, ...r.surplus.map(s => s.s))
      const total = r.surplus.reduce((acc, s) => acc + s.c * 10n ** BigInt(scale - s.s), 0n)
      assert.equal(total, 0n)
      // Each network's surplus is what it receives minus what it pays across its borders.
      const byBorders = new Map<string, bigint>()
      const S = 40
      for (const b of r.borders) {
        const c = b.net.c * 10n ** BigInt(S - b.net.s)
        byBorders.set(b.to, (byBorders.get(b.to) ?? 0n) + c)
        byBorders.set(b.from, (byBorders.get(b.from) ?? 0n) - c)
      }
      r.ids.forEach((id, i) => assert.equal(r.surplus[i]!.c * 10n ** BigInt(S - r.surplus[i]!.s), byBorders.get(id) ?? 0n, id))
    }), { numRuns: 200 })
  })

  it('determinism: same input gives the same bytes, whatever the order of flows and trees', () => {
    fc.assert(fc.property(scenarioArb, fc.integer(), (sc, seed) => {
      const text = JSON.stringify(sc)
      const a = simulate(text)
      assert.equal(simulate(text), a)
      const shuffled = { ...sc, flows: shuffle(sc.flows ?? [], seed), trees: shuffle(sc.trees ?? [], seed + 1) }
      assert.equal(simulate(JSON.stringify(shuffled)), a)
    }), { numRuns: 100 })
  })

  it('symmetry: a statement from either side has the same lines and the negated net, matching the evaluator', () => {
    const tariffArb = fc.record({
      price: decimal(10000n, 3), fee: fc.option(decimal(100n, 2)), period: fc.option(decimal(10000n, 2)),
      w: weightPair, decimals: fc.constant(2)
    })
    const usageArb = fc.array(fc.tuple(fc.boolean(), fc.nat(2), decimal(10n ** 8n, 3), fc.option(decimal(1000n, 0))), { maxLength: 8 })
    fc.assert(fc.property(tariffArb, tariffArb, usageArb, fc.boolean(), (ta, tb, usage, periodFees) => {
      const pricing = (t: typeof ta, other: string): PricingTariff => ({
        currency: 'EUR', decimals: t.decimals, unit: 'octet',
        classes: Object.fromEntries(CLASSES.map(c => [c, { mode: 'unicast' as const, quality: c, price: t.price, ...(t.fee !== null ? { messageFee: t.fee } : {}) }])),
        weights: { [other]: t.w },
        ...(t.period !== null ? { periodFee: t.period } : {})
      })
      const input: StatementInput = {
        parties: ['A', 'B'],
        segments: [{
          tariffs: { A: { ref: 'ta', pricing: pricing(ta, 'B') }, B: { ref: 'tb', pricing: pricing(tb, 'A') } },
          usage: usage.map(([ab, c, volume, messages]) => ({
            from: ab ? 'A' : 'B', to: ab ? 'B' : 'A', class: CLASSES[c]!, volume, ...(messages !== null ? { messages } : {})
          }))
        }],
        measured: {},
        periodFees
      }
      const ab = computeStatement(input)
      const ba = computeStatement({ ...input, parties: ['B', 'A'] })
      assert.deepEqual(ba.lines, ab.lines)
      assert.equal(ba.net, formatRounded({ c: -BigInt(ab.net.replace('.', '')), s: 2 }, 2))
      // Usage lines agree with the scenario evaluator's border nets for the same two providers.
      const sc: Scenario = {
        decimals: 2,
        networks: [{ id: 'A', role: 'provider' }, { id: 'B', role: 'provider' }],
        prices: { A: Object.fromEntries(CLASSES.map(c => [c, ta.price])), B: Object.fromEntries(CLASSES.map(c => [c, tb.price])) },
        weights: { A: { B: ta.w }, B: { A: tb.w } },
        flows: usage.map(([fromA, c, volume]) => ({ path: fromA ? ['A', 'B'] : ['B', 'A'], class: CLASSES[c]!, volume }))
      }
      const borders = JSON.parse(simulate(JSON.stringify(sc))).borders as Array<{ from: string, to: string, class: string, net: string }>
      const usageLines = ab.lines.filter(l => l.kind === 'usage').map(l => `${l.from}>${l.to}:${l.class}=${l.amount}`).sort()
      assert.deepEqual(usageLines, borders.map(b => `${b.from}>${b.to}:${b.class}=${b.net}`).sort())
    }), { numRuns: 200 })
  })
})

/** Deterministic Fisher-Yates with a tiny LCG (tests never use Math.random). */
function shuffle<T> (xs: T[], seed: number): T[] {
  const a = [...xs]
  let s = seed >>> 0
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const j = s % (i + 1)
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}
